#!/usr/bin/env bash
# The whole product on a real node (issue 11): a one-node cluster from real components
# (cluster.sh), the image built from the Dockerfile and imported into containerd, `helm install`
# of helm/gopreflight, then:
#   1. both webhook replicas Ready (HTTPS probes), the PDB, the apiserver calling the webhook
#      through the chart's Service with the Helm-made CA;
#   2. `kubectl apply` of a non-compliant Deployment in an enforced namespace is refused with our
#      message and field path; a compliant one gets Running Pods;
#   3. injection: the check probes a dependency that is not there: Init:Error/CrashLoopBackOff, the
#      app never starts, our text in lastState.terminated.message and `kubectl describe`; the
#      dependency appears, the next retry passes, the app runs; the check's JSON shows the app's
#      real limits (downward API), the GOMEMLIMIT advice, and cgroup.cpu judging the app's 2 CPUs;
#      a probe through a native sidecar passes on the first run;
#   4. a node-level failure (the check's own config makes this node's cgroup v1/hybrid a failure)
#      blocks the app with the check id, observed and expected values in the Pod status;
#   5. availability under change with a stream of (dry-run) Pod creates: a webhook Pod deleted,
#      a `helm upgrade` that rolls the Deployment, the chart's two-CA certificate rotation: 0 fail;
#      the delete-Secret-and-upgrade rotation for comparison (printed);
#   6. the kubectl used is the one built here, same version as the apiserver.
# Every stage's wall time is printed (STAGE lines). Needs root.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
# shellcheck source=cluster.sh
source "$here/cluster.sh"

work=$(mktemp -d /tmp/gopreflight-node.XXXXXX)
finish() {
  local rc=$?
  [ -n "${stream_pid:-}" ] && kill "$stream_pid" 2>/dev/null
  if [ "$rc" -ne 0 ] && [ -n "$NODE_DIR" ]; then
    e2e_log "failed (exit $rc): state of the cluster"
    node_dump_state 15 kubelet containerd apiserver
  fi
  node_down
  rm -rf "$work"
  exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT TERM
passed=0
failed_groups=()
ok() { passed=$((passed + 1)); echo ok >>"$work/passes"; e2e_log "ok: $*"; }
# Runs one group of checks in a subshell: a failure there is recorded and the next group still
# runs (the availability figures are wanted even when injection is broken); the test fails at the end.
group() { # name function
  local rc
  set +e
  ( set -e; "$2" )
  rc=$?
  set -e
  [ "$rc" -eq 0 ] || { failed_groups+=("$1"); e2e_log "GROUP FAILED: $1 (exit $rc); continuing with the next group"; }
}

# The injected container must run gopreflight-check. With no command it runs the image's
# entrypoint, gopreflight-webhook, which stops at once with CLI11's "A subcommand is required".
injected_runs_webhook() { # namespace pod
  kubectl -n "$1" logs "$2" -c gopreflight-check 2>/dev/null | grep -q 'A subcommand is required'
}
no_command_fail() {
  e2e_fail "the injected init container ran the image's entrypoint gopreflight-webhook, not gopreflight-check (\"A subcommand is required\"): the injected container has no command (policy injection.command is empty and neither the chart nor the policy file can set it), so every injected Pod fails"
}

jq_py() { # FILE PYTHON-EXPR-over-j  -> prints the value
  python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

node_tools
node_stage "tools (build.sh, cached)"

image=localhost/gopreflight:node-e2e
bash "$here/image.sh" "$image" "$work/gopreflight.tar"
node_stage "image (podman build)"

# The image ships the STATIC gopreflight-check (Dockerfile, GOPREFLIGHT_STATIC=ON).
python3 - "$work/gopreflight.tar" "$work/gopreflight-check" <<'EOF'
import io, json, sys, tarfile
outer = tarfile.open(sys.argv[1])
manifest = json.load(outer.extractfile("manifest.json"))
for layer in reversed(manifest[0]["Layers"]):
    inner = tarfile.open(fileobj=io.BytesIO(outer.extractfile(layer).read()))
    try:
        m = inner.getmember("usr/local/bin/gopreflight-check")
    except KeyError:
        continue
    open(sys.argv[2], "wb").write(inner.extractfile(m).read())
    break
else:
    sys.exit("no usr/local/bin/gopreflight-check in the image")
EOF
ldd_out=$(ldd "$work/gopreflight-check" 2>&1 || true)   # ldd exits 1 for a static binary
case $ldd_out in
  *"not a dynamic executable"*) ok "the image's gopreflight-check is static" ;;
  *) echo "$ldd_out" >&2; e2e_fail "the image's gopreflight-check is dynamically linked" ;;
