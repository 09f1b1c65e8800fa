#!/usr/bin/env bash
# Benchmark of `gopreflight-webhook serve`: wrk -t2 -c32 (keep-alive) for ${DURATION:-30}s posting a
# realistic 4.4 KB Deployment AdmissionReview to /validate over TLS, built-in policy, info logs
# (one JSON line per decision) to a file. Prints reviews/s, latency percentiles, RSS after the run.
# Targets (issue 4): >= 15,000 reviews/s, p99 <= 5 ms, RSS <= 64 MiB.
# Usage: run.sh PATH/TO/gopreflight-webhook [validate|mutate]
set -euo pipefail
BIN=${1:?usage: run.sh gopreflight-webhook [validate|mutate]}
ENDPOINT=${2:-validate}
DURATION=${DURATION:-30}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
REVIEW=$ROOT/tests/server/testdata/deployment-review.json
[ "$ENDPOINT" = mutate ] && REVIEW=$ROOT/tests/server/testdata/pod-review.json
WORK=$(mktemp -d /tmp/gopreflight-bench-server-XXXXXX)
PID=
cleanup() { [ -n "$PID" ] && kill -TERM "$PID" 2>/dev/null && wait "$PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -keyout "$WORK/tls.key" \
  -out "$WORK/tls.crt" -subj /CN=gopreflight-webhook.gopreflight.svc \
  -addext "subjectAltName=DNS:gopreflight-webhook.gopreflight.svc,IP:127.0.0.1" 2>/dev/null
"$BIN" serve --listen 127.0.0.1:0 --tls-cert-file "$WORK/tls.crt" --tls-private-key-file "$WORK/tls.key" \
  > "$WORK/server.log" 2>&1 &
PID=$!
for _ in $(seq 1 100); do
  PORT=$(sed -n 's/.*"msg":"serving".*"listen":"127\.0\.0\.1:\([0-9]*\)".*/\1/p' "$WORK/server.log" | head -1)
  [ -n "$PORT" ] && break
  sleep 0.05
done
[ -n "${PORT:-}" ] || { cat "$WORK/server.log"; exit 1; }
URL=https://127.0.0.1:$PORT/$ENDPOINT

echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "review: $(wc -c < "$REVIEW") bytes to /$ENDPOINT; server RSS at start: $(awk '/VmRSS/ {print $2" "$3}' /proc/$PID/status)"
REVIEW=$REVIEW wrk -t2 -c32 -d3s -s "$ROOT/tests/server/post.lua" "$URL" > /dev/null  # warm-up
cpu_ticks() { awk '{print $14 + $15}' /proc/$PID/stat; }
HZ=$(getconf CLK_TCK)
c0=$(cpu_ticks)
echo "command: REVIEW=$REVIEW wrk -t2 -c32 -d${DURATION}s --latency -s tests/server/post.lua $URL"
REVIEW=$REVIEW wrk -t2 -c32 -d"${DURATION}s" --latency -s "$ROOT/tests/server/post.lua" "$URL" | tee "$WORK/wrk.out"
c1=$(cpu_ticks)
total=$(awk '/requests in/ {print $1}' "$WORK/wrk.out")
# Server CPU per review is the figure that does not depend on what else runs on the machine.
cpu_us=$(awk -v a="$c0" -v b="$c1" -v hz="$HZ" -v n="$total" 'BEGIN {printf "%.1f", (b - a) / hz * 1e6 / n}')
rps=$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk.out")
p99=$(awk '$1 == "99%" {print $2}' "$WORK/wrk.out")
hwm=$(awk '/VmHWM/ {print $2}' /proc/$PID/status)
rss=$(awk '/VmRSS/ {print $2}' /proc/$PID/status)
errors=$(grep -E "Non-2xx|Socket errors" "$WORK/wrk.out" || true)
echo "RESULT endpoint=/$ENDPOINT reviews_per_s=$rps p99=$p99 server_cpu_us_per_review=$cpu_us rss_after_kib=$rss peak_rss_kib=$hwm load_after=\"$(cut -d' ' -f1-3 /proc/loadavg)\" ${errors:+errors=\"$errors\"}"
echo "targets: >= 15000 reviews/s, p99 <= 5ms, RSS <= 65536 KiB"
