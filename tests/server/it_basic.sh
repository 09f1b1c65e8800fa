#!/usr/bin/env bash
# The real server with openssl-made certificates, driven as the apiserver would: a Go client
# (CA + ServerName verified, h2 offered, HTTP/1.1 chosen), curl, openssl s_client for TLS
# versions, then bad inputs: each answered 4xx or closed, with /healthz 200 after each.
source "$(dirname "$0")/lib.sh"
setup_serving
build_goclient
start_server --policy "$T/policy.yaml" --read-timeout 2 --handshake-timeout 2

note "Go client: TLS, ALPN fallback to http/1.1, /validate and /mutate"
"$GOCLIENT" -mode probe -addr "127.0.0.1:$PORT" -ca "$WORK/ca.crt" -review "$T/pod-review.json" | tee "$WORK/probe.out"
grep -q '^/mutate: HTTP/1.1 admission.k8s.io/v1 allowed=true patchType="JSONPatch"' "$WORK/probe.out" || fail "mutate via Go client"
grep -q 'probe ok' "$WORK/probe.out" || fail "Go probe"

note "Go client refuses a certificate for another name (ServerName is really verified)"
if "$GOCLIENT" -mode probe -addr "127.0.0.1:$PORT" -ca "$WORK/ca.crt" -servername wrong.example -review "$T/pod-review.json" 2>"$WORK/wrongname.err"; then
  fail "Go client accepted a wrong server name"
fi
grep -q "certificate" "$WORK/wrongname.err" || fail "wrong-name error should be about the certificate"

note "TLS versions: 1.0 and 1.1 refused, 1.2 and 1.3 accepted"
for v in tls1 tls1_1; do
  if echo | openssl s_client -connect "127.0.0.1:$PORT" -servername "$SVC" -CAfile "$WORK/ca.crt" \
       -"$v" -cipher 'DEFAULT:@SECLEVEL=0' >"$WORK/$v.out" 2>&1; then
    fail "TLS version $v was accepted"
  fi
  grep -Eq "Cipher is \(NONE\)|alert protocol version|no protocols available|unsupported protocol" "$WORK/$v.out" || fail "$v: unexpected s_client output"
done
for v in tls1_2 tls1_3; do
  echo | openssl s_client -connect "127.0.0.1:$PORT" -servername "$SVC" -CAfile "$WORK/ca.crt" \
    -verify_return_error -"$v" >"$WORK/$v.out" 2>&1 || fail "TLS $v refused"
  grep -q "Verify return code: 0 (ok)" "$WORK/$v.out" || fail "$v: certificate did not verify"
done
echo | openssl s_client -connect "127.0.0.1:$PORT" -tls1_2 -cipher AES128-SHA >"$WORK/weak.out" 2>&1 &&
  fail "a non-ECDHE, non-AEAD cipher was accepted"

note "curl: validate a Deployment (allowed with a warning), mutate a Pod (JSONPatch)"
[ "$(code POST /validate -H 'Content-Type: application/json' --data-binary @"$T/deployment-review.json")" = 200 ] || fail "validate deployment"
curl -sS --cacert "$WORK/ca.crt" --resolve "$SVC:$PORT:127.0.0.1" -H 'Content-Type: application/json' \
  --data-binary @"$T/pod-review.json" "https://$SVC:$PORT/mutate" > "$WORK/mutate.json"
python3 - "$WORK/mutate.json" <<'PY' || fail "mutate response"
import base64, json, sys
r = json.load(open(sys.argv[1]))["response"]
assert r["allowed"] is True and r["patchType"] == "JSONPatch", r
patch = json.loads(base64.b64decode(r["patch"]))
init = patch[0]["value"][0]
assert patch[0]["path"] == "/spec/initContainers" and init["name"] == "gopreflight-check", patch
assert init["image"] == "registry.example.com/gopreflight:0.1.0", init["image"]
PY