esac

node_up "$work/cluster"
node_import "$work/gopreflight.tar"
node_stage "image import"

# --- 6. kubectl ------------------------------------------------------------------------------------
kubectl version -o json >"$work/version.json"
client_v=$(jq_py "$work/version.json" 'j["clientVersion"]["gitVersion"]')
server_v=$(jq_py "$work/version.json" 'j["serverVersion"]["gitVersion"]')
[ "$(command -v kubectl)" = "$NODE_TOOLBIN/kubectl" ] || e2e_fail "kubectl is $(command -v kubectl), not the built one"
[ "$client_v" = "$server_v" ] && [ "$client_v" = v1.35.4 ] ||
  e2e_fail "kubectl $client_v vs apiserver $server_v (both must be v1.35.4)"
ok "kubectl $client_v (built here, $NODE_BIN_kubectl) against apiserver $server_v"

# --- 1. helm install --------------------------------------------------------------------------------
kubectl create namespace shop >/dev/null
kubectl label namespace shop gopreflight.io/enforce=true >/dev/null
kubectl create namespace inject >/dev/null
kubectl create namespace deps >/dev/null
release=gp
helm_values=(-f "$here/manifests/values-node.yaml")
helm install "$release" "$root/helm/gopreflight" -n gopreflight --create-namespace "${helm_values[@]}" \
  --wait --timeout 180s >"$work/helm-install.log" 2>&1 ||
  { cat "$work/helm-install.log" >&2; kubectl -n gopreflight describe pods >&2 || true; e2e_fail "helm install failed"; }
node_stage "helm install --wait"
deploy=$(kubectl -n gopreflight get deploy -o jsonpath='{.items[0].metadata.name}')
ready=$(kubectl -n gopreflight get deploy "$deploy" -o jsonpath='{.status.readyReplicas}')
[ "$ready" = 2 ] || e2e_fail "webhook Deployment $deploy has $ready ready replicas, want 2"
probe=$(kubectl -n gopreflight get deploy "$deploy" -o jsonpath='{.spec.template.spec.containers[0].readinessProbe.httpGet.scheme}')
[ "$probe" = HTTPS ] || e2e_fail "readiness probe scheme is '$probe', want HTTPS"
ok "both webhook replicas Ready (readiness probe over $probe, run by the kubelet)"
kubectl -n gopreflight get pdb -o json >"$work/pdb.json"
[ "$(jq_py "$work/pdb.json" 'len(j["items"])')" = 1 ] || e2e_fail "no PodDisruptionBudget"
ok "PDB $(jq_py "$work/pdb.json" 'j["items"][0]["metadata"]["name"]') minAvailable=$(jq_py "$work/pdb.json" 'j["items"][0]["spec"].get("minAvailable")')"
# The webhook is called through the Service (no url), with the CA Helm made.
kubectl get validatingwebhookconfigurations -o json >"$work/vwc.json"
python3 - "$work/vwc.json" "$work/ca-bundle.pem" <<'EOF' || e2e_fail "the validating webhook is not registered through the Service with a caBundle"
import base64, json, sys
items = [i for i in json.load(open(sys.argv[1]))["items"] if i["webhooks"]]
w = items[0]["webhooks"][0]
cc = w["clientConfig"]
assert "service" in cc and "url" not in cc, cc
assert cc.get("caBundle"), "no caBundle"
open(sys.argv[2], "wb").write(base64.b64decode(cc["caBundle"]))
print("webhook", w["name"], "-> service", cc["service"]["namespace"] + "/" + cc["service"]["name"], "port", cc["service"].get("port"))
EOF
endpoints=$(kubectl -n gopreflight get endpointslices -o jsonpath='{range .items[*].endpoints[*]}{.addresses[0]} {end}')
e2e_log "Service endpoints (Pod IPs on $NODE_BRIDGE): $endpoints"
[ "$(wc -w <<<"$endpoints")" = 2 ] || e2e_fail "the webhook Service has endpoints '$endpoints', want 2"

