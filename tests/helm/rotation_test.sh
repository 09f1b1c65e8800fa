#!/usr/bin/env bash
# The chart's two-CA certificate rotation (tls.rotation prepare -> switch -> none) under a stream of
# Pod creates with failurePolicy Fail: 0 creates refused. And the rotation the chart documented
# before (delete the Secret, upgrade) under the same stream: refused creates, which shows the stream
# sees a refusal when there is one.
#
# Real parts: kube-apiserver v1.35.4 + etcd (tests/e2e/lib.sh), helm v3.19.5 installing and
# upgrading the chart, gopreflight-webhook serving the Secret's certificate and re-reading it.
# Stand-in: the kubelet. There is no node, so this script copies the Secret's keys into the
# server's certificate directory the way the kubelet's atomic writer does (a ..data symlink swapped
# in one rename), a few seconds after each change, as the kubelet's sync does.
# The apiserver calls the webhook at the Service's ClusterIP and port (its default service
# resolver), so the test runs in a network namespace of its own (unshare -n) where that ClusterIP is
# an address of lo and the server listens on it.
# Usage: rotation_test.sh PATH/TO/gopreflight-webhook
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=../e2e/lib.sh
source "$root/tests/e2e/lib.sh"
webhook_bin=$(realpath "${1:?usage: rotation_test.sh PATH/TO/gopreflight-webhook}")
[ -x "$webhook_bin" ] || e2e_fail "$webhook_bin is not an executable"

if [ "${GP_ROTATION_NETNS:-}" != 1 ]; then
  e2e_tools   # build or find the tools outside the namespace (the module proxy is outside)
  command -v unshare >/dev/null && command -v ip >/dev/null || e2e_fail "unshare and ip (util-linux, iproute2) are needed"
  exec unshare -n env GP_ROTATION_NETNS=1 bash "$0" "$webhook_bin"
fi
ip link set lo up
chart=$root/helm/gopreflight
py=/usr/bin/python3
work=$(mktemp -d /tmp/gopreflight-rotation.XXXXXX)
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  e2e_stop_cluster
  [ "${E2E_KEEP:-0}" = 1 ] && echo "work dir kept: $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT
failed=0
helm() { "$E2E_HELM" "$@"; }
export HELM_CACHE_HOME=$work/helm/cache HELM_CONFIG_HOME=$work/helm/config HELM_DATA_HOME=$work/helm/data

e2e_start_cluster "$work/cluster"
e2e_namespace app gopreflight.io/enforce=true
ns=gp-system
release=gp
secret=gp-gopreflight-tls
# No Job controller here: the policy-check hook would wait for ever (helm_test.sh covers it).
values=(--namespace "$ns" --set policyCheck.enabled=false --set replicaCount=1 --set webhook.failurePolicy=Fail
        --set webhook.timeoutSeconds=5)
helm install "$release" "$chart" --create-namespace "${values[@]}" >"$work/install.out" 2>&1 ||
  e2e_fail "helm install: $(cat "$work/install.out")"
cluster_ip=$(kubectl -n "$ns" get service gp-gopreflight -o jsonpath='{.spec.clusterIP}')
port=$(kubectl -n "$ns" get service gp-gopreflight -o jsonpath='{.spec.ports[0].port}')
ip addr add "$cluster_ip/32" dev lo
e2e_log "Service gp-gopreflight at $cluster_ip:$port (an address of lo in this network namespace)"

# The kubelet stand-in: the Secret's keys into $tls, in one atomic swap of the ..data symlink.
tls=$work/tls
mkdir -p "$tls"
deliver() {
  local stamp d
  stamp=..$(date +%s%N)
  d=$tls/$stamp
  mkdir "$d"
  for k in tls.crt tls.key ca.crt; do
    kubectl -n "$ns" get secret "$secret" -o "jsonpath={.data.${k//./\\.}}" | base64 -d >"$d/$k"
  done
  ln -sfn "$stamp" "$tls/..data_tmp"
  mv -T "$tls/..data_tmp" "$tls/..data"
  for k in tls.crt tls.key ca.crt; do [ -L "$tls/$k" ] || ln -s "..data/$k" "$tls/$k"; done
}
deliver
# Pod Security "restricted" only: the stream's Pods meet it (TLS is what is under test, not rules).
printf 'apiVersion: gopreflight.io/v1alpha1\nkind: Policy\npodSecurity: {level: restricted, version: latest, mode: enforce}\n' >"$work/policy.yaml"
"$webhook_bin" serve --listen "$cluster_ip:$port" --tls-cert-file "$tls/tls.crt" --tls-private-key-file "$tls/tls.key" \
  --policy "$work/policy.yaml" \
  --reload-interval-ms 200 --log-level info >"$work/server.log" 2>&1 &
server_pid=$!
bundle() { kubectl get validatingwebhookconfiguration gp-gopreflight -o jsonpath='{.webhooks[0].clientConfig.caBundle}' | base64 -d; }
# Which CA verifies the certificate the server presents now.
served_by() {
  local ca=$1
  openssl s_client -connect "$cluster_ip:$port" -servername gp-gopreflight.$ns.svc -CAfile "$ca" \
    -verify_return_error </dev/null >/dev/null 2>&1
}
bundle >"$work/ca-initial.pem"
E2E_WAIT=20 e2e_wait served_by "$work/ca-initial.pem" || e2e_fail "the server does not serve the installed certificate: $(tail -5 "$work/server.log")"