note "bad inputs"
bad() {  # bad WANT DESCRIPTION curl-args...
  local want=$1 what=$2 got; shift 2
  got=$(code "$@")
  [ "$got" = "$want" ] || fail "$what: got HTTP $got, want $want"
  healthz_ok "$what"
  echo "ok: $what -> $got"
}
J=(-H 'Content-Type: application/json')
bad 400 "malformed JSON" POST /validate "${J[@]}" --data-binary '{"apiVersion": "admission.k8s.io/v1", "kind":'
bad 400 "malformed JSON (mutate)" POST /mutate "${J[@]}" --data-binary '{{{{'
bad 400 "wrong types (uid is a number)" POST /validate "${J[@]}" --data-binary '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":42,"kind":{"kind":"Pod"},"operation":"CREATE","object":{}}}'
bad 400 "wrong types (request is a list)" POST /mutate "${J[@]}" --data-binary '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":[]}'
bad 400 "empty body" POST /validate "${J[@]}" --data-binary ''
python3 -c "print('['*100000 + ']'*100000)" > "$WORK/deep.json"
bad 400 "100k-deep nesting" POST /validate "${J[@]}" --data-binary @"$WORK/deep.json"
bad 400 "100k-deep nesting (mutate)" POST /mutate "${J[@]}" --data-binary @"$WORK/deep.json"
head -c $((16 * 1024 * 1024)) /dev/zero | tr '\0' ' ' > "$WORK/big.json"
bad 413 "16 MiB body" POST /validate "${J[@]}" --data-binary @"$WORK/big.json"
bad 415 "text/plain body" POST /validate -H 'Content-Type: text/plain' --data-binary '{}'
bad 415 "no content type" POST /mutate -H 'Content-Type:' --data-binary '{}'
bad 405 "GET /validate" GET /validate
bad 405 "DELETE /mutate" DELETE /mutate
bad 405 "POST /healthz" POST /healthz "${J[@]}" --data-binary '{}'
bad 404 "unknown path" GET /admin
bad 404 "path traversal" GET /../../etc/passwd --path-as-is

note "plain HTTP on the TLS port is closed"
rc=0; out=$(curl -sS --max-time 5 "http://127.0.0.1:$PORT/healthz" 2>&1) || rc=$?
[ "$rc" = 52 ] || [ "$rc" = 56 ] || fail "plain HTTP: curl rc $rc ($out)"
healthz_ok "plain HTTP"

note "slow clients are cut at the handshake and request deadlines (2 s here)"
PYTHONPATH=$HERE python3 - "$PORT" <<'PY' || fail "slow clients"
import socket, ssl, sys, time
from rawhttp import tls
port = int(sys.argv[1])
# 1. TCP connect, never start TLS.
s = socket.create_connection(("127.0.0.1", port)); t0 = time.time(); s.settimeout(10)
assert s.recv(1) == b"", "server sent data to a silent client"
assert time.time() - t0 < 6, "silent TCP client held for %.1fs" % (time.time() - t0)
# 2. TLS, then half a request line, then silence (slowloris). 3. Headers complete, body
# announced but never sent. Each is cut within the deadline, with a 4xx or nothing.
H = b"POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
for name, sent in (("slowloris", H), ("stalled body", H + b"Content-Length: 5000\r\n\r\n{\"a\"")):
    t = tls(port, 10)
    t.sendall(sent)
    t0 = time.time()
    try:
        data = t.recv(1000)
    except (ssl.SSLError, ConnectionResetError):
        data = b""
    assert time.time() - t0 < 6, "%s held for %.1fs" % (name, time.time() - t0)
    assert data == b"" or data.startswith(b"HTTP/1.1 4"), (name, data[:80])
print("slow clients cut")
PY
healthz_ok "slow clients"

note "40 idle keep-alive connections (an apiserver keeps 25+) and 3 stalled clients: new clients still served, idle ones serve again"
python3 - "$PORT" "$T/pod-review.json" "$WORK/ca.crt" "$SVC" <<'PY' || fail "idle keep-alive connections"
import http.client, socket, ssl, sys, time
port, review, ca, svc = int(sys.argv[1]), open(sys.argv[2], "rb").read(), sys.argv[3], sys.argv[4]
ctx = ssl.create_default_context(cafile=ca)
def conn():
    c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=10)
    c.sock = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10), server_hostname=svc)
    return c