# --- 2. enforcement ---------------------------------------------------------------------------------
set +e
kubectl -n shop apply -f "$here/manifests/shop-bad.yaml" >"$work/bad.out" 2>&1
rc=$?
set -e
cat "$work/bad.out" >&2
[ "$rc" -ne 0 ] || e2e_fail "the non-compliant Deployment was admitted"
grep -q 'admission webhook' "$work/bad.out" || e2e_fail "the refusal does not come from an admission webhook"
grep -q 'spec.template.spec.containers\[0\].securityContext.allowPrivilegeEscalation' "$work/bad.out" ||
  e2e_fail "the refusal does not name the field path spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation"
ok "non-compliant Deployment refused by the webhook, through the Service, with the field path"
kubectl -n shop apply -f "$here/manifests/shop-good.yaml" >/dev/null || e2e_fail "the compliant Deployment was refused"
kubectl -n shop rollout status deploy/api-good --timeout=90s >&2 || e2e_fail "the compliant Deployment's Pods did not become ready"
running=$(kubectl -n shop get pods -l app=api-good -o jsonpath='{range .items[*]}{.status.phase} {end}')
[ "$running" = "Running Running " ] || e2e_fail "compliant Pods: '$running'"
ok "compliant Deployment admitted; its 2 Pods Running"
node_stage "tests 1, 2, 6"

# --- 3. injection, a dependency that is not there yet ------------------------------------------------
test_sidecar() {
# First a native sidecar serving the dependency on the Pod's loopback: the check runs after it.
kubectl -n inject apply -f "$here/manifests/inject-sidecar.yaml" >/dev/null
sidecar_ok=0
if E2E_WAIT=60 e2e_wait bash -c '[ "$(kubectl -n inject get pod with-sidecar -o jsonpath="{.status.containerStatuses[0].started}")" = true ]'; then
  kubectl -n inject get pod with-sidecar -o json >"$work/sidecar.json"
  order=$(jq_py "$work/sidecar.json" '",".join(c["name"] for c in j["spec"]["initContainers"])')
  restarts=$(jq_py "$work/sidecar.json" '[c for c in j["status"]["initContainerStatuses"] if c["name"]=="gopreflight-check"][0]["restartCount"]')
  e2e_log "native sidecar Pod: initContainers $order; gopreflight-check restarts $restarts"
  [ "$restarts" = 0 ] && sidecar_ok=1
else
  kubectl -n inject get pod with-sidecar -o json >"$work/sidecar.json" || true
  e2e_log "native sidecar Pod: app not started within 60 s; initContainers $(jq_py "$work/sidecar.json" '",".join(c["name"] for c in j["spec"]["initContainers"])')"
  kubectl -n inject logs with-sidecar -c gopreflight-check 2>&1 | tail -n 5 >&2 || true
  injected_runs_webhook inject with-sidecar && no_command_fail
fi
[ "$sidecar_ok" = 1 ] ||
  e2e_fail "a probe through a native sidecar failed: the injected check must run after restartPolicy: Always init containers"
ok "probe through a native sidecar (db-proxy) passed on the first run: injected after the sidecar"

}
test_injection() {
  kubectl -n inject delete pod with-sidecar --wait=false >/dev/null 2>&1 || true
kubectl -n inject apply -f "$here/manifests/inject-app.yaml" >/dev/null
pod_state() { # jsonpath on the orders Pod
  kubectl -n inject get pods -l app=orders -o jsonpath="{.items[0]$1}" 2>/dev/null
}
# Two failed runs: the kubelet retries with a back-off, the app container stays waiting.
E2E_WAIT=90 e2e_wait bash -c "[ \"\$(kubectl -n inject get pods -l app=orders -o jsonpath='{.items[0].status.initContainerStatuses[0].restartCount}')\" -ge 1 ]" ||
  e2e_fail "the injected check did not fail and restart: $(pod_state .status.initContainerStatuses)"
orders=$(pod_state .metadata.name)
kubectl -n inject get pod "$orders" -o json >"$work/orders-failing.json"
injected_runs_webhook inject "$orders" && no_command_fail
kubectl -n inject get pod "$orders" >&2
python3 - "$work/orders-failing.json" <<'EOF' || e2e_fail "the failing Pod's status is not as expected (above)"
import json, sys
p = json.load(open(sys.argv[1]))
names = [c["name"] for c in p["spec"]["initContainers"]]
assert names[0] == "gopreflight-check", names
ic = p["status"]["initContainerStatuses"][0]
term = ic["state"].get("terminated") or ic["lastState"].get("terminated")
assert term and term["exitCode"] == 1, ic
msg = term.get("message", "")
print("termination message:", msg[:400].replace("\n", " | "))
assert "redis" in msg and "redis.deps.test:16379" in msg, "the message does not name the probe"
app = p["status"]["containerStatuses"][0]
assert "waiting" in app["state"], app
assert app["restartCount"] == 0 and not app.get("lastState"), app
assert not app.get("started"), app
EOF
kubectl -n inject describe pod "$orders" >"$work/describe.txt"
grep -E 'Init:(Error|CrashLoopBackOff)|CrashLoopBackOff|Error' "$work/describe.txt" >/dev/null || e2e_fail "kubectl describe shows no Init error"
grep -q 'redis.deps.test:16379' "$work/describe.txt" || e2e_fail "kubectl describe does not carry our failure text"
# Between two attempts the kubelet shows Init:0/1 while the check runs again: poll (bounded) for
# the column a user sees between retries, Init:Error or Init:CrashLoopBackOff.
status_col=
for _ in $(seq 60); do
  status_col=$(kubectl -n inject get pod "$orders" --no-headers | awk '{print $3}')
  case $status_col in Init:Error|Init:CrashLoopBackOff) break ;; esac
  sleep 0.5
