#!/usr/bin/env bash
# Gate: reviews/s of `gopreflight-webhook serve` as a fraction of what nginx answers on the same
# machine, in the same run, over the same TLS (one openssl-made P-256 certificate), to the same
# client (wrk -t2 -c32, keep-alive, POSTing the 4.4 KB Deployment review to /validate). nginx
# (Debian nginx-light) answers `return 200` with a fixed AdmissionReview: the ceiling of TLS +
# HTTP on this machine. Absolute rates vary by a third from hour to hour on shared machines; the
# ratio of two servers measured turn about does not. ROUNDS rounds, each ours, nginx, nginx, ours
# for DURATION s each; a round's ratio is ours' total over nginx's; the figure is the median of
# the rounds' ratios.
# Bound (bounds.txt): server_ratio_min.
# Usage: [ROUNDS=3] [DURATION=3] server.sh PATH/TO/gopreflight-webhook   (needs nginx, wrk)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"
bin=${1:?usage: server.sh PATH/TO/gopreflight-webhook}
rounds=${ROUNDS:-3}
duration=${DURATION:-3}
[ -x "$bin" ] || { gate_fail server "$bin is not an executable"; exit 1; }
nginx=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$nginx" ] || { gate_fail server "nginx is not installed (Debian nginx-light; bash .ci/setup-deps.sh test)"; exit 1; }
command -v wrk >/dev/null || { gate_fail server "wrk is not installed (bash .ci/setup-deps.sh test)"; exit 1; }
bound=$(gate_bound server_ratio_min) || exit 1
review=$root/tests/server/testdata/deployment-review.json

work=$(mktemp -d /tmp/gopreflight-gate-server.XXXXXX)
ours_pid= nginx_pid=
cleanup() {
  [ -n "$ours_pid" ] && { kill -TERM "$ours_pid" 2>/dev/null; wait "$ours_pid" 2>/dev/null; }
  [ -n "$nginx_pid" ] && { kill -TERM "$nginx_pid" 2>/dev/null; wait "$nginx_pid" 2>/dev/null; }
  rm -rf "$work"
}
trap cleanup EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -keyout "$work/tls.key" \
  -out "$work/tls.crt" -subj /CN=gopreflight-webhook.gopreflight.svc \
  -addext "subjectAltName=DNS:gopreflight-webhook.gopreflight.svc,IP:127.0.0.1" 2>/dev/null

# Ours, as the server benchmark runs it (built-in policy, info logs: one JSON line per decision).
ours_port=$(gate_free_port)
"$bin" serve --listen "127.0.0.1:$ours_port" --tls-cert-file "$work/tls.crt" \
  --tls-private-key-file "$work/tls.key" >"$work/ours.log" 2>&1 &
ours_pid=$!

# nginx's answer: the AdmissionReview ours gives for this review (allowed, with a GOMEMLIMIT
# warning), so both send the same bytes.
for _ in $(seq 1 100); do
  curl -sfk "https://127.0.0.1:$ours_port/readyz" >/dev/null 2>&1 && break
  kill -0 "$ours_pid" 2>/dev/null || break
  sleep 0.05
done
answer=$(curl -sfk -H 'Content-Type: application/json' --data-binary @"$review" \
  "https://127.0.0.1:$ours_port/validate") ||
  { cat "$work/ours.log"; gate_fail server "gopreflight-webhook did not answer on 127.0.0.1:$ours_port"; exit 1; }
grep -q '"allowed":true,"warnings":\[".*GOMEMLIMIT' <<<"$answer" ||
  { gate_fail server "unexpected answer from gopreflight-webhook: $answer"; exit 1; }

