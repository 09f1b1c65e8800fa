#!/usr/bin/env bash
# `gopreflight-webhook serve` start-up: every way it refuses to start (bad flags, missing or
# unreadable certificate and key, a key for another certificate, an expired certificate, an
# unloadable policy, an address in use) exits 2 with a message naming what was wrong, before it
# serves; and the README's quick start, `serve --dev-self-signed`, serves TLS that verifies with
# the CA it prints.
# Usage: BIN=build/cmd/gopreflight-webhook startup_test.sh
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
source "$HERE/lib.sh"
setup_workdir
make_ca
make_serving good
make_serving other
passed=0

# refused NAME 'TEXT|TEXT...' ARGS...: `serve ARGS` must exit 2 within 10 s, print every
# |-separated fixed string (stdout and stderr together) and never log "serving".
refused() {
  local name=$1 patterns=$2 p rc=0 out; shift 2
  timeout 10 "$BIN" serve "$@" >"$WORK/out" 2>&1 || rc=$?
  out=$(cat "$WORK/out")
  [ "$rc" = 2 ] || fail "$name: exit code $rc, expected 2 (124: still running after 10 s); output: $out"
  local IFS='|'
  for p in $patterns; do
    grep -qF -- "$p" "$WORK/out" || fail "$name: the message does not contain '$p'; output: $out"
  done
  ! grep -q '"msg":"serving"' "$WORK/out" || fail "$name: logged \"serving\" before refusing: $out"
  passed=$((passed + 1))
  echo "ok   $name: exit 2, $(head -c 300 "$WORK/out" | tr '\n' ' ')"
}
cert=(--tls-cert-file "$WORK/good.crt" --tls-private-key-file "$WORK/good.key")
listen=(--listen 127.0.0.1:0)

# --- flags ----------------------------------------------------------------------------------
refused "unknown flag" "--no-such-flag" "${cert[@]}" --no-such-flag
refused "flag without its value" "--listen" "${cert[@]}" --listen
refused "non-numeric --max-connections" "--max-connections" "${cert[@]}" "${listen[@]}" --max-connections lots
refused "--listen without a port" '"msg":"bad flags"|127.0.0.1' "${cert[@]}" --listen 127.0.0.1
refused "--listen with a port out of range" '"msg":"bad flags"|70000' "${cert[@]}" --listen 127.0.0.1:70000
refused "no certificate flags" '"msg":"bad flags"|--tls-cert-file and --tls-private-key-file are required' "${listen[@]}"
refused "certificate without key" '"msg":"bad flags"|--tls-private-key-file is required with --tls-cert-file' "${listen[@]}" --tls-cert-file "$WORK/good.crt"
refused "--log-level off does not hide a bad flag" '"msg":"bad flags"|--max-connections 0' "${cert[@]}" "${listen[@]}" --log-level off --max-connections 0
refused "--dev-self-signed with certificate flags" '"msg":"bad flags"|--dev-self-signed makes its own certificate' \
  "${listen[@]}" --dev-self-signed "${cert[@]}"
refused "--max-connections 0" '"msg":"bad flags"|--max-connections 0: must be 1 or more' "${cert[@]}" "${listen[@]}" --max-connections 0
refused "--worker-threads 2000" '"msg":"bad flags"|--worker-threads 2000: must be 0..1024' "${cert[@]}" "${listen[@]}" --worker-threads 2000
refused "--read-timeout 0" '"msg":"bad flags"|--read-timeout 0: must be 1..86400 seconds' "${cert[@]}" "${listen[@]}" --read-timeout 0
refused "--write-timeout 90000" '"msg":"bad flags"|--write-timeout 90000: must be 1..86400 seconds' "${cert[@]}" "${listen[@]}" --write-timeout 90000
refused "--reload-interval-ms 1" '"msg":"bad flags"|--reload-interval-ms 1: must be 10 or more' "${cert[@]}" "${listen[@]}" --reload-interval-ms 1
refused "unknown --log-level" '"msg":"bad flags"|--log-level loud: expected trace' "${cert[@]}" "${listen[@]}" --log-level loud