done
case $status_col in Init:Error|Init:CrashLoopBackOff) ;; *) e2e_fail "STATUS column is $status_col after 30 s";; esac
ok "dependency missing: Pod $status_col, app container never started, our text in lastState.terminated.message and kubectl describe"

kubectl -n deps apply -f "$here/manifests/dependency.yaml" >/dev/null
E2E_WAIT=60 e2e_wait bash -c '[ "$(kubectl -n deps get pod redis -o jsonpath="{.status.phase}")" = Running ]' ||
  e2e_fail "the dependency Pod did not start"
dep_at=$(date +%s)
E2E_WAIT=150 e2e_wait bash -c "[ \"\$(kubectl -n inject get pod $orders -o jsonpath='{.status.containerStatuses[0].started}')\" = true ]" ||
  e2e_fail "the app did not start after the dependency appeared: $(pod_state .status.initContainerStatuses)"
ok "dependency up: the next retry passed and the app started ($(( $(date +%s) - dep_at )) s later, kubelet back-off included)"
# The check's stderr (probe progress lines) is interleaved with its stdout JSON in the log.
kubectl -n inject logs "$orders" -c gopreflight-check | grep -v '^probes: ' >"$work/check.json"
python3 - "$work/check.json" <<'EOF' || e2e_fail "the check's JSON does not show the app container's limits and advice"
import json, sys
text = open(sys.argv[1]).read()
report, _ = json.JSONDecoder().raw_decode(text, text.index("{"))
results = report.get("results") or report.get("checks") or []
by = {r["id"]: r for r in results}
def show(i):
    r = by[i]; print(f'  {i}: {r["status"]}: observed {r.get("observed")!r}; {r.get("message","")[:160]}')
for i in ("go.gomemlimit", "go.gomaxprocs", "cgroup.cpu", "cgroup.memory"):
    show(i)
g = by["go.gomemlimit"]
assert "268435456" in g["observed"] and "GOPREFLIGHT_APP_MEMORY_LIMIT" in g["observed"], g["observed"]
# 0.9 x 256 MiB, as the webhook advises it
assert "230MiB" in json.dumps(g), g
c = by["cgroup.cpu"]
assert c["status"] == "pass" and "2000" in c["observed"], c
m = by["cgroup.memory"]
assert m["status"] == "pass" and "268435456" in m["observed"], m
assert any(p for p in results if p["id"].startswith("probe")), "no probe result"
EOF
ok "the check's JSON: the app's 256Mi/2000m from the downward API, GOMEMLIMIT advice 230MiB, cgroup.cpu judged the app's 2 CPUs"
}
group "3. native sidecar" test_sidecar
group "3. injection" test_injection
node_stage "test 3 (injection)"

