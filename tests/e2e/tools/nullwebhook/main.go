// nullwebhook is the e2e test's reference point for latency: an admission webhook that does no
// work. It answers every AdmissionReview on /validate with allowed, and on /mutate with allowed
// plus a fixed JSONPatch given on the command line (the e2e test passes the very patch
// gopreflight-webhook returns for its benchmark Pod), over TLS and HTTP/1.1 keep-alive from Go's
// standard library. Registered beside gopreflight-webhook, it shows how much of the added latency
// per Pod create is the apiserver's own cost of calling webhooks at all.
//
//	nullwebhook -listen 127.0.0.1:PORT -cert F -key F [-patch BASE64]
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

type review struct {
	APIVersion string                `json:"apiVersion"`
	Kind       string                `json:"kind"`
	Request    *struct{ UID string } `json:"request,omitempty"`
	Response   map[string]any        `json:"response,omitempty"`
}

func main() {
	listen := flag.String("listen", "", "address to serve on (127.0.0.1:PORT)")
	cert := flag.String("cert", "", "serving certificate (PEM)")
	key := flag.String("key", "", "its private key (PEM)")
	patch := flag.String("patch", "", "base64 JSONPatch returned by /mutate (empty: no patch)")
	flag.Parse()
	if *listen == "" || *cert == "" || *key == "" {
		fmt.Fprintln(os.Stderr, "nullwebhook: -listen, -cert and -key are required")
		os.Exit(2)
	}
	answer := func(mutate bool) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			body, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
			var in review
			if err == nil {
				err = json.Unmarshal(body, &in)
			}
			if err != nil || in.Request == nil {
				http.Error(w, "expected an AdmissionReview with a request", http.StatusBadRequest)
				return
			}
			resp := map[string]any{"uid": in.Request.UID, "allowed": true}
			if mutate && *patch != "" {
				resp["patchType"] = "JSONPatch"
				resp["patch"] = *patch
			}
			out, _ := json.Marshal(review{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview", Response: resp})
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(out)
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /validate", answer(false))
	mux.HandleFunc("POST /mutate", answer(true))
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok\n") })
	srv := &http.Server{Addr: *listen, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	if err := srv.ListenAndServeTLS(*cert, *key); err != nil {
		fmt.Fprintf(os.Stderr, "nullwebhook: %v\n", err)
		os.Exit(1)
	}
}