# nginx: as many workers as ours has CPUs, keep-alive without a request limit (wrk never
# reconnects to either), no access log (a ceiling), its own prefix for pid and temp files.
nginx_port=$(gate_free_port)
mkdir -p "$work/nginx/logs" "$work/nginx/tmp"
printf '%s' "$answer" >"$work/nginx/answer.json"
# The answer as the inside of an nginx single-quoted string (backslash and quote escaped; a '$'
# would start a variable, and is checked below by comparing nginx's answer with ours).
nginx_quote() { python3 -c 'import sys; print(open(sys.argv[1]).read().replace("\\", "\\\\").replace("'"'"'", "\\'"'"'"), end="")' "$1"; }
cat >"$work/nginx/nginx.conf" <<NGINX
worker_processes $(nproc);
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/nginx/tmp/body;
  proxy_temp_path $work/nginx/tmp/proxy;
  fastcgi_temp_path $work/nginx/tmp/fastcgi;
  uwsgi_temp_path $work/nginx/tmp/uwsgi;
  scgi_temp_path $work/nginx/tmp/scgi;
  keepalive_requests 100000000;
  keepalive_timeout 300s;
  client_max_body_size 4m;
  client_body_buffer_size 64k;
  server {
    listen 127.0.0.1:$nginx_port ssl;
    ssl_certificate $work/tls.crt;
    ssl_certificate_key $work/tls.key;
    default_type application/json;
    location / { return 200 '$(nginx_quote "$work/nginx/answer.json")'; }
  }
}
NGINX
"$nginx" -p "$work/nginx" -c "$work/nginx/nginx.conf" >"$work/nginx/stdout" 2>&1 &
nginx_pid=$!
for _ in $(seq 1 100); do
  curl -sfk "https://127.0.0.1:$nginx_port/validate" -o /dev/null 2>/dev/null && break
  kill -0 "$nginx_pid" 2>/dev/null || break
  sleep 0.05
done
nginx_answer=$(curl -sfk -H 'Content-Type: application/json' --data-binary @"$review" "https://127.0.0.1:$nginx_port/validate") ||
  { cat "$work/nginx/stdout" "$work/nginx/logs/error.log" 2>/dev/null; gate_fail server "nginx did not answer on 127.0.0.1:$nginx_port"; exit 1; }
[ "$nginx_answer" = "$answer" ] || { gate_fail server "nginx's answer differs from ours: $nginx_answer"; exit 1; }

# run_wrk NAME PORT SECONDS: reviews/s, or fails on any non-2xx answer or socket error.
run_wrk() {
  REVIEW=$review wrk -t2 -c32 -d"$3s" -s "$root/tests/server/post.lua" "https://127.0.0.1:$2/validate" >"$work/wrk.$1" 2>&1 ||
    { cat "$work/wrk.$1" >&2; return 1; }
  if grep -qE "Non-2xx|Socket errors" "$work/wrk.$1"; then
    cat "$work/wrk.$1" >&2; echo "gates: wrk against $1 saw errors (above)" >&2; return 1
  fi
  awk '/Requests\/sec/ {print $2}' "$work/wrk.$1"
}
echo "gate server: machine $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg); $rounds rounds of 4 x ${duration}s: wrk -t2 -c32 POST $(wc -c <"$review") bytes"
run_wrk ours "$ours_port" 2 >/dev/null && run_wrk nginx "$nginx_port" 2 >/dev/null ||
  { gate_fail server "warm-up failed"; exit 1; }
ratios=()
for r in $(seq 1 "$rounds"); do
  # ours, nginx, nginx, ours: a load that grows or shrinks through the round weighs on both alike.
  o1=$(run_wrk ours "$ours_port" "$duration") || { gate_fail server "wrk against gopreflight-webhook failed"; exit 1; }
  n1=$(run_wrk nginx "$nginx_port" "$duration") || { gate_fail server "wrk against nginx failed"; exit 1; }
  n2=$(run_wrk nginx "$nginx_port" "$duration") || { gate_fail server "wrk against nginx failed"; exit 1; }
  o2=$(run_wrk ours "$ours_port" "$duration") || { gate_fail server "wrk against gopreflight-webhook failed"; exit 1; }
  ratio=$(awk -v a="$o1" -v b="$o2" -v c="$n1" -v d="$n2" 'BEGIN {printf "%.3f", (a + b) / (c + d)}')
  ratios+=("$ratio")
  echo "gate server: round $r: gopreflight-webhook $o1, $o2 reviews/s; nginx $n1, $n2 answers/s; ratio $ratio"
done
median=$(printf '%s\n' "${ratios[@]}" | sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}')
gate_check server "$median" ">=" "$bound" "x nginx's rate" "median of $rounds rounds: ${ratios[*]}"