# --- 4. a node-level failure through the check's own config -------------------------------------------
# --strict makes a warning a failure; this node runs cgroup v1 (hybrid), which cgroup.version
# warns about, so the check's own config blocks the app. The host is not changed.
old_webhook_pods=$(kubectl -n gopreflight get pods -l app.kubernetes.io/name=gopreflight -o name)
helm upgrade "$release" "$root/helm/gopreflight" -n gopreflight "${helm_values[@]}" \
  --set 'injection.args={--output=json,--strict,--only=cgroup.version}' \
  --set podAnnotations.e2e-config=strict --wait --timeout 180s >"$work/helm-up1.log" 2>&1 ||
  { cat "$work/helm-up1.log" >&2; e2e_fail "helm upgrade (strict check config) failed"; }
# The old replicas keep the old policy while they terminate (--shutdown-delay): the new injection
# args are the policy in force only once they are gone (seen: a Pod mutated by an old replica).
# shellcheck disable=SC2086
[ -z "$old_webhook_pods" ] || kubectl -n gopreflight wait --for=delete $old_webhook_pods --timeout=90s >/dev/null 2>&1 ||
  e2e_fail "the old webhook Pods did not go away after the upgrade"
test_node_failure() {
kubectl -n inject apply -f - >/dev/null <<EOF
$(sed 's/name: orders/name: strict/; s/app: orders/app: strict/g' "$here/manifests/inject-app.yaml")
EOF
E2E_WAIT=90 e2e_wait bash -c "kubectl -n inject get pods -l app=strict -o jsonpath='{.items[0].status.initContainerStatuses[0].lastState.terminated.exitCode}{.items[0].status.initContainerStatuses[0].state.terminated.exitCode}' | grep -q ." ||
  e2e_fail "the strict check never ended"
injected_runs_webhook inject "$(kubectl -n inject get pods -l app=strict -o jsonpath='{.items[0].metadata.name}')" && no_command_fail
E2E_WAIT=90 e2e_wait bash -c "kubectl -n inject get pods -l app=strict -o jsonpath='{.items[0].status.initContainerStatuses[0].lastState.terminated.exitCode}{.items[0].status.initContainerStatuses[0].state.terminated.exitCode}' | grep -q 1" ||
  e2e_fail "the strict check did not fail the Pod: $(kubectl -n inject get pods -l app=strict -o jsonpath='{.items[0].status}')"
kubectl -n inject get pods -l app=strict -o json >"$work/strict.json"
python3 - "$work/strict.json" <<'EOF' || e2e_fail "the node-level failure is not in the Pod's status"
import json, sys
p = json.load(open(sys.argv[1]))["items"][0]
ic = p["status"]["initContainerStatuses"][0]
term = ic["state"].get("terminated") or ic["lastState"].get("terminated")
msg = term.get("message", "")
print("termination message:", msg[:400].replace("\n", " | "))
assert "cgroup.version" in msg, "no check id"
assert "hybrid" in msg or "v1" in msg, "no observed value"
assert "v2" in msg, "no expected value"
app = p["status"]["containerStatuses"][0]
assert not app.get("started") and app["restartCount"] == 0, app
EOF
ok "node-level failure (cgroup.version under --strict): app blocked, id/observed/expected in the Pod status"
}
group "4. node-level failure" test_node_failure
kubectl -n inject delete deploy strict orders --wait=false >/dev/null 2>&1 || true
node_stage "test 4 (node-level failure)"

