// podlatency creates Pods through a real kube-apiserver and prints the latency of each create
// (the e2e test compares namespaces the webhooks select with one they do not).
// Like client-go it keeps one TLS connection (HTTP/2) open, so only the create itself is timed.
//
//	podlatency -server URL -ca F -cert F -key F -namespaces NS[,NS...] -pod pod.json -n 300 [-warmup 20] [-seed 1]
//
// Each round creates one Pod in every namespace listed, sequentially, in an order shuffled per
// round (seeded, so a rerun repeats it). Interleaving the namespaces create by create exposes
// them to the same machine load, garbage collections and etcd state, so their difference is the
// cost of what differs between them (which webhooks are called) and not drift between two blocks
// measured at different times; shuffling keeps the after-effects of one create (GC, watch
// fan-out) from always landing on the same neighbour.
//
// Output: one JSON object {"rounds","warmup","seed","namespaces":{NS:{"n","p50_ms","p90_ms",
// "p99_ms","max_ms","mean_ms","samples_ms":[...]}}}; samples are in creation order.
package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand"
	"net/http"
	"os"
	"sort"
	"strings"
	"time"
)

type stats struct {
	N       int       `json:"n"`
	P50     float64   `json:"p50_ms"`
	P90     float64   `json:"p90_ms"`
	P99     float64   `json:"p99_ms"`
	Max     float64   `json:"max_ms"`
	Mean    float64   `json:"mean_ms"`
	Samples []float64 `json:"samples_ms"`
}

func main() {
	server := flag.String("server", "", "apiserver URL (https://127.0.0.1:PORT)")
	caFile := flag.String("ca", "", "CA that signed the apiserver's certificate")
	certFile := flag.String("cert", "", "client certificate")
	keyFile := flag.String("key", "", "client key")
	nsList := flag.String("namespaces", "", "comma-separated namespaces, one create in each per round")
	podFile := flag.String("pod", "", "Pod JSON (metadata.generateName is used for unique names)")
	n := flag.Int("n", 100, "timed rounds")
	warmup := flag.Int("warmup", 10, "untimed rounds first")
	seed := flag.Int64("seed", 1, "seed of the per-round shuffle")
	flag.Parse()
	var namespaces []string
	for _, ns := range strings.Split(*nsList, ",") {
		if ns = strings.TrimSpace(ns); ns != "" {
			namespaces = append(namespaces, ns)
		}
	}
	if *server == "" || *caFile == "" || *certFile == "" || *keyFile == "" || len(namespaces) == 0 || *podFile == "" || *n < 1 || *warmup < 0 {
		fmt.Fprintln(os.Stderr, "podlatency: -server, -ca, -cert, -key, -namespaces, -pod, -n >= 1 and -warmup >= 0 are required")
		os.Exit(2)
	}
	body, err := os.ReadFile(*podFile)
	if err != nil {
		fail("reading the Pod: %v", err)
	}
	caPEM, err := os.ReadFile(*caFile)
	if err != nil {
		fail("reading the CA: %v", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		fail("%s holds no PEM certificate", *caFile)
	}
	pair, err := tls.LoadX509KeyPair(*certFile, *keyFile)
	if err != nil {
		fail("loading the client certificate: %v", err)
	}
	client := &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			TLSClientConfig:   &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{pair}},
			ForceAttemptHTTP2: true,
		},
	}
	create := func(ns string) float64 {
		url := fmt.Sprintf("%s/api/v1/namespaces/%s/pods", *server, ns)
		start := time.Now()
		resp, err := client.Post(url, "application/json", bytes.NewReader(body))
		if err != nil {
			fail("POST %s: %v", url, err)
		}
		msg, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		elapsed := time.Since(start)
		if resp.StatusCode != http.StatusCreated {
			fail("POST %s: status %d: %s", url, resp.StatusCode, msg)
		}
		return float64(elapsed.Microseconds()) / 1000.0
	}
	rng := rand.New(rand.NewSource(*seed))
	order := append([]string(nil), namespaces...)
	samples := make(map[string][]float64, len(namespaces))
	for round := 0; round < *warmup+*n; round++ {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, ns := range order {
			ms := create(ns)
			if round >= *warmup {
				samples[ns] = append(samples[ns], ms)
			}
		}
	}
	out := struct {
		Rounds     int              `json:"rounds"`
		Warmup     int              `json:"warmup"`
		Seed       int64            `json:"seed"`
		Namespaces map[string]stats `json:"namespaces"`
	}{*n, *warmup, *seed, map[string]stats{}}
	for ns, s := range samples {
		out.Namespaces[ns] = summarize(s)
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fail("writing the result: %v", err)
	}
}

func summarize(samples []float64) stats {
	sorted := append([]float64(nil), samples...)
	sort.Float64s(sorted)
	sum := 0.0
	for _, s := range sorted {
		sum += s
	}
	return stats{
		N: len(sorted), P50: percentile(sorted, 50), P90: percentile(sorted, 90), P99: percentile(sorted, 99),
		Max: sorted[len(sorted)-1], Mean: sum / float64(len(sorted)), Samples: samples,
	}
}

// percentile by the nearest-rank method on sorted samples.
func percentile(sorted []float64, p float64) float64 {
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	if rank < 1 {
		rank = 1
	}
	return sorted[rank-1]
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "podlatency: "+format+"\n", args...)
	os.Exit(1)
}
