# Shared helpers for the server integration scripts (sourced). Needs: openssl, curl, python3.
# Usage in a script: source lib.sh; setup_serving (or setup_workdir; make_ca; make_serving NAME;
# secret_volume CRT KEY); start_server [extra flags]; ...; the EXIT trap stops everything and
# removes the work dir. $T is the test data folder.
set -euo pipefail

BIN=${BIN:?BIN must point at gopreflight-webhook}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SVC=gopreflight-webhook.gopreflight.svc
T=$HERE/testdata
SERVER_PID=
PIDS=()

fail() { echo "FAIL: $*" >&2; [ -n "${LOG:-}" ] && [ -f "$LOG" ] && tail -20 "$LOG" >&2; exit 1; }
note() { echo "--- $*"; }

cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  if [ -n "$SERVER_PID" ]; then kill -TERM "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  [ -n "${WORK:-}" ] && rm -rf "$WORK"
}

setup_workdir() {
  WORK=$(mktemp -d /tmp/gopreflight-server-it-XXXXXX)
  LOG=$WORK/server.log
  trap cleanup EXIT
}

# A test CA, as a cluster's cert-manager or the chart's own hook would make it.
make_ca() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -keyout "$WORK/ca.key" -out "$WORK/ca.crt" -subj "/CN=gopreflight test CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}

# make_serving NAME [CN]: $WORK/NAME.crt/.key for the Service DNS name and 127.0.0.1.
make_serving() {
  local name=$1 cn=${2:-$SVC}
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$WORK/$name.key" \
    -out "$WORK/$name.csr" -subj "/CN=$cn" 2>/dev/null
  printf 'subjectAltName=DNS:%s,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=critical,CA:FALSE\n' "$SVC" > "$WORK/$name.ext"
  openssl x509 -req -in "$WORK/$name.csr" -CA "$WORK/ca.crt" -CAkey "$WORK/ca.key" -CAcreateserial \
    -days 2 -out "$WORK/$name.crt" -extfile "$WORK/$name.ext" 2>/dev/null
}

# make_client NAME: $WORK/NAME.crt/.key, a client certificate (clientAuth) from the test CA.
make_client() {
  local name=$1
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$WORK/$name.key" \
    -out "$WORK/$name.csr" -subj "/CN=kube-apiserver" 2>/dev/null
  printf 'extendedKeyUsage=clientAuth\nbasicConstraints=critical,CA:FALSE\n' > "$WORK/$name.ext"
  openssl x509 -req -in "$WORK/$name.csr" -CA "$WORK/ca.crt" -CAkey "$WORK/ca.key" -CAcreateserial \
    -days 2 -out "$WORK/$name.crt" -extfile "$WORK/$name.ext" 2>/dev/null
}

# stop_server: SIGTERM and wait; fails the test unless the server exits 0.
stop_server() {
  local rc=0
  kill -TERM "$SERVER_PID"; wait "$SERVER_PID" || rc=$?
  SERVER_PID=
  [ "$rc" = 0 ] || fail "server exit code $rc after SIGTERM"
}

# setup_serving: a work dir, the test CA, and serving pair `a` in the Secret volume.
setup_serving() {
  setup_workdir
  make_ca
  make_serving a
  secret_volume "$WORK/a.crt" "$WORK/a.key"
}

# secret_volume CERT KEY: swap $WORK/secret/..data to a new timestamped dir holding the pair,
# exactly as the kubelet updates a Secret volume (new dir, new symlink, rename over ..data).
secret_volume() {
  local crt=$1 key=$2 d
  mkdir -p "$WORK/secret"
  d="..$(date +%Y_%m_%d_%H_%M_%S.%N)"
  mkdir "$WORK/secret/$d"
  cp "$crt" "$WORK/secret/$d/tls.crt"
  cp "$key" "$WORK/secret/$d/tls.key"
  ln -sfn "$d" "$WORK/secret/..data_tmp"
  mv -T "$WORK/secret/..data_tmp" "$WORK/secret/..data"
  [ -L "$WORK/secret/tls.crt" ] || ln -s ..data/tls.crt "$WORK/secret/tls.crt"
  [ -L "$WORK/secret/tls.key" ] || ln -s ..data/tls.key "$WORK/secret/tls.key"
}

# start_server [flags...]: serves the Secret volume on a free loopback port; sets PORT, URL.
start_server() {
  : > "$LOG"  # before the server starts: the port below must not be read from the previous server's log
  "$BIN" serve --listen 127.0.0.1:0 --tls-cert-file "$WORK/secret/tls.crt" \
    --tls-private-key-file "$WORK/secret/tls.key" --reload-interval-ms 200 "$@" >"$LOG" 2>&1 &
  SERVER_PID=$!
  local i
  for i in $(seq 1 100); do
    PORT=$(sed -n 's/.*"msg":"serving".*"listen":"127\.0\.0\.1:\([0-9]*\)".*/\1/p' "$LOG" | head -1)
    [ -n "$PORT" ] && break
    kill -0 "$SERVER_PID" 2>/dev/null || fail "server exited at start"
    sleep 0.05
  done
  [ -n "$PORT" ] || fail "server did not log its port"
  URL=https://127.0.0.1:$PORT
  for i in $(seq 1 100); do
    [ "$(code GET /readyz)" = 200 ] && return 0
    sleep 0.05
  done
  fail "server not ready"
}

# code METHOD PATH [curl args...]: HTTP status via curl verifying the CA and the Service name.
code() {
  local m=$1 p=$2; shift 2
  curl -sS -o /dev/null -w '%{http_code}' --max-time 20 --cacert "$WORK/ca.crt" \
    --resolve "$SVC:$PORT:127.0.0.1" -X "$m" "$@" "https://$SVC:$PORT$p" || true
}

healthz_ok() { [ "$(code GET /healthz)" = 200 ] || fail "/healthz not 200 after: $1"; }

metric() {  # metric NAME_WITH_LABELS -> value
  curl -sS --cacert "$WORK/ca.crt" --resolve "$SVC:$PORT:127.0.0.1" "https://$SVC:$PORT/metrics" |
    awk -v k="$1" '$1 == k {print $2}'
}

# build_goclient: Go standard library only; nothing is downloaded.
build_goclient() {
  GOCLIENT=$WORK/goclient
  (cd "$HERE/goclient" && GOCACHE=${GOCACHE:-$WORK/gocache} GOTOOLCHAIN=local GOPROXY=off GOFLAGS= \
    go build -o "$GOCLIENT" .) || fail "go build of the Go client failed"
}

served_serial() {  # the serial of the certificate a new handshake gets
  echo | openssl s_client -connect "127.0.0.1:$PORT" -servername "$SVC" 2>/dev/null |
    openssl x509 -noout -serial 2>/dev/null
}