# --- 5. availability under change ---------------------------------------------------------------------
stream() { # name -> starts the stream in the background
  rm -f "$work/stop" "$work/ready"
  "$NODE_BIN_createstream" -server "$NODE_API_URL" -ca "$NODE_PKI/ca.crt" -cert "$NODE_PKI/admin.crt" \
    -key "$NODE_PKI/admin.key" -namespace shop -pod "$here/manifests/stream-pod.json" -interval 20ms \
    -stop "$work/stop" -ready "$work/ready" >"$work/stream-$1.json" &
  stream_pid=$!
  E2E_WAIT=30 e2e_wait test -e "$work/ready" || e2e_fail "the create stream did not start"
  sleep 2
}
stream_end() { # stops the stream (in this shell: it is this shell's child)
  sleep 3
  touch "$work/stop"
  wait "$stream_pid" || e2e_fail "createstream failed"
  stream_pid=
}
stream_report() { # name -> prints "total failed", the figures on stderr
  python3 - "$work/stream-$1.json" "$1" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"AVAILABILITY {sys.argv[2]}: {r['failed']} of {r['total']} creates failed over {r['duration_ms']/1000:.1f} s", file=sys.stderr)
for m, n in r["errors"].items():
    print(f"  {n} x {m}", file=sys.stderr)
print(r["total"], r["failed"])
EOF
}
webhook_ready() { # 2 ready, updated replicas and no other (terminating) webhook Pod left
  [ "$(kubectl -n gopreflight get deploy "$deploy" -o jsonpath='{.status.readyReplicas}/{.status.updatedReplicas}/{.status.replicas}')" = 2/2/2 ] &&
    [ "$(kubectl -n gopreflight get pods -l app.kubernetes.io/name=gopreflight --no-headers 2>/dev/null | wc -l)" = 2 ]
}
# Make the validating webhook fail closed whatever the chart default is (it is Fail).
[ "$(jq_py "$work/vwc.json" '[w for i in j["items"] for w in i["webhooks"]][0]["failurePolicy"]')" = Fail ] ||
  e2e_fail "the validating webhook's failurePolicy is not Fail"

stream delete
victim=$(kubectl -n gopreflight get pods -l app.kubernetes.io/name=gopreflight -o jsonpath='{.items[0].metadata.name}')
kubectl -n gopreflight delete pod "$victim" --wait=false >/dev/null
kubectl -n gopreflight wait --for=delete "pod/$victim" --timeout=120s >/dev/null || e2e_fail "webhook Pod $victim was not deleted"
E2E_WAIT=120 e2e_wait webhook_ready || e2e_fail "the webhook did not recover 2 ready replicas after a Pod delete"
stream_end
read -r total_del failed_del < <(stream_report delete)
[ "$total_del" -gt 50 ] || e2e_fail "the stream made only $total_del creates"

stream upgrade
helm upgrade "$release" "$root/helm/gopreflight" -n gopreflight "${helm_values[@]}" \
  --set podAnnotations.e2e-roll=r2 --wait --timeout 180s >"$work/helm-up2.log" 2>&1 ||
  { cat "$work/helm-up2.log" >&2; e2e_fail "helm upgrade (roll) failed"; }
E2E_WAIT=60 e2e_wait webhook_ready || e2e_fail "the webhook did not settle after helm upgrade"
stream_end
read -r total_up failed_up < <(stream_report upgrade)

# Certificate rotation, the chart's way (tls.rotation, docs/install.md): prepare (new CA and
# certificate; the caBundle trusts both), switch (+ rollout restart: the Pods serve the new one),
# none (the old CA leaves the caBundle). Then, for comparison, the naive way: delete the Secret and
# upgrade (a new CA at once, while the Pods still serve the old certificate): printed, not asserted.
secret=$(kubectl -n gopreflight get secret -o jsonpath='{range .items[?(@.type=="kubernetes.io/tls")]}{.metadata.name}{" "}{end}' | awk '{print $1}')
served_is_secret() { # every endpoint serves the certificate in the serving Secret
  local want ip f
  want=$(kubectl -n gopreflight get secret "$secret" -o jsonpath='{.data.tls\.crt}' | base64 -d | openssl x509 -noout -fingerprint) || return 1
  for ip in $(kubectl -n gopreflight get endpointslices -o jsonpath='{range .items[*].endpoints[*]}{.addresses[0]} {end}'); do
    f=$(echo | openssl s_client -connect "$ip:8443" 2>/dev/null | openssl x509 -noout -fingerprint 2>/dev/null) || return 1
    [ "$f" = "$want" ] || return 1
  done
}
ca_bundle() {
  kubectl get validatingwebhookconfigurations -o json >"$work/vwc-now.json"
  jq_py "$work/vwc-now.json" '[w for i in j["items"] for w in i["webhooks"]][0]["clientConfig"]["caBundle"]'
}
ca_before=$(ca_bundle)
old_cert=$(kubectl -n gopreflight get secret "$secret" -o jsonpath='{.data.tls\.crt}')
stream rotation
rot_start=$(date +%s)
for step in prepare switch none; do
  helm upgrade "$release" "$root/helm/gopreflight" -n gopreflight "${helm_values[@]}" \
    --set podAnnotations.e2e-roll=r2 --set tls.rotation=$step --wait --timeout 180s >"$work/helm-rot-$step.log" 2>&1 ||
    { cat "$work/helm-rot-$step.log" >&2; e2e_fail "helm upgrade --set tls.rotation=$step failed"; }
  if [ "$step" = switch ]; then
    kubectl -n gopreflight rollout restart "deploy/$deploy" >/dev/null
    kubectl -n gopreflight rollout status "deploy/$deploy" --timeout=180s >/dev/null || e2e_fail "rollout restart after switch failed"
  fi
