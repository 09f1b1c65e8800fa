#!/usr/bin/env bash
# TLS for the plain-manifest install (deploy/): makes a CA and a serving certificate for
# <service>.<namespace>.svc with openssl, stores them in the Secret the Deployment mounts
# (kubernetes.io/tls: tls.crt, tls.key, ca.crt), and puts the CA into the caBundle of the webhook
# configurations. Run it after `kubectl apply -k deploy/`, and again to rotate (the server
# re-reads the Secret's files without a restart). The CA key is not kept.
# Usage: deploy/gen-certs.sh [--namespace gopreflight] [--service gopreflight] [--days 825]
#        (kubectl's current context decides the cluster)
set -euo pipefail
ns=gopreflight svc=gopreflight days=825
while [ $# -gt 0 ]; do
  case $1 in
    --namespace) ns=$2; shift 2 ;;
    --service) svc=$2; shift 2 ;;
    --days) days=$2; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "gen-certs.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
for t in openssl kubectl base64; do
  command -v "$t" >/dev/null || { echo "gen-certs.sh: $t is required" >&2; exit 2; }
done
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
dns=$svc.$ns.svc
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days "$days" \
  -subj "/CN=$svc-ca" -keyout "$dir/ca.key" -out "$dir/ca.crt" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$dns" \
  -keyout "$dir/tls.key" -out "$dir/tls.csr" 2>/dev/null
printf 'subjectAltName=DNS:%s,DNS:%s.%s,DNS:%s.cluster.local\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyEncipherment\n' \
  "$dns" "$svc" "$ns" "$dns" >"$dir/ext"
openssl x509 -req -in "$dir/tls.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial \
  -days "$days" -extfile "$dir/ext" -out "$dir/tls.crt" 2>/dev/null

kubectl -n "$ns" create secret generic "$svc-tls" --type=kubernetes.io/tls \
  --from-file=tls.crt="$dir/tls.crt" --from-file=tls.key="$dir/tls.key" --from-file=ca.crt="$dir/ca.crt" \
  --dry-run=client -o yaml | kubectl apply -f - >/dev/null
bundle=$(base64 -w0 <"$dir/ca.crt")
patched=0
for kind in validatingwebhookconfiguration mutatingwebhookconfiguration; do
  kubectl get "$kind" "$svc" >/dev/null 2>&1 || continue
  count=$(kubectl get "$kind" "$svc" -o jsonpath='{range .webhooks[*]}x{end}')
  patch="["
  for ((i = 0; i < ${#count}; i++)); do
    [ "$i" -gt 0 ] && patch+=","
    patch+="{\"op\":\"add\",\"path\":\"/webhooks/$i/clientConfig/caBundle\",\"value\":\"$bundle\"}"
  done
  patch+="]"
  kubectl patch "$kind" "$svc" --type=json -p "$patch" >/dev/null
  patched=$((patched + 1))
done
[ "$patched" -gt 0 ] || { echo "gen-certs.sh: no webhook configuration named $svc (apply deploy/ first)" >&2; exit 1; }
echo "gen-certs.sh: Secret $ns/$svc-tls for $dns (valid $days days); caBundle set on $patched webhook configuration(s)"