# --- certificate and key --------------------------------------------------------------------
refused "missing certificate file" "\"msg\":\"cannot load certificate\"|$WORK/missing.crt: cannot open certificate file: No such file or directory" \
  "${listen[@]}" --tls-cert-file "$WORK/missing.crt" --tls-private-key-file "$WORK/good.key"
refused "missing key file" "\"msg\":\"cannot load certificate\"|$WORK/missing.key: cannot open private key file: No such file or directory" \
  "${listen[@]}" --tls-cert-file "$WORK/good.crt" --tls-private-key-file "$WORK/missing.key"
# Unreadable: a directory reads as an error for root too (root ignores file modes).
mkdir "$WORK/dir.crt" "$WORK/dir.key"
refused "certificate path is a directory" "\"msg\":\"cannot load certificate\"|$WORK/dir.crt" \
  "${listen[@]}" --tls-cert-file "$WORK/dir.crt" --tls-private-key-file "$WORK/good.key"
refused "key path is a directory" "\"msg\":\"cannot load certificate\"|$WORK/dir.key" \
  "${listen[@]}" --tls-cert-file "$WORK/good.crt" --tls-private-key-file "$WORK/dir.key"
if [ "$(id -u)" != 0 ]; then
  cp "$WORK/good.key" "$WORK/noperm.key"; chmod 000 "$WORK/noperm.key"
  refused "key file without read permission" "\"msg\":\"cannot load certificate\"|$WORK/noperm.key: cannot open private key file: Permission denied" \
    "${listen[@]}" --tls-cert-file "$WORK/good.crt" --tls-private-key-file "$WORK/noperm.key"
else
  echo "skip key file without read permission: running as root, which reads it anyway (the directory cases above cover a failed read)"
fi
echo "not a certificate" >"$WORK/garbage.pem"
refused "certificate file without PEM" "\"msg\":\"cannot load certificate\"|$WORK/garbage.pem: no PEM certificate found" \
  "${listen[@]}" --tls-cert-file "$WORK/garbage.pem" --tls-private-key-file "$WORK/good.key"
refused "key file without PEM" "\"msg\":\"cannot load certificate\"|$WORK/garbage.pem: no PEM private key found" \
  "${listen[@]}" --tls-cert-file "$WORK/good.crt" --tls-private-key-file "$WORK/garbage.pem"
refused "key of another certificate" "\"msg\":\"cannot load certificate\"|$WORK/good.key: private key does not match the certificate in $WORK/other.crt" \
  "${listen[@]}" --tls-cert-file "$WORK/other.crt" --tls-private-key-file "$WORK/good.key"
# Expired: valid from 2000 to 2001 (openssl x509 -not_before/-not_after need OpenSSL 3.4; a CA
# database does it with 3.0).
mkdir -p "$WORK/oldca/new"; : >"$WORK/oldca/index.txt"; echo 01 >"$WORK/oldca/serial"
cat >"$WORK/oldca/ca.cnf" <<CNF
[ca]
default_ca = old
[old]
dir = $WORK/oldca
database = \$dir/index.txt
new_certs_dir = \$dir/new
serial = \$dir/serial
default_md = sha256
policy = any
copy_extensions = copy
[any]
commonName = supplied
CNF
openssl ca -batch -config "$WORK/oldca/ca.cnf" -cert "$WORK/ca.crt" -keyfile "$WORK/ca.key" \
  -startdate 20000101000000Z -enddate 20010101000000Z -in "$WORK/other.csr" -out "$WORK/expired.crt" \
  >"$WORK/oldca/log" 2>&1 || { cat "$WORK/oldca/log"; fail "openssl could not make the expired certificate"; }
refused "expired certificate" "\"msg\":\"cannot load certificate\"|$WORK/expired.crt: certificate|expired" \
  "${listen[@]}" --tls-cert-file "$WORK/expired.crt" --tls-private-key-file "$WORK/other.key"

