// goclient drives gopreflight-webhook the way kube-apiserver does: Go's net/http and crypto/tls,
// verifying the CA and the Service DNS name, offering h2 then http/1.1 (the server must pick
// http/1.1), keep-alive connections. Standard library only.
//
//	goclient -mode probe  -addr 127.0.0.1:PORT -ca ca.crt -review pod.json
//	goclient -mode slow   -addr ... -ca ... -review pod.json -n 8 -upload 2s
//
// probe: POST the review to /validate and /mutate, check TLS version, ALPN and the responses.
// slow:  n concurrent requests whose bodies trickle in over -upload; every one must get 200 with
// an AdmissionReview for its uid (used while the server receives SIGTERM). Prints "started"
// once every request has sent its headers.
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
	"strconv"
	"sync"
	"time"
)

func fail(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "goclient: "+format+"\n", a...)
	os.Exit(1)
}

type review struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Response   *struct {
		UID       string `json:"uid"`
		Allowed   bool   `json:"allowed"`
		PatchType string `json:"patchType"`
		Patch     string `json:"patch"`
	} `json:"response"`
}

func client(caFile, serverName string) *http.Client {
	pem, err := os.ReadFile(caFile)
	if err != nil {
		fail("read CA: %v", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		fail("no certificate in %s", caFile)
	}
	tr := &http.Transport{
		TLSClientConfig: &tls.Config{
			RootCAs:    pool,
			ServerName: serverName,
			NextProtos: []string{"h2", "http/1.1"},
			MinVersion: tls.VersionTLS12,
		},
		ForceAttemptHTTP2:   true,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     90 * time.Second,
	}
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

func withUID(body []byte, uid string) []byte {
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		fail("review file is not JSON: %v", err)
	}
	req, ok := m["request"].(map[string]any)
	if !ok {
		fail("review file has no request object")
	}
	req["uid"] = uid
	out, _ := json.Marshal(m)
	return out
}

func checkReview(resp *http.Response, uid string) (review, error) {
	var r review
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return r, fmt.Errorf("reading body: %v", err)
	}
	if resp.StatusCode != 200 {
		return r, fmt.Errorf("status %d: %s", resp.StatusCode, data)
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return r, fmt.Errorf("response is not JSON: %v", err)
	}
	if r.Kind != "AdmissionReview" || r.Response == nil || r.Response.UID != uid {
		return r, fmt.Errorf("response is not an AdmissionReview for uid %s: %s", uid, data)
	}
	return r, nil
}

func probe(c *http.Client, addr string, body []byte) {
	for _, path := range []string{"/validate", "/mutate"} {
		uid := "probe" + path
		resp, err := c.Post("https://"+addr+path, "application/json", bytes.NewReader(withUID(body, uid)))
		if err != nil {
			fail("POST %s: %v", path, err)
		}
		if resp.TLS == nil || resp.TLS.Version < tls.VersionTLS12 {
			fail("POST %s: not TLS 1.2+", path)
		}
		if resp.ProtoMajor != 1 || resp.TLS.NegotiatedProtocol != "http/1.1" {
			fail("POST %s: expected HTTP/1.1 via ALPN, got %s (ALPN %q)", path, resp.Proto, resp.TLS.NegotiatedProtocol)
		}
		r, err := checkReview(resp, uid)
		if err != nil {
			fail("POST %s: %v", path, err)
		}
		fmt.Printf("%s: %s %s allowed=%v patchType=%q tls=%x\n", path, resp.Proto, r.APIVersion, r.Response.Allowed, r.Response.PatchType, resp.TLS.Version)
	}
	fmt.Println("probe ok")
}

// slowBody sends data in 20 pieces spread over d, so the request is in flight that long.
type slowBody struct {
	data  []byte
	off   int
	step  int
	pause time.Duration
	first bool
}

func (s *slowBody) Read(p []byte) (int, error) {
	if s.off >= len(s.data) {
		return 0, io.EOF
	}
	if s.first {
		time.Sleep(s.pause)
	}
	s.first = true
	n := s.step
	if n > len(p) {
		n = len(p)
	}
	if s.off+n > len(s.data) {
		n = len(s.data) - s.off
	}
	copy(p, s.data[s.off:s.off+n])
	s.off += n
	return n, nil
}

func slow(c *http.Client, addr string, body []byte, n int, upload time.Duration) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	failures := 0
	started := make(chan struct{}, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			uid := "slow-" + strconv.Itoa(i)
			data := withUID(body, uid)
			sb := &slowBody{data: data, step: (len(data) + 19) / 20, pause: upload / 20}
			req, _ := http.NewRequest("POST", "https://"+addr+"/mutate", sb)
			req.ContentLength = int64(len(data))
			req.Header.Set("Content-Type", "application/json")
			req.GetBody = nil // not replayable: a failure must surface, not be retried
			go func() { time.Sleep(upload / 5); started <- struct{}{} }()
			resp, err := c.Do(req)
			if err == nil {
				_, err = checkReview(resp, uid)
			}
			if err != nil {
				mu.Lock()
				failures++
				mu.Unlock()
				fmt.Fprintf(os.Stderr, "request %d failed: %v\n", i, err)
			}
		}(i)
	}
	for i := 0; i < n; i++ {
		<-started
	}
	fmt.Println("started")
	wg.Wait()
	if failures > 0 {
		fail("%d of %d in-flight requests failed", failures, n)
	}
	fmt.Printf("slow ok: %d/%d\n", n, n)
}

func main() {
	mode := flag.String("mode", "probe", "probe | slow")
	addr := flag.String("addr", "", "host:port")
	ca := flag.String("ca", "", "CA file")
	name := flag.String("servername", "gopreflight-webhook.gopreflight.svc", "TLS server name to verify")
	reviewFile := flag.String("review", "", "AdmissionReview JSON file")
	n := flag.Int("n", 8, "concurrent requests (slow)")
	upload := flag.Duration("upload", 2*time.Second, "time each body takes to send (slow)")
	flag.Parse()
	body, err := os.ReadFile(*reviewFile)
	if err != nil {
		fail("read review: %v", err)
	}
	c := client(*ca, *name)
	switch *mode {
	case "probe":
		probe(c, *addr, body)
	case "slow":
		slow(c, *addr, body, *n, *upload)
	default:
		fail("unknown -mode %s", *mode)
	}
}