def post(c):
    c.request("POST", "/validate", body=review, headers={"Content-Type": "application/json"})
    r = c.getresponse(); r.read()
    return r.status, r.getheader("Connection")
idle = []
for _ in range(40):  # each sends its first request at once, as the apiserver does (--read-timeout)
    c = conn()
    assert post(c) == (200, None), "first request on a keep-alive connection"
    idle.append(c)
# Stalled clients hold a worker each until the read timeout; they must not block others.
stalled = [ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname=svc) for _ in range(3)]
for s in stalled:
    s.sendall(b"POST /validate HTTP/1.1\r\nHost: x\r\n")
t0 = time.time()
fresh = conn()
assert post(fresh)[0] == 200
assert time.time() - t0 < 1.5, "a new client waited %.1fs behind idle connections" % (time.time() - t0)
c = conn(); c.request("GET", "/metrics"); m = c.getresponse().read().decode()
active = [float(l.split()[1]) for l in m.splitlines() if l.startswith("gopreflight_webhook_connections_active ")]
assert active and active[0] >= 44, "connections_active %s, want >= 44 (40 idle + 3 stalled + 2)" % active
time.sleep(1)
for c in idle:  # every idle connection is still open and answers again
    assert post(c)[0] == 200, "second request on an idle keep-alive connection"
print("idle keep-alive connections ok")
PY
healthz_ok "idle keep-alive connections"