# --- policy ---------------------------------------------------------------------------------
refused "missing policy file" "\"msg\":\"cannot load policy\"|$WORK/missing-policy.yaml" \
  "${cert[@]}" "${listen[@]}" --policy "$WORK/missing-policy.yaml"
refused "policy that does not parse" "\"msg\":\"cannot load policy\"|$T/policy-broken.yaml" \
  "${cert[@]}" "${listen[@]}" --policy "$T/policy-broken.yaml"
printf 'apiVersion: gopreflight.io/v1alpha1\nkind: Policy\nnoSuchKey: 1\n' >"$WORK/unknown-key.yaml"
refused "policy with an unknown key" "\"msg\":\"cannot load policy\"|$WORK/unknown-key.yaml:3:1: unknown key \\\"noSuchKey\\\"" \
  "${cert[@]}" "${listen[@]}" --policy "$WORK/unknown-key.yaml"

# --- address in use -------------------------------------------------------------------------
python3 - "$WORK/busy.port" <<'PY' &
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
time.sleep(60)
PY
PIDS+=($!)
for _ in $(seq 1 100); do [ -s "$WORK/busy.port" ] && break; sleep 0.05; done
busy=$(cat "$WORK/busy.port")
refused "address in use" "\"msg\":\"cannot listen\"|127.0.0.1:$busy|Address already in use" \
  "${cert[@]}" --listen "127.0.0.1:$busy"

# --- the README's quick start: serve --dev-self-signed --------------------------------------
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
: >"$WORK/dev.out"; : >"$LOG"
"$BIN" serve --dev-self-signed --listen "127.0.0.1:$port" >"$WORK/dev.out" 2>"$LOG" &
SERVER_PID=$!
ca=
for _ in $(seq 1 100); do
  ca=$(sed -n 's/^  CA: *//p' "$WORK/dev.out")
  [ -n "$ca" ] && grep -q '"msg":"serving"' "$LOG" && break
  kill -0 "$SERVER_PID" 2>/dev/null || fail "--dev-self-signed: the server exited: $(cat "$WORK/dev.out")"
  sleep 0.05
done
[ -n "$ca" ] && [ -f "$ca" ] || fail "--dev-self-signed printed no CA file: $(cat "$WORK/dev.out")"
dev_dir=$(dirname "$ca")
# The printed caBundle is the CA, base64 PEM (what a webhook configuration's caBundle takes).
bundle=$(sed -n 's/^  caBundle: *//p' "$WORK/dev.out")
[ "$(printf '%s' "$bundle" | base64 -d)" = "$(cat "$ca")" ] || fail "--dev-self-signed: caBundle is not the CA file base64-encoded"
# The README's curl, verifying the certificate against that CA, for each name it is made for.
for host in 127.0.0.1 localhost; do
  answer=$(curl -sS --cacert "$ca" --resolve "localhost:$port:127.0.0.1" -H 'Content-Type: application/json' \
    --data-binary @"$T/deployment-review.json" "https://$host:$port/validate") ||
    fail "--dev-self-signed: curl --cacert $ca https://$host:$port/validate failed"
  python3 -c 'import json,sys; r=json.loads(sys.argv[1])["response"]; assert r["allowed"] is True and r["uid"] and "GOMEMLIMIT" in r["warnings"][0], r' "$answer" ||
    fail "--dev-self-signed: unexpected answer from https://$host:$port/validate: $answer"
done
# And only for those: another name does not verify.
if curl -sS --cacert "$ca" --resolve "elsewhere.example:$port:127.0.0.1" "https://elsewhere.example:$port/readyz" >/dev/null 2>"$WORK/curl.err"; then
  fail "--dev-self-signed: the certificate verified for elsewhere.example"
fi
grep -qi "certificate\|SSL" "$WORK/curl.err" || fail "--dev-self-signed: expected a certificate error for elsewhere.example: $(cat "$WORK/curl.err")"
stop_server
passed=$((passed + 1))
echo "ok   --dev-self-signed: CA $ca, caBundle matches, /validate answered over verified TLS for 127.0.0.1 and localhost"
rm -rf "$dev_dir"
echo "PASS: startup ($passed checks)"
