#!/usr/bin/env bash
# Benchmark of `gopreflight-webhook serve`: wrk -t2 -c32 (keep-alive) for ${DURATION:-30}s posting a
# realistic 4.4 KB Deployment AdmissionReview to /validate over TLS, built-in policy, info logs
# (one JSON line per decision) to a file. Prints reviews/s, latency percentiles, RSS after the run.
# Targets (issue 4): >= 15,000 reviews/s, p99 <= 5 ms, RSS <= 64 MiB.
# Usage: [DURATION=S] [SERVER_ARGS="--flag ..."] run.sh PATH/TO/gopreflight-webhook [validate|mutate]
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
"$BIN" serve --listen 127.0.0.1:0 --tls-cert-file "$WORK/tls.crt" --tls-private-key-file "$WORK/tls.key" ${SERVER_ARGS:-} \
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
# wrk runs on the same cores: its CPU (user+sys, from the `times` of a subshell whose only child
# is wrk, so the figure covers wrk's whole life) bounds what this machine can show.
# PERF_STAT=1: also count context switches per request with `perf stat` (thread-per-connection
# servers pay at least one per request; wrk, with epoll, far less).
WRAP=()
if [ "${PERF_STAT:-0}" = 1 ]; then
  perf stat -x, -e context-switches -p "$PID" -o "$WORK/perf.server" -- sleep "$DURATION" &
  PERF_PID=$!
  WRAP=(perf stat -x, -e context-switches -o "$WORK/perf.wrk" --)
fi
( REVIEW=$REVIEW "${WRAP[@]}" wrk -t2 -c32 -d"${DURATION}s" --latency -s "$ROOT/tests/server/post.lua" "$URL" > "$WORK/wrk.out"
  times > "$WORK/wrk.times" )
[ -n "${PERF_PID:-}" ] && wait "$PERF_PID"
c1=$(cpu_ticks)
cat "$WORK/wrk.out"
total=$(awk '/requests in/ {print $1}' "$WORK/wrk.out")
# Server CPU per review is the figure that does not depend on what else runs on the machine.
cpu_us=$(awk -v a="$c0" -v b="$c1" -v hz="$HZ" -v n="$total" 'BEGIN {printf "%.1f", (b - a) / hz * 1e6 / n}')
# `times` line 2: children's user and system time, e.g. "0m12.345s 0m6.789s".
wrk_cpu_s=$(awk 'NR == 2 {t = 0; for (i = 1; i <= 2; i++) {split($i, a, "m"); sub("s", "", a[2]); t += a[1] * 60 + a[2]}; print t}' "$WORK/wrk.times")
wrk_cpu_us=$(awk -v s="$wrk_cpu_s" -v n="$total" 'BEGIN {printf "%.1f", s * 1e6 / n}')
server_busy=$(awk -v a="$c0" -v b="$c1" -v hz="$HZ" -v d="$DURATION" 'BEGIN {printf "%.2f", (b - a) / hz / d}')
wrk_busy=$(awk -v s="$wrk_cpu_s" -v d="$DURATION" 'BEGIN {printf "%.2f", s / d}')
rps=$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk.out")
p99=$(awk '$1 == "99%" {print $2}' "$WORK/wrk.out")
hwm=$(awk '/VmHWM/ {print $2}' /proc/$PID/status)
rss=$(awk '/VmRSS/ {print $2}' /proc/$PID/status)
errors=$(grep -E "Non-2xx|Socket errors" "$WORK/wrk.out" || true)
echo "RESULT endpoint=/$ENDPOINT reviews_per_s=$rps p99=$p99 server_cpu_us_per_review=$cpu_us wrk_cpu_us_per_request=$wrk_cpu_us cores_busy_server=$server_busy cores_busy_wrk=$wrk_busy rss_after_kib=$rss peak_rss_kib=$hwm load_after=\"$(cut -d' ' -f1-3 /proc/loadavg)\" ${errors:+errors=\"$errors\"}"
echo "targets: >= 15000 reviews/s, p99 <= 5ms, RSS <= 65536 KiB"
if [ "${PERF_STAT:-0}" = 1 ]; then
  for who in server wrk; do
    awk -F, -v n="$total" -v who="$who" '$3 ~ /^context-switches/ {c = $1}
      END {printf "perf %s: %.2f context switches/request\n", who, c / n}' "$WORK/perf.$who"
  done
fi
# With $(nproc) cores shared by server and wrk, reviews/s cannot exceed cores / (server + wrk CPU per request).
awk -v n="$(nproc)" -v a="$cpu_us" -v b="$wrk_cpu_us" 'BEGIN {printf "ceiling on this machine: %d reviews/s (%d cores / (%.1f + %.1f us))\n", n * 1e6 / (a + b), n, a, b}'
# The figures above are only worth something if every request was answered 2xx: errors fail.
# (The bound on throughput is the gate's: tests/bench/gates/server.sh.)
if [ -n "$errors" ] || [ "${total:-0}" -eq 0 ]; then
  echo "bench-server: FAIL: ${errors:-no requests completed}" >&2
  exit 1
fi

