// podstart measures Pod start time on a real kubelet: for each variant (a Pod manifest), the time
// from sending the create to the watch event that shows the Pod's first app container running.
// Variants are created in turn, one Pod at a time, in an order shuffled per round (seeded), so
// they share the same node state and drift; each Pod is deleted (grace 0) and gone before the next.
//
//	podstart -server URL -ca F -cert F -key F -namespace NS -rounds 30 [-warmup 3] [-seed 1]
//	         -variant NAME=pod.json [-variant NAME=pod.json ...]
//
// Output: one JSON object {"rounds","warmup","variants":{NAME:{"n","p50_ms","p90_ms","mean_ms",
// "min_ms","max_ms","samples_ms","containers"}}}; "containers" lists, per sample, the runtime's
// container ids (init containers, then app) so the caller can match containerd's own event times.
package main

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"
)

type variants []string

func (v *variants) String() string     { return strings.Join(*v, ",") }
func (v *variants) Set(s string) error { *v = append(*v, s); return nil }

type stats struct {
	N       int       `json:"n"`
	P50     float64   `json:"p50_ms"`
	P90     float64   `json:"p90_ms"`
	Mean    float64   `json:"mean_ms"`
	Min     float64   `json:"min_ms"`
	Max     float64   `json:"max_ms"`
	Samples []float64 `json:"samples_ms"`
	// Per sample: "name=containerd://id" of each init and app container.
	Containers [][]string `json:"containers"`
}

type podStatus struct {
	Metadata struct {
		Name            string `json:"name"`
		ResourceVersion string `json:"resourceVersion"`
	} `json:"metadata"`
	Status struct {
		Phase                 string `json:"phase"`
		InitContainerStatuses []struct {
			Name        string                     `json:"name"`
			ContainerID string                     `json:"containerID"`
			State       map[string]json.RawMessage `json:"state"`
		} `json:"initContainerStatuses"`
		ContainerStatuses []struct {
			Name        string                     `json:"name"`
			ContainerID string                     `json:"containerID"`
			State       map[string]json.RawMessage `json:"state"`
		} `json:"containerStatuses"`
	} `json:"status"`
}

var (
	client *http.Client
	server string
	ns     string
)

func die(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "podstart: "+format+"\n", a...)
	os.Exit(1)
}

func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p*float64(len(sorted)-1) + 0.5)
	return sorted[i]
}

// run creates one Pod and returns the ms until its first container is running, and the
// container ids.
func run(manifest map[string]any, name string) (float64, []string, error) {
	manifest["metadata"].(map[string]any)["name"] = name
	body, _ := json.Marshal(manifest)
	start := time.Now()
	resp, err := client.Post(fmt.Sprintf("%s/api/v1/namespaces/%s/pods", server, ns), "application/json", bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		return 0, nil, fmt.Errorf("create %s: HTTP %d: %s", name, resp.StatusCode, b)
	}
	var created podStatus
	if err := json.Unmarshal(b, &created); err != nil {
		return 0, nil, err
	}
	q := url.Values{"watch": {"1"}, "fieldSelector": {"metadata.name=" + name},
		"resourceVersion": {created.Metadata.ResourceVersion}, "timeoutSeconds": {"120"}}
	wresp, err := client.Get(fmt.Sprintf("%s/api/v1/namespaces/%s/pods?%s", server, ns, q.Encode()))
	if err != nil {
		return 0, nil, err
	}
	defer wresp.Body.Close()
	dec := json.NewDecoder(bufio.NewReader(wresp.Body))
	for {
		var ev struct {
			Type   string    `json:"type"`
			Object podStatus `json:"object"`
		}
		if err := dec.Decode(&ev); err != nil {
			return 0, nil, fmt.Errorf("watch %s ended before it ran: %v", name, err)
		}
		st := ev.Object.Status
		for _, ic := range st.InitContainerStatuses {
			if t, ok := ic.State["terminated"]; ok && !strings.Contains(string(t), `"exitCode":0`) {
				return 0, nil, fmt.Errorf("%s: init container %s failed: %s", name, ic.Name, t)
			}
		}
		if len(st.ContainerStatuses) > 0 {
			if _, ok := st.ContainerStatuses[0].State["running"]; ok {
				ms := float64(time.Since(start).Microseconds()) / 1000
				ids := []string{}
				for _, c := range st.InitContainerStatuses {
					ids = append(ids, c.Name+"="+c.ContainerID)
				}
				for _, c := range st.ContainerStatuses {
					ids = append(ids, c.Name+"="+c.ContainerID)
				}
				return ms, ids, nil
			}
		}
	}
}