note "pipelined requests in one TLS write (the server's read buffer carries bytes over to the next request)"
python3 - "$PORT" "$T/deployment-review.json" <<'PY' || fail "pipelined requests"
import socket, ssl, sys, time
port, body = int(sys.argv[1]), open(sys.argv[2], "rb").read()
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
req = b"POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body
t = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="x")
t.sendall(req * 3 + b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
t.settimeout(5); data = b""; t0 = time.time()
while data.count(b"HTTP/1.1 200 OK") < 4 and time.time() - t0 < 5:
    d = t.recv(65536)
    if not d: break
    data += d
assert data.count(b"HTTP/1.1 200 OK") == 4, data[:300]
assert data.count(b'"kind":"AdmissionReview"') == 3 and data.endswith(b"ok\n"), data[-200:]
print("pipelined ok")
PY

note "Expect: 100-continue, and a request trickling in across many TLS records (chunked: it_framing.sh)"
PYTHONPATH=$HERE python3 - "$PORT" "$T/deployment-review.json" <<'PY' || fail "100-continue / trickle"
import sys, time
from rawhttp import answer, tls as tls_to
port, body = int(sys.argv[1]), open(sys.argv[2], "rb").read()
def tls(): return tls_to(port)
H = b"POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
# 1. Expect: 100-continue: the interim answer comes before the body is sent
t = tls()
t.sendall(H + b"Expect: 100-continue\r\nContent-Length: %d\r\n\r\n" % len(body))
first = t.recv(100)
assert first.startswith(b"HTTP/1.1 100 Continue\r\n\r\n"), first
t.sendall(body)
data = first[len(b"HTTP/1.1 100 Continue\r\n\r\n"):]
while b'"kind":"AdmissionReview"' not in data:
    d = t.recv(65536); assert d, data[:300]; data += d
assert b"HTTP/1.1 200 OK" in data, data[:300]
# 2. a request in 40 pieces with pauses (each its own TLS record); silence between pieces is short
req = H + b"Content-Length: %d\r\n\r\n" % len(body) + body
t = tls(); step = len(req) // 40 + 1
for i in range(0, len(req), step):
    t.sendall(req[i:i + step]); time.sleep(0.01)
head, got = answer(t)
assert head.startswith(b"HTTP/1.1 200") and b'"kind":"AdmissionReview"' in got, head
# the connection stays usable
t.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"); head, got = answer(t)
assert head.startswith(b"HTTP/1.1 200") and got == b"ok\n", (head, got)
# 3. the query string the apiserver adds (?timeout=10s) does not change the answer, keep-alive and close
for extra in (b"", b"Connection: close\r\n"):
    answers = []
    for path in (b"/validate", b"/validate?timeout=10s"):
        t = tls()
        t.sendall(b"POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n%sContent-Length: %d\r\n\r\n" % (path, extra, len(body)) + body)
        answers.append(answer(t))
    assert answers[0] == answers[1], answers
    assert (b"Connection: close" in answers[0][0]) == bool(extra), answers[0][0]
print("100-continue, trickle, query string ok")
PY
healthz_ok "100-continue / trickle"

note "metrics: counters moved, certificate expiry exported"
m=$(metric 'gopreflight_webhook_reviews_total{endpoint="mutate",operation="CREATE",kind="Pod",decision="patched"}')
[ "${m:-0}" -ge 2 ] || fail "patched mutate reviews metric: ${m:-missing}"
m=$(metric 'gopreflight_webhook_http_responses_total{code="413"}'); [ "${m:-0}" -ge 1 ] || fail "413 metric"
na=$(metric gopreflight_webhook_certificate_not_after_seconds)
[ "${na:-0}" -gt "$(date +%s)" ] || fail "certificate notAfter metric: ${na:-missing}"
grep -q '"msg":"admission review","decision":"patched","endpoint":"mutate","kind":"Pod"' "$LOG" || fail "decision log line"
kill -0 "$SERVER_PID" || fail "server died"

# tls_refused WHAT [curl args...]: the TLS handshake is refused with an alert (curl exit 35 or 56
# and the alert in its error), and the server is still running: a crashed or absent server,
# whose curl exit is 7, fails the check.
tls_refused() {
  local what=$1 rc=0; shift
  curl -sS -o /dev/null --max-time 10 --cacert "$WORK/ca.crt" --resolve "$SVC:$PORT:127.0.0.1" "$@" \
    "https://$SVC:$PORT/healthz" 2>"$WORK/refused.err" || rc=$?
  { [ "$rc" = 35 ] || [ "$rc" = 56 ]; } || fail "$what: curl exit $rc, want a TLS refusal (35/56): $(cat "$WORK/refused.err")"
  grep -Eq "alert (certificate required|unknown ca|bad certificate|handshake failure)" "$WORK/refused.err" ||
    fail "$what: no TLS alert in curl's error: $(cat "$WORK/refused.err")"
  kill -0 "$SERVER_PID" 2>/dev/null || fail "$what: the server is not running"
  echo "ok: $what refused: $(tr -d '\n' < "$WORK/refused.err" | grep -Eo 'alert [a-z ]*' | head -1)"
}

note "--client-ca-file: a client without a certificate from the CA is refused"
stop_server
make_client apiserver
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -keyout "$WORK/rogue.key" \
  -out "$WORK/rogue.crt" -subj /CN=rogue 2>/dev/null
: > "$LOG"
cp "$WORK/ca.crt" "$WORK/client-ca.pem"
"$BIN" serve --listen 127.0.0.1:0 --tls-cert-file "$WORK/secret/tls.crt" --tls-private-key-file "$WORK/secret/tls.key" \
  --client-ca-file "$WORK/client-ca.pem" --reload-interval-ms 100 --policy "$T/policy.yaml" >"$LOG" 2>&1 &
SERVER_PID=$!
for i in $(seq 1 100); do
  PORT=$(sed -n 's/.*"msg":"serving".*"listen":"127\.0\.0\.1:\([0-9]*\)".*/\1/p' "$LOG" | head -1)
  [ -n "$PORT" ] && break; sleep 0.05
done
[ -n "$PORT" ] || fail "server with --client-ca-file did not start"
tls_refused "no client certificate"
tls_refused "a client certificate from another CA" --cert "$WORK/rogue.crt" --key "$WORK/rogue.key"
[ "$(code POST /validate --cert "$WORK/apiserver.crt" --key "$WORK/apiserver.key" "${J[@]}" --data-binary @"$T/pod-review.json")" = 200 ] ||
  fail "client certificate from the CA refused"

note "--client-ca-file is re-read when it changes: a new CA in force without a restart; a broken file keeps it"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -keyout "$WORK/ca2.key" -out "$WORK/ca2.crt" \
  -subj "/CN=gopreflight test client CA 2" -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$WORK/apiserver2.key" -out "$WORK/apiserver2.csr" \
  -subj "/CN=kube-apiserver" 2>/dev/null
printf 'extendedKeyUsage=clientAuth\nbasicConstraints=critical,CA:FALSE\n' > "$WORK/apiserver2.ext"
openssl x509 -req -in "$WORK/apiserver2.csr" -CA "$WORK/ca2.crt" -CAkey "$WORK/ca2.key" -CAcreateserial -days 2 \
  -out "$WORK/apiserver2.crt" -extfile "$WORK/apiserver2.ext" 2>/dev/null
tls_refused "CA 2 before it is installed" --cert "$WORK/apiserver2.crt" --key "$WORK/apiserver2.key"
cp "$WORK/ca2.crt" "$WORK/client-ca.pem.tmp" && mv "$WORK/client-ca.pem.tmp" "$WORK/client-ca.pem"
for i in $(seq 1 100); do grep -q '"msg":"client CA reloaded"' "$LOG" && break; sleep 0.05; done
grep -q '"msg":"client CA reloaded"' "$LOG" || fail "client CA change not picked up"
[ "$(code POST /validate --cert "$WORK/apiserver2.crt" --key "$WORK/apiserver2.key" "${J[@]}" --data-binary @"$T/pod-review.json")" = 200 ] ||
  fail "client certificate from the new CA refused after the reload"
tls_refused "the old CA after the reload" --cert "$WORK/apiserver.crt" --key "$WORK/apiserver.key"
echo "not a certificate" > "$WORK/client-ca.pem.tmp" && mv "$WORK/client-ca.pem.tmp" "$WORK/client-ca.pem"
for i in $(seq 1 100); do grep -q '"msg":"client CA reload failed; keeping the previous one"' "$LOG" && break; sleep 0.05; done
grep -q '"msg":"client CA reload failed; keeping the previous one".*no PEM CA certificate found' "$LOG" || fail "broken client CA file not reported"
[ "$(code GET /healthz --cert "$WORK/apiserver2.crt" --key "$WORK/apiserver2.key")" = 200 ] || fail "previous client CA not kept"
curl -sS --cacert "$WORK/ca.crt" --cert "$WORK/apiserver2.crt" --key "$WORK/apiserver2.key" --resolve "$SVC:$PORT:127.0.0.1" \
  "https://$SVC:$PORT/metrics" > "$WORK/metrics-ca.txt" || fail "metrics with the new client certificate"
grep -qx 'gopreflight_webhook_certificate_reloads_total{result="success"} 1' "$WORK/metrics-ca.txt" || fail "client CA reload not counted"
grep -qx 'gopreflight_webhook_certificate_reloads_total{result="failure"} 1' "$WORK/metrics-ca.txt" || fail "broken client CA not counted"
stop_server

note "--max-connections 2: a third connection waits, accepted, until one of the two closes; the wait queue is bounded and has a deadline"
start_server --max-connections 2 --worker-threads 1 --handshake-timeout 2
PYTHONPATH=$HERE python3 - "$PORT" "$T/pod-review.json" <<'PY' || fail "--max-connections queue"
import socket, ssl, sys, time
from rawhttp import answer
port, review = int(sys.argv[1]), open(sys.argv[2], "rb").read()
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
def get(t, path):
    t.sendall(b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path)
    head, body = answer(t)
    return head + b"\r\n\r\n" + body
a = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="x"); a.settimeout(5)
b = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="x"); b.settimeout(5)
assert get(a, b"/healthz").startswith(b"HTTP/1.1 200") and get(b, b"/healthz").startswith(b"HTTP/1.1 200")
# The third TCP connection is accepted by the kernel, but its TLS handshake waits for a slot.
c = socket.create_connection(("127.0.0.1", port)); c.settimeout(1)
c.sendall(b"\x16\x03\x01\x00\x05hello")  # the start of a ClientHello: no answer while queued
try:
    early = c.recv(10)
