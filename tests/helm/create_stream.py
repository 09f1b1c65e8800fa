#!/usr/bin/python3
"""A stream of Pod creates through a real kube-apiserver, counted by outcome (tests/helm/rotation_test.sh).

  create_stream.py SERVER_URL CA CERT KEY NAMESPACE STOP_FILE OUT.json

Creates one Pod after another (one keep-alive TLS connection, like client-go) until STOP_FILE
exists, then writes {"created", "denied", "refused", "other", "first_refusals": [...]} to OUT.json.
"refused" is the apiserver failing to call the webhook ("failed calling webhook": TLS or
connection errors, which failurePolicy Fail turns into a refused write); "denied" is a policy
decision, which the Pod below never earns.
"""
import http.client
import json
import os
import ssl
import sys
import time
import urllib.parse

server, ca, cert, key, ns, stop_file, out_path = sys.argv[1:8]
u = urllib.parse.urlparse(server)
ctx = ssl.create_default_context(cafile=ca)
ctx.load_cert_chain(cert, key)

POD = {
    "apiVersion": "v1", "kind": "Pod",
    "metadata": {"generateName": "stream-"},
    "spec": {
        "automountServiceAccountToken": False,
        "securityContext": {"runAsNonRoot": True, "runAsUser": 1000, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [{
            "name": "app", "image": "registry.example/app:1",
            "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
        }],
    },
}
body = json.dumps(POD).encode()
counts = {"created": 0, "denied": 0, "refused": 0, "other": 0, "first_refusals": []}
conn = None
start = time.monotonic()
while not os.path.exists(stop_file):
    try:
        if conn is None:
            conn = http.client.HTTPSConnection(u.hostname, u.port, context=ctx, timeout=30)
        conn.request("POST", f"/api/v1/namespaces/{ns}/pods", body, {"Content-Type": "application/json"})
        resp = conn.getresponse()
        text = resp.read().decode(errors="replace")
    except (OSError, http.client.HTTPException) as e:
        conn = None
        counts["other"] += 1
        if len(counts["first_refusals"]) < 5:
            counts["first_refusals"].append(f"{time.monotonic() - start:.2f}s client error: {e}")
        time.sleep(0.05)
        continue
    if resp.status == 201:
        counts["created"] += 1
    elif "failed calling webhook" in text:
        counts["refused"] += 1
        if len(counts["first_refusals"]) < 5:
            counts["first_refusals"].append(f"{time.monotonic() - start:.2f}s {resp.status}: {text[:300]}")
    elif resp.status == 403 and "denied the request" in text:
        counts["denied"] += 1
    else:
        counts["other"] += 1
        if len(counts["first_refusals"]) < 5:
            counts["first_refusals"].append(f"{time.monotonic() - start:.2f}s {resp.status}: {text[:300]}")
counts["seconds"] = round(time.monotonic() - start, 2)
with open(out_path + ".tmp", "w") as f:
    json.dump(counts, f)
os.replace(out_path + ".tmp", out_path)