# A create must work before the rotation, or the stream would count nothing.
kubectl -n app create -f - >/dev/null <<'EOF' || e2e_fail "a Pod create through the webhook fails before any rotation"
{"apiVersion":"v1","kind":"Pod","metadata":{"name":"before"},"spec":{"automountServiceAccountToken":false,
 "securityContext":{"runAsNonRoot":true,"runAsUser":1000,"seccompProfile":{"type":"RuntimeDefault"}},
 "containers":[{"name":"app","image":"registry.example/app:1","securityContext":{"allowPrivilegeEscalation":false,"capabilities":{"drop":["ALL"]}}}]}}
EOF

stream_start() { # NAME
  rm -f "$work/stop-$1"
  "$py" "$here/create_stream.py" "$E2E_APISERVER_URL" "$work/cluster/pki/ca.crt" "$work/cluster/pki/admin.crt" \
    "$work/cluster/pki/admin.key" app "$work/stop-$1" "$work/stream-$1.json" &
  stream_pid=$!
}
stream_stop() { # NAME: the counts are in $work/stream-NAME.json (not in a subshell: it waits for the child)
  touch "$work/stop-$1"
  wait "$stream_pid" || e2e_fail "create_stream.py failed"
}
field() { "$py" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }
upgrade() { helm upgrade "$release" "$chart" "${values[@]}" "$@" >"$work/upgrade.out" 2>&1 || e2e_fail "helm upgrade $*: $(cat "$work/upgrade.out")"; }

# --- the two-CA rotation -----------------------------------------------------------------------
stream_start twoca
sleep 2
e2e_log "rotation: prepare (new CA and certificate in gp-gopreflight-tls-next; caBundle old + new)"
upgrade --set tls.rotation=prepare
bundle >"$work/ca-prepare.pem"
[ "$(grep -c 'BEGIN CERTIFICATE' "$work/ca-prepare.pem")" = 2 ] || { e2e_log "FAIL prepare: caBundle does not hold two CAs"; failed=1; }
sleep 3
e2e_log "rotation: switch (the serving Secret gets the new pair; caBundle unchanged)"
upgrade --set tls.rotation=switch
cmp -s "$work/ca-prepare.pem" <(bundle) || { e2e_log "FAIL switch changed the caBundle"; failed=1; }
sleep 3    # the kubelet's delivery lag
deliver
kubectl -n "$ns" get secret gp-gopreflight-tls -o jsonpath='{.data.ca\.crt}' | base64 -d >"$work/ca-new.pem"
E2E_WAIT=20 e2e_wait served_by "$work/ca-new.pem" || { e2e_log "FAIL the server never served the new certificate"; failed=1; }
sleep 2
e2e_log "rotation: none (the old CA is dropped from the caBundle)"
upgrade
bundle >"$work/ca-final.pem"
cmp -s "$work/ca-final.pem" "$work/ca-new.pem" || { e2e_log "FAIL final caBundle is not the new CA alone"; failed=1; }
cmp -s "$work/ca-final.pem" "$work/ca-initial.pem" && { e2e_log "FAIL the CA did not change"; failed=1; }
kubectl -n "$ns" get secret gp-gopreflight-tls-next >/dev/null 2>&1 && { e2e_log "FAIL gp-gopreflight-tls-next was not removed"; failed=1; }
sleep 3
stream_stop twoca
counts=$(cat "$work/stream-twoca.json")
created=$(field "$work/stream-twoca.json" created)
refused=$(field "$work/stream-twoca.json" refused)
other=$(field "$work/stream-twoca.json" other)
e2e_log "two-CA rotation under a stream of creates: $counts"
if [ "$refused" = 0 ] && [ "$other" = 0 ] && [ "$created" -ge 50 ]; then
  e2e_log "ok   two-CA rotation: $created creates, 0 refused"
else
  e2e_log "FAIL two-CA rotation: $created created, $refused refused, $other other (want >= 50, 0, 0)"
  failed=1
fi
grep -q '"certificate reloaded"\|certificate reloaded' "$work/server.log" ||
  { e2e_log "FAIL the server log has no certificate reload"; failed=1; }

# --- the naive rotation: the caBundle changes before the Pods have the new certificate ---------
stream_start naive
sleep 2
e2e_log "naive rotation: delete the Secret, upgrade (caBundle = a new CA at once), deliver 3 s later"
kubectl -n "$ns" delete secret "$secret" >/dev/null
upgrade
sleep 3
deliver
kubectl -n "$ns" get secret gp-gopreflight-tls -o jsonpath='{.data.ca\.crt}' | base64 -d >"$work/ca-naive.pem"
E2E_WAIT=20 e2e_wait served_by "$work/ca-naive.pem" || { e2e_log "FAIL the server never served the naive certificate"; failed=1; }
sleep 2
stream_stop naive
counts=$(cat "$work/stream-naive.json")
refused=$(field "$work/stream-naive.json" refused)
e2e_log "naive rotation under the same stream: $counts"
if [ "$refused" -gt 0 ]; then
  e2e_log "ok   naive rotation refuses creates ($refused), so the stream does see refusals"
else
  e2e_log "FAIL naive rotation refused nothing: the stream cannot tell a safe rotation from an unsafe one"
  failed=1
fi
[ "$failed" = 0 ] && e2e_log "rotation: all checks passed"
exit "$failed"
