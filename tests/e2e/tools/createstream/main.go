// createstream sends a steady, bounded stream of Pod creates through a real kube-apiserver and
// counts the ones that fail, while the real-node test disrupts the webhook (deletes a Pod, rolls
// the Deployment, rotates the certificate). Creates are server-side dry runs (?dryRun=All): the
// apiserver runs admission, webhooks included, exactly as for a real create, but stores nothing,
// so the stream does not fill the node with Pods.
//
//	createstream -server URL -ca F -cert F -key F -namespace NS -pod pod.json
//	             -interval 50ms -stop FILE [-max 20000] [-ready FILE]
//
// Runs until FILE exists (or -max creates). Writes -ready once the first create has been answered.
// Output: one JSON object {"total","ok","failed","errors":{MESSAGE:COUNT},"first_failure_ms",
// "last_failure_ms","duration_ms"}: failures with their apiserver message (truncated).
package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

type result struct {
	Total          int            `json:"total"`
	OK             int            `json:"ok"`
	Failed         int            `json:"failed"`
	Errors         map[string]int `json:"errors"`
	FirstFailureMs float64        `json:"first_failure_ms"`
	LastFailureMs  float64        `json:"last_failure_ms"`
	DurationMs     float64        `json:"duration_ms"`
}

func die(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "createstream: "+format+"\n", a...)
	os.Exit(2)
}

func main() {
	server := flag.String("server", "", "apiserver URL")
	caFile := flag.String("ca", "", "CA of the apiserver")
	certFile := flag.String("cert", "", "client certificate")
	keyFile := flag.String("key", "", "client key")
	ns := flag.String("namespace", "", "namespace of the creates")
	podFile := flag.String("pod", "", "Pod manifest (JSON) to create; metadata.name is replaced")
	interval := flag.Duration("interval", 50*time.Millisecond, "pause between creates")
	stop := flag.String("stop", "", "stop when this file exists")
	ready := flag.String("ready", "", "file written after the first answer")
	maxN := flag.Int("max", 20000, "upper bound on creates")
	flag.Parse()
	if *server == "" || *ns == "" || *podFile == "" || *stop == "" {
		die("-server, -namespace, -pod and -stop are required")
	}
	caPEM, err := os.ReadFile(*caFile)
	if err != nil {
		die("reading -ca: %v", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		die("-ca %s: no PEM certificate", *caFile)
	}
	cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
	if err != nil {
		die("client certificate: %v", err)
	}
	raw, err := os.ReadFile(*podFile)
	if err != nil {
		die("reading -pod: %v", err)
	}
	var pod map[string]any
	if err := json.Unmarshal(raw, &pod); err != nil {
		die("-pod %s: %v", *podFile, err)
	}
	md, _ := pod["metadata"].(map[string]any)
	if md == nil {
		die("-pod %s: no metadata", *podFile)
	}
	client := &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			TLSClientConfig:   &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}},
			ForceAttemptHTTP2: true,
		},
	}
	url := fmt.Sprintf("%s/api/v1/namespaces/%s/pods?dryRun=All", *server, *ns)
	res := result{Errors: map[string]int{}}
	start := time.Now()
	for i := 0; i < *maxN; i++ {
		if _, err := os.Stat(*stop); err == nil {
			break
		}
		md["name"] = fmt.Sprintf("stream-%d", i)
		body, _ := json.Marshal(pod)
		resp, err := client.Post(url, "application/json", bytes.NewReader(body))
		msg := ""
		if err != nil {
			msg = "transport: " + err.Error()
		} else {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
				var st struct{ Message string }
				_ = json.Unmarshal(b, &st)
				msg = fmt.Sprintf("HTTP %d: %s", resp.StatusCode, st.Message)
			}
		}
		res.Total++
		at := float64(time.Since(start).Microseconds()) / 1000
		if msg == "" {
			res.OK++
		} else {
			res.Failed++
			if len(msg) > 300 {
				msg = msg[:300]
			}
			res.Errors[msg]++
			if res.Failed == 1 {
				res.FirstFailureMs = at
			}
			res.LastFailureMs = at
		}
		if i == 0 && *ready != "" {
			_ = os.WriteFile(*ready, []byte("1\n"), 0o644)
		}
		time.Sleep(*interval)
	}
	res.DurationMs = float64(time.Since(start).Microseconds()) / 1000
	out, _ := json.Marshal(res)
	fmt.Println(string(out))
}