done
E2E_WAIT=180 e2e_wait webhook_ready || e2e_fail "the webhook did not settle after the rotation"
E2E_WAIT=180 e2e_wait served_is_secret || e2e_fail "the webhook Pods do not serve the rotated certificate"
e2e_log "two-CA rotation done in $(( $(date +%s) - rot_start )) s"
stream_end
read -r total_rot failed_rot < <(stream_report rotation)
[ "$(kubectl -n gopreflight get secret "$secret" -o jsonpath='{.data.tls\.crt}')" != "$old_cert" ] ||
  e2e_fail "the rotation did not change the serving certificate"
ca_after=$(ca_bundle)
[ "$ca_after" != "$ca_before" ] || e2e_fail "the rotation did not change the caBundle"

stream naive-rotation
kubectl -n gopreflight delete secret "$secret" >/dev/null
helm upgrade "$release" "$root/helm/gopreflight" -n gopreflight "${helm_values[@]}" \
  --set podAnnotations.e2e-roll=r2 --wait --timeout 180s >"$work/helm-naive.log" 2>&1 ||
  { cat "$work/helm-naive.log" >&2; e2e_fail "helm upgrade after deleting the Secret failed"; }
[ "$(ca_bundle)" != "$ca_after" ] || e2e_fail "deleting the Secret and upgrading did not change the caBundle"
naive_start=$(date +%s)
E2E_WAIT=240 e2e_wait served_is_secret || e2e_fail "the webhook Pods never served the re-made certificate"
e2e_log "naive rotation: the Pods served the new certificate $(( $(date +%s) - naive_start )) s after the upgrade (the kubelet's Secret sync)"
stream_end
read -r total_naive failed_naive < <(stream_report naive-rotation)

echo "AVAILABILITY SUMMARY: pod delete $failed_del/$total_del failed; helm upgrade (roll) $failed_up/$total_up failed; two-CA certificate rotation $failed_rot/$total_rot failed; delete-Secret-and-upgrade rotation $failed_naive/$total_naive failed" >&2
[ "$failed_del" = 0 ] || e2e_fail "$failed_del creates failed while a webhook Pod was deleted (want 0)"
ok "webhook Pod deleted under a create stream: 0 of $total_del failed"
[ "$failed_up" = 0 ] || e2e_fail "$failed_up creates failed during helm upgrade (want 0)"
ok "helm upgrade rolled the Deployment under a create stream: 0 of $total_up failed"
[ "$failed_rot" = 0 ] || e2e_fail "$failed_rot creates failed during the two-CA certificate rotation (want 0)"
ok "two-CA certificate rotation (prepare, switch + restart, none): 0 of $total_rot failed"
e2e_log "delete-Secret-and-upgrade rotation: $failed_naive of $total_naive failed (printed, not asserted: the way the chart's rotation replaces)"
node_stage "test 5 (availability)"

passed=$(wc -l <"$work/passes")
if [ ${#failed_groups[@]} -gt 0 ]; then
  printf 'FAILED GROUP: %s\n' "${failed_groups[@]}" >&2
  echo "node: $passed passed, ${#failed_groups[@]} groups failed"
  exit 1
fi
echo "node: $passed passed, 0 failed"
