#!/usr/bin/env bash
# SIGTERM with requests in flight: 8 Go clients are mid-upload (bodies trickle in over 3 s) and an
# idle keep-alive connection is open. During --shutdown-delay the server stays up but unready;
# then every in-flight request must complete with 200, and the server must exit 0 well before
# the grace period, without waiting for the idle connection's keep-alive timeout.
source "$(dirname "$0")/lib.sh"
setup_serving
build_goclient
start_server --policy "$T/policy.yaml" --shutdown-delay 1 --shutdown-grace-period 20 --keep-alive-timeout 120

note "idle keep-alive connection (TLS up, no request)"
python3 - "$PORT" > "$WORK/idle.out" 2>&1 <<'PY' &
import socket, ssl, sys, time
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1]))), server_hostname="x")
s.settimeout(20)
try:
    closed = s.recv(1) == b""
except (ssl.SSLError, OSError):
    closed = True
print("idle connection closed by server" if closed else "idle connection got data")
PY
IDLE=$!; PIDS+=("$IDLE")

note "8 slow in-flight requests"
"$GOCLIENT" -mode slow -n 8 -upload 3s -addr "127.0.0.1:$PORT" -ca "$WORK/ca.crt" -review "$T/pod-review.json" > "$WORK/slow.out" 2>&1 &
CLIENT=$!; PIDS+=("$CLIENT")
for i in $(seq 1 100); do grep -q started "$WORK/slow.out" && break; sleep 0.05; done
grep -q started "$WORK/slow.out" || fail "Go client did not start"

t0=$(date +%s.%N)
kill -TERM "$SERVER_PID"
sleep 0.3
[ "$(code GET /readyz)" = 503 ] || fail "readyz should be 503 while draining"
[ "$(code GET /healthz)" = 200 ] || fail "healthz should stay 200 while draining"

rc=0; wait "$CLIENT" || rc=$?
cat "$WORK/slow.out"
[ "$rc" = 0 ] || fail "in-flight requests failed during shutdown"
grep -q "slow ok: 8/8" "$WORK/slow.out" || fail "not all in-flight requests completed"

rc=0; wait "$SERVER_PID" || rc=$?
t1=$(date +%s.%N)
SERVER_PID=
elapsed=$(python3 -c "print(round($t1 - $t0, 2))")
echo "server exited rc=$rc after ${elapsed}s"
[ "$rc" = 0 ] || fail "server exit code $rc"
python3 -c "import sys; sys.exit(0 if $elapsed < 10 else 1)" || fail "shutdown took ${elapsed}s (idle connection held it?)"
wait "$IDLE" || true
grep -q "idle connection closed by server" "$WORK/idle.out" || fail "idle connection: $(cat "$WORK/idle.out")"
grep -q '"msg":"shutting down"' "$LOG" || fail "shutdown not logged"
grep -q '"msg":"stopped"' "$LOG" || fail "stop not logged"
[ "$(grep -c '"decision":"patched"' "$LOG")" = 8 ] || fail "expected 8 logged decisions"
echo "PASS: it_shutdown"
