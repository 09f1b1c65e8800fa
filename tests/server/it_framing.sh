#!/usr/bin/env bash
# Issue 10 over real TLS: every framing the apiserver, kubelet and Prometheus do not send is
# refused with its 4xx and the connection closed, nothing behind it is served; decompression
# bombs (gzip, br) are refused without the server's memory growing; Connection: close closes;
# a body over --max-body-bytes is refused whatever its framing.
source "$(dirname "$0")/lib.sh"
setup_serving
start_server --policy "$T/policy.yaml" --max-body-bytes 1000000

note "refused framings: status, then the connection closed; a request pipelined behind is never answered"
PYTHONPATH=$HERE python3 - "$PORT" "$T/pod-review.json" "$LOG" <<'PY' || fail "framing refusals"
import re, sys, time
from rawhttp import tls, until_closed
answers = lambda data: len(re.findall(rb"(?:^|\r\n)HTTP/1\.1 \d{3} ", data))
port, review, log = int(sys.argv[1]), open(sys.argv[2], "rb").read(), sys.argv[3]
H = b"POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
NEXT = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"  # must never be answered after a refusal
cases = [
    ("chunked", H + b"Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n", 411),
    ("Transfer-Encoding with Content-Length", H + b"Transfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n{}", 400),
    ("two equal Content-Length", H + b"Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}", 400),
    ("two different Content-Length", H + b"Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}x", 400),
    ("Content-Length list", H + b"Content-Length: 2, 2\r\n\r\n{}", 400),
    ("Content-Length not a number", H + b"Content-Length: 0x2\r\n\r\n{}", 400),
    ("obs-fold", H + b"X-A: 1\r\n folded\r\nContent-Length: 2\r\n\r\n{}", 400),
    ("bare LF in a header line", H + b"X-A: 1\nContent-Length: 2\r\n\r\n{}", 400),
    ("bare LF ending the headers", H + b"Content-Length: 2\n\n{}", 400),
    ("Content-Encoding gzip", H + b"Content-Encoding: gzip\r\nContent-Length: 2\r\n\r\n{}", 415),
    ("Content-Encoding on the query path", H.replace(b"/validate", b"/validate?x") + b"Content-Encoding: br\r\nContent-Length: 2\r\n\r\n{}", 415),
    ("HTTP/1.0", b"POST /validate HTTP/1.0\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}", 505),
    ("no Host", b"GET /healthz HTTP/1.1\r\n\r\n", 400),
    ("a body on GET", b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}", 400),
    ("POST without a length", H + b"\r\n", 411),
    ("body over --max-body-bytes (Content-Length)", H + b"Content-Length: 1000001\r\n\r\n" + b" " * 1000, 413),
    ("body over --max-body-bytes (chunked)", H + b"Transfer-Encoding: chunked\r\n\r\nf4241\r\n" + b" " * 1000, 411),
    ("absolute-form target", b"GET https://x/healthz HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("header block over 16 KiB", b"GET /healthz HTTP/1.1\r\nHost: x\r\nX: " + b"a" * 17000 + b"\r\n\r\n", 431),
]
for name, req, want in cases:
    t = tls(port)
    t.sendall(req + NEXT)
    data, closed = until_closed(t, 5)
    status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/1.1 ") else None
    assert status == want, "%s: got %r, want %d" % (name, data[:80], want)
    assert closed, "%s: connection left open after the refusal" % name
    assert answers(data) == 1, "%s: %d answers (a request behind the refusal was served)" % (name, answers(data))
    assert b"Connection: close" in data.split(b"\r\n\r\n")[0], "%s: the refusal does not say Connection: close" % name
    print("ok: %s -> %d, closed" % (name, want))

# The issue's hidden request: chunk size "0x5bc" once read as 0 here and 0x5bc by httplib, which
# then served the POST inside the chunk data.
hidden = (b"POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(review)
          + review.replace(b'"uid"', b'"uid":"HIDDEN-REQUEST-UID","x"', 1))
attack = H.replace(b"/validate", b"/validate?x") + b"Transfer-Encoding: chunked\r\n\r\n0x5bc\r\n\r\n" + hidden
t = tls(port)
t.sendall(attack)
data, closed = until_closed(t)
assert closed, "the connection stayed open after the 411"
assert answers(data) == 1 and data.startswith(b"HTTP/1.1 411"), data[:200]
assert b"HIDDEN-REQUEST-UID" not in data
time.sleep(1.2)  # decision lines are flushed at least every second
assert "HIDDEN-REQUEST-UID" not in open(log).read(), "the hidden request was evaluated"
print("ok: the 0x5bc hidden request is not served")

# Connection: close on a good request: answered, then closed.
t = tls(port)
t.sendall(H + b"Connection: close\r\nContent-Length: %d\r\n\r\n" % len(review) + review + NEXT)
data, closed = until_closed(t)
assert closed, "Connection: close left the connection open"
assert data.startswith(b"HTTP/1.1 200") and answers(data) == 1, data[:200]
print("ok: Connection: close answered once, then closed")

# Well framed but wrong (404, 405, 415): answered, and the connection serves the next request.
from rawhttp import answer
t = tls(port)
for req, want in ((b"POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\n{}", b"415"),
                  (b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}", b"405"),
                  (b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n", b"404"), (NEXT, b"200")):
    t.sendall(req)
    head, body = answer(t)
    assert head.split(b" ")[1] == want and b"Connection: close" not in head, (want, head)
print("ok: 415/405/404 keep the connection (the request was framed)")

# 500 pipelined requests in one write: the server reads one request at a time (the rest wait
# in OpenSSL's and the kernel's buffers), and answers every one, in order.
t = tls(port, 20)
t.sendall((H + b"Content-Length: %d\r\n\r\n" % len(review) + review + NEXT) * 250)
for i in range(500):
    head, body = answer(t)
    assert head.startswith(b"HTTP/1.1 200"), (i, head)
    assert (b'"kind":"AdmissionReview"' in body) == (i % 2 == 0), (i, body[:80])
print("ok: 500 pipelined requests answered in order")

# Large bodies arriving slowly hold their buffers: together at most 32 MiB (the budget), the
# next large one is refused with 503 before its body is read; the budget comes back when
# they end. 40 clients announce 1,000,000-byte bodies and send 100 KB of each.
import socket
slow = []
for i in range(40):
    t = tls(port, 10)
    t.sendall(H + b"Content-Length: 1000000\r\n\r\n" + b" " * 100000)
    slow.append(t)
time.sleep(0.5)
refused = 0
for t in slow:
    t.settimeout(0.2)
    try:
        d = t.recv(100)
    except socket.timeout:
        continue
    assert d.startswith(b"HTTP/1.1 503"), d
    refused += 1
assert 5 <= refused <= 8, "%d of 40 slow 1 MB uploads refused; want the 7 beyond 32 MiB" % refused
for t in slow:
    t.close()
time.sleep(0.5)
t = tls(port, 20)
big = review + b" " * 500000
t.sendall(H + b"Content-Length: %d\r\n\r\n" % len(big) + big)
head, body = answer(t)
assert head.startswith(b"HTTP/1.1 200"), head
print("ok: %d of 40 slow 1 MB uploads refused (503) beyond the 32 MiB budget; a large review passes once they end" % refused)
PY
healthz_ok "framing refusals"

note "decompression bombs (512 MiB of zeros as gzip and br): refused (415), server memory does not grow"
rss() { awk '/^VmRSS:/ {print $2}' "/proc/$SERVER_PID/status"; }
before=$(rss)
PYTHONPATH=$HERE python3 - "$PORT" "$T/bomb-512m.br" <<'PY' || fail "bombs"
import sys, zlib
from rawhttp import tls, until_closed
port, br = int(sys.argv[1]), open(sys.argv[2], "rb").read()
z = zlib.compressobj(9, zlib.DEFLATED, 31)  # gzip framing
chunk = b"\0" * (1 << 20)
gz = b"".join(z.compress(chunk) for _ in range(512)) + z.flush()
for name, body in (("gzip", gz), ("br", br)):
    for path in (b"/validate", b"/validate?x", b"/mutate"):
        t = tls(port, 20)
        t.sendall(b"POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Encoding: %s\r\n"
                  b"Content-Length: %d\r\n\r\n" % (path, name.encode(), len(body)) + body)
        data, _ = until_closed(t)
        assert data.startswith(b"HTTP/1.1 415"), (name, path, data[:100])
    print("ok: %s bomb (%d bytes sent, 512 MiB inflated) -> 415" % (name, len(body)))
PY
after=$(rss)
echo "server RSS before the bombs ${before} KiB, after ${after} KiB"
[ $((after - before)) -lt 20480 ] || fail "RSS grew by $(((after - before) / 1024)) MiB under the bombs"
healthz_ok "bombs"
stop_server
echo "PASS: it_framing"