except socket.timeout:
    early = None
assert early is None, "a third connection was served beyond --max-connections: %r" % early
m = get(a, b"/metrics").decode()
vals = {l.split()[0]: float(l.split()[1]) for l in m.splitlines() if l.startswith("gopreflight_webhook_connections_")}
assert vals.get("gopreflight_webhook_connections_active") == 2 and vals.get("gopreflight_webhook_connections_queued") == 1, vals
c.close()
b.close()
t0 = time.time()
d = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="x"); d.settimeout(5)
assert get(d, b"/healthz").startswith(b"HTTP/1.1 200")
assert time.time() - t0 < 2, "a freed slot took %.1fs to be reused" % (time.time() - t0)
# The wait queue holds as many as --max-connections (2): a third waiter closes the oldest, and
# waiters past the handshake deadline (2 s here) are closed too.
def closed(s, wait):
    s.settimeout(wait)
    try:
        return s.recv(10) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False
q = [socket.create_connection(("127.0.0.1", port)) for _ in range(3)]
time.sleep(0.3)
assert closed(q[0], 1), "the oldest queued connection was not closed when the queue was full"
assert not closed(q[2], 0.5), "the newest queued connection was closed early"
t0 = time.time()
assert closed(q[1], 5) and closed(q[2], 5), "queued connections not closed at the handshake deadline"
assert time.time() - t0 < 3, "queued connections closed %.1fs late" % (time.time() - t0)
m = get(a, b"/metrics").decode()
vals = {l.split()[0]: float(l.split()[1]) for l in m.splitlines() if l.startswith("gopreflight_webhook_connections_")}
assert vals.get('gopreflight_webhook_connections_closed_total{reason="queue_full"}') == 1, vals
assert vals.get('gopreflight_webhook_connections_closed_total{reason="queue_deadline"}') == 2, vals
assert vals.get("gopreflight_webhook_connections_queued") == 0, vals
# While a connection waits, a slot held by one that never sent a byte is given to it after 1 s
# (not at that one's handshake deadline); the slot of a connection that served a request is kept.
d.close()
time.sleep(0.3)
silent = socket.create_connection(("127.0.0.1", port))  # takes the free slot, sends nothing
time.sleep(0.3)
t0 = time.time()
e = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="x"); e.settimeout(5)
assert get(e, b"/healthz").startswith(b"HTTP/1.1 200")
waited = time.time() - t0
assert closed(silent, 2), "the silent connection kept its slot"
m = get(a, b"/metrics").decode()
vals = {l.split()[0]: float(l.split()[1]) for l in m.splitlines() if l.startswith("gopreflight_webhook_connections_")}
assert vals.get('gopreflight_webhook_connections_closed_total{reason="evicted"}') == 1, vals
assert vals.get('gopreflight_webhook_connections_closed_total{reason="handshake_deadline"}', 0) == 0, vals
print("a waiting connection was served after %.1fs: the silent one made room" % waited)
print("connection limit ok")
PY
stop_server