func remove(name string) error {
	req, _ := http.NewRequest(http.MethodDelete, fmt.Sprintf("%s/api/v1/namespaces/%s/pods/%s?gracePeriodSeconds=0", server, ns, name), nil)
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		r, err := client.Get(fmt.Sprintf("%s/api/v1/namespaces/%s/pods/%s", server, ns, name))
		if err == nil {
			r.Body.Close()
			if r.StatusCode == http.StatusNotFound {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("pod %s still exists 60 s after delete", name)
}

func main() {
	flag.StringVar(&server, "server", "", "apiserver URL")
	caFile := flag.String("ca", "", "CA of the apiserver")
	certFile := flag.String("cert", "", "client certificate")
	keyFile := flag.String("key", "", "client key")
	flag.StringVar(&ns, "namespace", "", "namespace")
	rounds := flag.Int("rounds", 30, "measured rounds")
	warmup := flag.Int("warmup", 3, "unmeasured rounds first")
	seed := flag.Int64("seed", 1, "shuffle seed")
	var vs variants
	flag.Var(&vs, "variant", "NAME=pod.json (repeatable)")
	flag.Parse()
	if server == "" || ns == "" || len(vs) == 0 {
		die("-server, -namespace and at least one -variant are required")
	}
	caPEM, err := os.ReadFile(*caFile)
	if err != nil {
		die("reading -ca: %v", err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
	if err != nil {
		die("client certificate: %v", err)
	}
	client = &http.Client{Timeout: 150 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}}, ForceAttemptHTTP2: true}}
	names := []string{}
	manifests := map[string]map[string]any{}
	for _, v := range vs {
		name, file, ok := strings.Cut(v, "=")
		if !ok {
			die("-variant %q: expected NAME=FILE", v)
		}
		raw, err := os.ReadFile(file)
		if err != nil {
			die("-variant %s: %v", name, err)
		}
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			die("-variant %s: %s: %v", name, file, err)
		}
		if _, ok := m["metadata"].(map[string]any); !ok {
			die("-variant %s: %s has no metadata", name, file)
		}
		names = append(names, name)
		manifests[name] = m
	}
	rng := rand.New(rand.NewSource(*seed))
	samples := map[string][]float64{}
	containers := map[string][][]string{}
	for r := 0; r < *warmup+*rounds; r++ {
		order := append([]string(nil), names...)
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, v := range order {
			pod := fmt.Sprintf("start-%s-%d", v, r)
			ms, ids, err := run(manifests[v], pod)
			if err != nil {
				die("%v", err)
			}
			if err := remove(pod); err != nil {
				die("%v", err)
			}
			if r >= *warmup {
				samples[v] = append(samples[v], ms)
				containers[v] = append(containers[v], ids)
			}
		}
	}
	out := map[string]any{"rounds": *rounds, "warmup": *warmup, "variants": map[string]stats{}}
	for _, v := range names {
		s := append([]float64(nil), samples[v]...)
		sort.Float64s(s)
		sum := 0.0
		for _, x := range s {
			sum += x
		}
		out["variants"].(map[string]stats)[v] = stats{N: len(s), P50: percentile(s, 0.5), P90: percentile(s, 0.9),
			Mean: sum / float64(len(s)), Min: s[0], Max: s[len(s)-1], Samples: samples[v], Containers: containers[v]}
	}
	b, _ := json.Marshal(out)
	fmt.Println(string(b))
}
