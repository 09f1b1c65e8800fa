// podlatency creates Pods through a real kube-apiserver and prints the latency of each create
// (the e2e test runs it with and without the webhook registered and compares percentiles).
// Like client-go it keeps one TLS connection (HTTP/2) open, so only the create itself is timed.
//
//	podlatency -server URL -ca F -cert F -key F -namespace NS -pod pod.json -n 200 [-warmup 20]
//
// Output: one JSON object {"n","p50_ms","p90_ms","p99_ms","max_ms","mean_ms","samples_ms":[...]}.
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
	"net/http"
	"os"
	"sort"
	"time"
)

func main() {
	server := flag.String("server", "", "apiserver URL (https://127.0.0.1:PORT)")
	caFile := flag.String("ca", "", "CA that signed the apiserver's certificate")
	certFile := flag.String("cert", "", "client certificate")
	keyFile := flag.String("key", "", "client key")
	namespace := flag.String("namespace", "", "namespace of the Pods")
	podFile := flag.String("pod", "", "Pod JSON (metadata.generateName is used for unique names)")
	n := flag.Int("n", 100, "timed creates")
	warmup := flag.Int("warmup", 10, "untimed creates first")
	flag.Parse()
	if *server == "" || *caFile == "" || *certFile == "" || *keyFile == "" || *namespace == "" || *podFile == "" || *n < 1 {
		fmt.Fprintln(os.Stderr, "podlatency: -server, -ca, -cert, -key, -namespace, -pod and -n >= 1 are required")
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
	url := fmt.Sprintf("%s/api/v1/namespaces/%s/pods", *server, *namespace)
	create := func() time.Duration {
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
		return elapsed
	}
	for i := 0; i < *warmup; i++ {
		create()
	}
	samples := make([]float64, 0, *n)
	for i := 0; i < *n; i++ {
		samples = append(samples, float64(create().Microseconds())/1000.0)
	}
	sorted := append([]float64(nil), samples...)
	sort.Float64s(sorted)
	sum := 0.0
	for _, s := range sorted {
		sum += s
	}
	out := map[string]any{
		"n":          *n,
		"p50_ms":     percentile(sorted, 50),
		"p90_ms":     percentile(sorted, 90),
		"p99_ms":     percentile(sorted, 99),
		"max_ms":     sorted[len(sorted)-1],
		"mean_ms":    sum / float64(len(sorted)),
		"samples_ms": samples,
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fail("writing the result: %v", err)
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