note "a multi-MiB review is evaluated on a helper thread: the other connections of its loop do not wait (--worker-threads 1)"
start_server --worker-threads 1 --max-body-bytes 16777216
PYTHONPATH=$HERE python3 - "$PORT" "$T/deployment-review.json" "$LOG" <<'PY' || fail "large review held up other connections"
import json, re, sys, threading, time
from rawhttp import answer, tls as tls_to
port, review_path, log_path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
def tls(): return tls_to(port, 60)
def attempt(entries):
    """Sends a review with `entries` env entries (the engine reads it whole before refusing the
    list: 400) while /healthz goes back to back on another connection; returns the engine's
    latency_ms from the decision log and the /healthz round trips meanwhile."""
    r = json.load(open(review_path))
    uid = "large-review-offload-%d" % entries
    r["request"]["uid"] = uid
    r["request"]["object"]["spec"]["template"]["spec"]["containers"][0]["env"] = [{"name": "V%d" % i, "value": "x%d" % i} for i in range(entries)]
    big = json.dumps(r).encode()
    a, b = tls(), tls()
    done = {}
    def big_review():
        a.sendall(b"POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(big) + big)
        done["status"] = answer(a)[0].split(b" ")[1]
    th = threading.Thread(target=big_review); th.start()
    rtts = []
    while "status" not in done:  # /healthz on the other connection, back to back, all along
        t0 = time.time(); b.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"); answer(b); rtts.append(time.time() - t0)
    th.join()
    a.close(); b.close()
    assert done["status"] == b"400", done
    for _ in range(50):
        m = re.findall(r'"latency_ms":([0-9.]+)[^\n]*"uid":"%s"' % uid, open(log_path).read())
        if m: return float(m[-1]), rtts, len(big)
        time.sleep(0.1)
    raise AssertionError("the large review's decision line (uid %s) is not in the log" % uid)
# The review must keep the engine busy long enough to see whether /healthz waits behind it (>= 20
# ms, and aiming at 50 ms: a /healthz round trip on this loaded 2-CPU machine can take 15 ms by
# itself): it starts at 90,000 env entries (~3.4 MB) and doubles while the engine is faster than
# that, up to 360,000 (~14 MB: the engine reads at most 16 MiB).
entries = 90000
while True:
    latency, rtts, size = attempt(entries)
    if latency >= 50 or entries >= 90000 * 4:
        break
    entries *= 2
assert latency >= 20, "even a %d-byte review took the engine only %.1f ms: too fast to tell" % (size, latency)
worst = max(rtts) * 1000
assert worst < latency / 2, "/healthz waited %.1f ms behind a review the engine took %.1f ms for" % (worst, latency)
print("large review (%d bytes, %.0f ms in the engine) on a helper thread: %d /healthz meanwhile, slowest %.1f ms" % (size, latency, len(rtts), worst))
PY
stop_server

note "--max-body-bytes 4096: a 4096-byte body is judged, 4097 bytes are refused (413) before the body is read"
start_server --policy "$T/policy.yaml" --max-body-bytes 4096 --write-timeout 2
PYTHONPATH=$HERE python3 - "$PORT" "$T/pod-review.json" <<'PY' || fail "--max-body-bytes"
import sys
from rawhttp import answer, tls
port, review = int(sys.argv[1]), open(sys.argv[2], "rb").read().strip()
assert len(review) < 4096, len(review)
H = b"POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
t = tls(port)
body = review + b" " * (4096 - len(review))
t.sendall(H % len(body) + body)
head, got = answer(t)
assert head.startswith(b"HTTP/1.1 200") and b'"kind":"AdmissionReview"' in got, head
t = tls(port)
body = review + b" " * (4097 - len(review))
t.sendall(H % len(body))  # headers only: the refusal must not wait for the body
head, got = answer(t)
assert head.startswith(b"HTTP/1.1 413") and b"Connection: close" in head, head
assert b"4096 bytes, --max-body-bytes" in got, got
print("max body ok")
PY

note "--write-timeout 2: a client that stops reading its answers is cut at the write deadline"
PYTHONPATH=$HERE python3 - "$PORT" <<'PY' || fail "--write-timeout"
import socket, ssl, sys, time
from rawhttp import _ctx
port = int(sys.argv[1])
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(("127.0.0.1", port))
t = _ctx.wrap_socket(s, server_hostname="x")
# 3,000 pipelined /metrics requests (~10 MB of answers), none read: the server's writes stall.
t.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n" * 3000)
time.sleep(5)
t.settimeout(10)
got, t0 = 0, time.time()
try:
    while True:
        d = t.recv(65536)
        if not d:
            break
        got += len(d)
except (ssl.SSLError, ConnectionResetError, socket.timeout) as e:
    assert not isinstance(e, socket.timeout), "connection still open 15 s after the client stopped reading"
assert got < 3000 * 3000, "all %d bytes arrived: the writes never stalled" % got
print("write deadline: cut after %d bytes" % got)
PY
m=$(metric 'gopreflight_webhook_connections_closed_total{reason="write_deadline"}')
[ "${m:-0}" -ge 1 ] || fail "no connection closed at the write deadline (metric ${m:-missing})"
stop_server
echo "PASS: it_basic"
