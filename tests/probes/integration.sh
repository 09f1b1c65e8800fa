#!/usr/bin/env bash
# Probe integration: starts real redis-server (plain, TLS, with a password), PostgreSQL, etcd, an
# HTTPS server with openssl-made certificates and misbehaving peers on free loopback ports, then
# runs the doctest driver ($1) that probes them through the library. Cleans up on any exit.
# Usage: integration.sh path/to/probes_integration_test [doctest args]
set -euo pipefail
driver=${1:?usage: integration.sh probes_integration_test}
shift
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

need() { command -v "$1" >/dev/null 2>&1; }
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if ! need redis-server || ! need etcd || ! need openssl || ! need python3 || [ -z "$pgbin" ]; then
  bash "$root/.ci/setup-deps.sh" test
  pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
fi

work=$(mktemp -d /tmp/gp-probes.XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
  set +e
  [ -f "$work/late-redis.pid" ] && pids+=("$(cat "$work/late-redis.pid")")
  for d in pg pg-ssl; do  # the postmasters themselves, in case runuser did not pass the signal on
    [ -f "$work/$d/postmaster.pid" ] && pids+=("$(head -1 "$work/$d/postmaster.pid")")
  done
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Free loopback ports: bound together (so they differ), released just before use.
read -r P_REDIS P_REDISS P_REDIS_AUTH P_LATE P_PG P_PG_SSL P_ETCD P_ETCD_PEER P_HTTP P_HTTPS P_HTTPS_OTHER \
  P_SILENT P_BANNER P_CLOSE P_DRIP P_CLOSED < <(python3 - <<'EOF'
import socket
socks = []
for _ in range(16):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
)

# Certificates: a test CA, a server cert for localhost/127.0.0.1, a cert for another name, and an
# unrelated CA (the "untrusted" case).
cd "$work"
ossl() { openssl "$@" 2>/dev/null >/dev/null; }
ossl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 -subj "/CN=gopreflight test CA"
ossl req -x509 -newkey rsa:2048 -nodes -keyout other-ca.key -out other-ca.crt -days 2 -subj "/CN=unrelated CA"
mkcert() {  # name san
  ossl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "/CN=$1"
  printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\n' "$2" >"$1.ext"
  ossl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -out "$1.crt" -days 2 -extfile "$1.ext"
}
mkcert server "DNS:localhost,IP:127.0.0.1"
mkcert other "DNS:other.example"
chmod 644 ./*.key

start() { "$@" & pids+=($!); }

start redis-server --port "$P_REDIS" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
  --loglevel warning --tls-port "$P_REDISS" --tls-cert-file server.crt --tls-key-file server.key \
  --tls-ca-cert-file ca.crt --tls-auth-clients no >redis.log 2>&1
start redis-server --port "$P_REDIS_AUTH" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
  --loglevel warning --requirepass probe-test-secret >redis-auth.log 2>&1

mkdir -p pg
if [ "$(id -u)" = 0 ]; then
  chown postgres: pg
  as_pg=(runuser -u postgres --)
else
  as_pg=()
fi
"${as_pg[@]}" "$pgbin/initdb" -D "$work/pg" -A trust -U postgres --no-sync >pg-initdb.log 2>&1
# A copy of the cluster with ssl=on answers the SSLRequest with 'S' (the key must belong to postgres, 0600).
cp -a pg pg-ssl
cp server.crt server.key pg-ssl/
chmod 600 pg-ssl/server.key
[ "$(id -u)" = 0 ] && chown postgres: pg-ssl/server.crt pg-ssl/server.key
start "${as_pg[@]}" "$pgbin/postgres" -D "$work/pg" -k "$work/pg" -p "$P_PG" -c listen_addresses=127.0.0.1 \
  -c fsync=off >pg.log 2>&1
start "${as_pg[@]}" "$pgbin/postgres" -D "$work/pg-ssl" -k "$work/pg-ssl" -p "$P_PG_SSL" \
  -c listen_addresses=127.0.0.1 -c fsync=off -c ssl=on -c ssl_cert_file=server.crt -c ssl_key_file=server.key \
  >pg-ssl.log 2>&1

start etcd --name probe-test --data-dir "$work/etcd" \
  --listen-client-urls "http://127.0.0.1:$P_ETCD" --advertise-client-urls "http://127.0.0.1:$P_ETCD" \
  --listen-peer-urls "http://127.0.0.1:$P_ETCD_PEER" --initial-advertise-peer-urls "http://127.0.0.1:$P_ETCD_PEER" \
  --initial-cluster "probe-test=http://127.0.0.1:$P_ETCD_PEER" >etcd.log 2>&1

start python3 "$here/peers.py" --ready peers.ready --http "$P_HTTP" \
  --https "$P_HTTPS:$work/server.crt:$work/server.key" --https "$P_HTTPS_OTHER:$work/other.crt:$work/other.key" \
  --silent "$P_SILENT" --banner "$P_BANNER" --close "$P_CLOSE" --drip "$P_DRIP" >peers.log 2>&1

# Wait (bounded) until every server accepts connections; etcd until /health says true.
wait_port() {
  for _ in $(seq 300); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "integration.sh: $2 did not listen on 127.0.0.1:$1 in 30 s; log:" >&2
  cat "$work/$3" >&2 || true
  return 1
}
wait_port "$P_REDIS" redis redis.log
wait_port "$P_REDISS" redis-tls redis.log
wait_port "$P_REDIS_AUTH" redis-auth redis-auth.log
wait_port "$P_PG" postgres pg.log
wait_port "$P_PG_SSL" postgres-ssl pg-ssl.log
wait_port "$P_ETCD" etcd etcd.log
wait_port "$P_HTTP" peers peers.log
wait_port "$P_HTTPS_OTHER" peers peers.log
for _ in $(seq 300); do
  python3 -c "import urllib.request,sys; sys.exit(0 if b'true' in urllib.request.urlopen('http://127.0.0.1:$P_ETCD/health', timeout=1).read() else 1)" \
    2>/dev/null && break
  sleep 0.1
done

export GP_WORKDIR=$work GP_CA_FILE=$work/ca.crt GP_OTHER_CA_FILE=$work/other-ca.crt
export GP_REDIS_PORT=$P_REDIS GP_REDISS_PORT=$P_REDISS GP_REDIS_AUTH_PORT=$P_REDIS_AUTH GP_LATE_REDIS_PORT=$P_LATE
export GP_PG_PORT=$P_PG GP_PG_SSL_PORT=$P_PG_SSL GP_ETCD_PORT=$P_ETCD GP_HTTP_PORT=$P_HTTP GP_HTTPS_PORT=$P_HTTPS
export GP_HTTPS_OTHER_PORT=$P_HTTPS_OTHER GP_SILENT_PORT=$P_SILENT GP_BANNER_PORT=$P_BANNER
export GP_CLOSE_PORT=$P_CLOSE GP_DRIP_PORT=$P_DRIP GP_CLOSED_PORT=$P_CLOSED
cd "$root"
timeout 240 "$driver" --test-case-exclude='dns-silent*' "$@"

# DNS that never answers: a private network and mount namespace whose resolv.conf names a UDP
# listener on its own loopback that reads nothing (needs root for unshare and the bind mount).
if [ "$(id -u)" = 0 ] && unshare -mn true 2>/dev/null; then
  printf 'nameserver 127.0.0.1\noptions timeout:5 attempts:2\n' >"$work/resolv.conf"
  timeout 60 unshare -mn bash -c '
    set -e
    ip link set lo up
    mount --bind "$1/resolv.conf" /etc/resolv.conf
    python3 -c "
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((\"127.0.0.1\", 53))
open(sys.argv[1], \"w\").write(\"bound\")
time.sleep(50)" "$1/dns.ready" &
    dns=$!
    for _ in $(seq 100); do [ -f "$1/dns.ready" ] && break; sleep 0.1; done
    rc=0
    GP_DNS_SILENT=1 "$2" --test-case="dns-silent*" || rc=$?
    kill "$dns"
    exit "$rc"' _ "$work" "$driver"
else
  echo "integration.sh: not root or no unshare: the silent-DNS case did not run"
fi

# The same probes through the CLI (flags, env, exit codes, progress on stderr), when it was built.
if [ -n "${GP_CHECK_BIN:-}" ]; then
  cli() { timeout 60 "$GP_CHECK_BIN" --termination-log "$work/termination-log" "$@"; }
  fails=0
  check() { if ! eval "$2"; then echo "CLI FAIL: $1" >&2; fails=$((fails + 1)); else echo "CLI ok: $1"; fi; }

  rc=0
  GOPREFLIGHT_PROBES="etcd=etcd://127.0.0.1:$P_ETCD" \
    cli --only probe.redis,probe.db,probe.etcd --output json --probe "redis=redis://127.0.0.1:$P_REDIS" \
    --probe "db@1s=postgres://127.0.0.1:$P_PG" >"$work/ok.json" 2>"$work/ok.err" || rc=$?
  check "flags + GOPREFLIGHT_PROBES: exit 0" '[ "$rc" = 0 ]'
  check "flags + GOPREFLIGHT_PROBES: three passes in the JSON" \
    "python3 -c 'import json,sys; d=json.load(open(\"$work/ok.json\")); \
sys.exit(0 if sorted((c[\"id\"], c[\"status\"]) for c in d[\"checks\"]) == \
[(\"probe.db\",\"pass\"),(\"probe.etcd\",\"pass\"),(\"probe.redis\",\"pass\")] else 1)'"
  check "progress line on stderr" 'grep -q "probes: 3/3 ready after 1 round" "$work/ok.err"'

  rc=0
  start=$(date +%s%N)
  cli --only probe.gone --probe "gone=tcp://127.0.0.1:$P_CLOSED" --probe-deadline 2s >"$work/gone.txt" \
    2>"$work/gone.err" || rc=$?
  took_ms=$((($(date +%s%N) - start) / 1000000))
  check "closed port: exit 1" '[ "$rc" = 1 ]'
  check "closed port: gave up at the 2 s deadline (took ${took_ms} ms)" '[ "$took_ms" -ge 1900 ] && [ "$took_ms" -lt 4000 ]'
  check "closed port: progress says giving up" 'grep -q "0/1 ready; giving up after" "$work/gone.err"'
  check "closed port: report names the refusal" 'grep -q "connection refused" "$work/gone.txt"'
  check "closed port: termination log names probe.gone" 'grep -q "probe.gone" "$work/termination-log"'

  rc=0
  cli --probe "bad=ftp://x:1" >/dev/null 2>"$work/bad.err" || rc=$?
  check "bad URL: exit 2" '[ "$rc" = 2 ]'
  check "bad URL: the message names the scheme" 'grep -q "unsupported scheme .ftp." "$work/bad.err"'
  [ "$fails" = 0 ] || { echo "integration.sh: $fails CLI check(s) failed" >&2; exit 1; }
fi
