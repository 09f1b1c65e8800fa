#!/usr/bin/env bash
# The Helm chart and the plain manifests, with the real helm (v3.19.5, built from its module) and a
# real kube-apiserver (v1.35.4) + etcd on loopback (tests/e2e/lib.sh):
#   - helm lint --strict; values.schema.json rejects bad values; its policy subtree and the
#     binary's policy reader accept exactly the same keys (schema_policy_test.py);
#   - helm template with default, cert-manager, mutation, custom-policy and secret values, each
#     checked object by object (check_render.py) and its policy accepted by `policy lint`;
#   - every rendering, and deploy/ and deploy/cert-manager/ (kubectl kustomize), accepted by the
#     apiserver with `kubectl apply --dry-run=server` (cert-manager's Certificate and Issuer, the
#     Prometheus Operator's ServiceMonitor and PrometheusRule against their real CRDs: crds.sh);
#   - the PrometheusRule's alerts under promtool (check rules, and test rules with fake series);
#   - helm install + upgrade for real: the Helm-made certificate and caBundle survive the upgrade;
#   - the policy-check hook: a broken policy fails `helm upgrade` and the running policy stays
#     (the hook Job's container is run by this script in place of a kubelet: see policy_hook_runner);
#   - deploy/ applied for real and deploy/gen-certs.sh run against it;
#   - deploy/ matches the chart's default rendering in every field that matters.
# Usage: helm_test.sh PATH/TO/gopreflight-webhook
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=../e2e/lib.sh
source "$root/tests/e2e/lib.sh"
webhook_bin=${1:?usage: helm_test.sh PATH/TO/gopreflight-webhook}
[ -x "$webhook_bin" ] || e2e_fail "$webhook_bin is not an executable"
chart=$root/helm/gopreflight
py=/usr/bin/python3   # Debian's, with python3-yaml (.ci/setup-deps.sh test)

work=$(mktemp -d /tmp/gopreflight-helm.XXXXXX)
passed=0
failed=0
cleanup() {
  e2e_stop_cluster
  [ "${E2E_KEEP:-0}" = 1 ] && echo "work dir kept: $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT
ok() { passed=$((passed + 1)); e2e_log "ok   $*"; }
bad() { failed=$((failed + 1)); e2e_log "FAIL $*"; }
# check NAME CMD...: CMD must exit 0; its output is shown when it does not.
check() {
  local name=$1; shift
  if "$@" >"$work/out" 2>&1; then ok "$name"; else bad "$name"; sed 's/^/    /' "$work/out" | tail -n 30 >&2; fi
}
# refuse NAME PATTERN CMD...: CMD must fail and print PATTERN.
refuse() {
  local name=$1 pattern=$2; shift 2
  if ! "$@" >"$work/out" 2>&1 && grep -qF -- "$pattern" "$work/out"; then ok "$name"
  else bad "$name (expected a failure naming '$pattern')"; sed 's/^/    /' "$work/out" | tail -n 10 >&2; fi
}

e2e_tools
bash "$here/crds.sh" "$work/crds" >/dev/null || e2e_fail "crds.sh could not fetch the cert-manager and Prometheus Operator CRDs"
helm() { "$E2E_HELM" "$@"; }
export HELM_CACHE_HOME=$work/helm/cache HELM_CONFIG_HOME=$work/helm/config HELM_DATA_HOME=$work/helm/data
e2e_log "$("$E2E_HELM" version --short)"

# --- lint and schema ----------------------------------------------------------------------------
check "helm lint --strict (default values)" helm lint --strict "$chart"
for v in "$here"/values/*.yaml; do
  extra=()
  [ "$(basename "$v")" = secret.yaml ] && extra=(--set tls.caBundle=Zm9v)
  check "helm lint --strict -f $(basename "$v")" helm lint --strict "$chart" -f "$v" "${extra[@]}"
done
refuse "schema: bad failurePolicy is rejected" "failurePolicy" \
  helm template gopreflight "$chart" --set webhook.failurePolicy=Sometimes
refuse "schema: unknown top-level key is rejected" "replicas" \
  helm template gopreflight "$chart" --set replicas=3
refuse "schema: timeoutSeconds above 30 is rejected" "timeoutSeconds" \
  helm template gopreflight "$chart" --set webhook.timeoutSeconds=45
refuse "schema: injection inside policy is rejected (use injection values)" "injection" \
  helm template gopreflight "$chart" --set policy.injection.enabled=true
refuse "secret mode without a caBundle fails with the reason" "tls.caBundle is required" \
  helm template gopreflight "$chart" --set tls.mode=secret --set tls.existingSecret=x
check "schema: global values are allowed (use as a subchart)" \
  helm template gopreflight "$chart" --set global.imageRegistry=registry.example --set global.foo.bar=1
refuse "schema: a typo in policy is rejected" "podSecurty" \
  helm template gopreflight "$chart" --set policy.podSecurty.level=baseline
refuse "schema: a typo inside a policy section is rejected" "levle" \
  helm template gopreflight "$chart" --set policy.podSecurity.levle=baseline
refuse "schema: bad tls.rotation is rejected" "rotation" \
  helm template gopreflight "$chart" --set tls.rotation=now
refuse "tls.rotation=switch without a prepared Secret fails with the reason" "run the upgrade with tls.rotation=prepare first" \
  helm template gopreflight "$chart" --set tls.rotation=switch
refuse "tls.rotation outside mode helm fails with the reason" "works with tls.mode=helm only" \
  helm template gopreflight "$chart" --set tls.rotation=prepare --set tls.mode=cert-manager
refuse "shutdownDelay not below terminationGracePeriodSeconds fails with the reason" "must be below terminationGracePeriodSeconds" \
  helm template gopreflight "$chart" --set shutdownDelay=30
refuse "schema: matchConditions need an expression" "expression" \
  helm template gopreflight "$chart" --set 'webhook.matchConditions[0].name=x'
check "schema: every policy key the schema allows is accepted by policy lint, typos are refused by both" \
  "$py" "$here/schema_policy_test.py" "$chart" "$webhook_bin" "$E2E_HELM"

# --- renderings -----------------------------------------------------------------------------
# A CA for the "secret" case, so the apiserver sees a real PEM bundle.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj "/CN=corp-ca" \
  -keyout "$work/corp-ca.key" -out "$work/corp-ca.crt" 2>/dev/null
corp_bundle=$(base64 -w0 <"$work/corp-ca.crt")
cases=(default cert-manager cert-manager-issuer mutation custom-policy secret everything openshift rotation-prepare)
# Does this binary know the policy key injection.setUserIds (the openshift renderings need it)?
printf 'apiVersion: gopreflight.io/v1alpha1\nkind: Policy\ninjection: {enabled: true, image: "r/i:1", setUserIds: false}\n' >"$work/probe.yaml"
knows_set_user_ids=1
"$webhook_bin" policy lint "$work/probe.yaml" >/dev/null 2>&1 || knows_set_user_ids=0
for c in "${cases[@]}"; do
  args=(template gopreflight "$chart" --namespace gopreflight --kube-version v1.35.4)
  [ "$c" != default ] && args+=(-f "$here/values/$c.yaml")
  [ "$c" = secret ] && args+=(--set "tls.caBundle=$corp_bundle")
  if helm "${args[@]}" >"$work/$c.yaml" 2>"$work/err"; then
    check "helm template ($c): objects as expected" "$py" "$here/check_render.py" "$c" "$work/$c.yaml"
    "$py" "$here/check_render.py" policy "$work/$c.yaml" >"$work/$c-policy.yaml"
    if [ "$knows_set_user_ids" = 0 ] && grep -q setUserIds "$work/$c-policy.yaml"; then
      e2e_log "skip policy lint of the $c rendering: this gopreflight-webhook predates injection.setUserIds"
    else
      check "helm template ($c): its policy passes gopreflight-webhook policy lint" \
        "$webhook_bin" policy lint "$work/$c-policy.yaml"
    fi
  else
    bad "helm template ($c) failed: $(cat "$work/err")"
  fi
done
# The alerts, judged by promtool (prometheus package): expressions parse, and each fires when it
# should and not otherwise (alerts_test.py). Rendered as release "gopreflight", whose series it fakes.
helm template gopreflight "$chart" --namespace gopreflight -f "$here/values/everything.yaml" >"$work/alerts.yaml" &&
  check "PrometheusRule: promtool check rules and test rules (down, denials rising, certificate expiry)" \
    "$py" "$here/alerts_test.py" "$work/alerts.yaml" || bad "helm template for the alerts failed"
# The Helm-made serving certificate is signed by the caBundle's CA for <svc>.<ns>.svc.
"$py" - "$work/default.yaml" "$work" <<'EOF'
import base64, sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
sec = [d for d in docs if d["kind"] == "Secret"][0]["data"]
for k in ("tls.crt", "ca.crt"):
    open(f"{sys.argv[2]}/helm-{k}", "wb").write(base64.b64decode(sec[k]))
EOF
check "Helm-made certificate verifies against the caBundle for gopreflight.gopreflight.svc" \
  openssl verify -CAfile "$work/helm-ca.crt" -verify_hostname gopreflight.gopreflight.svc -purpose sslserver "$work/helm-tls.crt"

# --- plain manifests ----------------------------------------------------------------------------
check "kubectl kustomize deploy/ renders" sh -c "kubectl kustomize '$root/deploy' >'$work/deploy.yaml'"
check "kubectl kustomize deploy/cert-manager renders" sh -c "kubectl kustomize '$root/deploy/cert-manager' >'$work/deploy-cm.yaml'"
check "deploy/ matches the chart's default rendering" "$py" "$here/check_render.py" same "$work/default.yaml" "$work/deploy.yaml"
"$py" "$here/check_render.py" policy "$work/deploy.yaml" >"$work/deploy-policy.yaml"
check "deploy/base/policy.yaml passes policy lint" "$webhook_bin" policy lint "$work/deploy-policy.yaml"

# --- a real kube-apiserver ------------------------------------------------------------------------
e2e_start_cluster "$work/cluster"
kubectl apply --server-side -f "$work/crds" >/dev/null || e2e_fail "cannot apply the cert-manager and Prometheus Operator CRDs"
E2E_WAIT=30 e2e_wait kubectl get certificates.cert-manager.io,servicemonitors.monitoring.coreos.com -A ||
  e2e_fail "cert-manager and Prometheus Operator CRDs not served"
kubectl create namespace gopreflight >/dev/null
for c in "${cases[@]}"; do
  [ -s "$work/$c.yaml" ] || continue
  check "apiserver accepts the $c rendering (apply --dry-run=server)" \
    kubectl apply --dry-run=server -f "$work/$c.yaml"
done
# Namespace gopreflight exists, so dry-run its namespaced objects too.
check "apiserver accepts deploy/ (apply --dry-run=server)" kubectl apply --dry-run=server -f "$work/deploy.yaml"
check "apiserver accepts deploy/cert-manager/ (apply --dry-run=server)" kubectl apply --dry-run=server -f "$work/deploy-cm.yaml"
# A broken object must be refused too, or the dry-runs above prove nothing.
sed 's/sideEffects: None/sideEffects: Sometimes/' "$work/default.yaml" >"$work/broken.yaml"
refuse "apiserver refuses a broken rendering (sideEffects: Sometimes)" "sideEffects" \
  kubectl apply --dry-run=server -f "$work/broken.yaml"

# The policy-check hook Job needs a Job controller and a kubelet, which this cluster has not. In
# their place, this runner waits for the hook Job, runs its container's command with the real
# gopreflight-webhook on the hook ConfigMap's policy.yaml (mounted where the Job mounts it), and
# writes the outcome into the Job's status as the Job controller would (Complete or Failed), which
# is what helm waits on. Everything else is real: the chart's hook objects and their order, helm's
# hook handling, the apiserver.
policy_hook_runner() { # NAMESPACE JOB
  local ns=$1 job=$2 dir args mount cm rc now
  set +e   # a background loop: lint exits 1 on purpose, and a kubectl call may race a deletion
  while :; do
    if kubectl -n "$ns" get job "$job" -o jsonpath='{.status.conditions[*].type}' >"$work/hook-cond" 2>/dev/null &&
       [ ! -s "$work/hook-cond" ]; then
      dir=$(mktemp -d "$work/hook.XXXXXX")
      kubectl -n "$ns" get job "$job" -o json >"$dir/job.json"
      read -r mount cm < <("$py" -c 'import json,sys; s=json.load(open(sys.argv[1]))["spec"]["template"]["spec"]
m=s["containers"][0]["volumeMounts"][0]; v=[v for v in s["volumes"] if v["name"]==m["name"]][0]
print(m["mountPath"], v["configMap"]["name"])' "$dir/job.json")
      mkdir -p "$dir/root$mount"
      kubectl -n "$ns" get configmap "$cm" -o jsonpath='{.data.policy\.yaml}' >"$dir/root$mount/policy.yaml"
      mapfile -t args < <("$py" -c 'import json,sys; print("\n".join(json.load(open(sys.argv[1]))["spec"]["template"]["spec"]["containers"][0]["args"]))' "$dir/job.json")
      args=("${args[@]//$mount/$dir/root$mount}")
      "$webhook_bin" "${args[@]}" >"$dir/log" 2>&1; rc=$?
      cp "$dir/log" "$work/hook-last.log"
      now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
      if [ "$rc" = 0 ]; then
        kubectl -n "$ns" patch job "$job" --subresource=status --type=merge -p "{\"status\":{\"startTime\":\"$now\",\"completionTime\":\"$now\",\"succeeded\":1,\"conditions\":[{\"type\":\"SuccessCriteriaMet\",\"status\":\"True\",\"lastTransitionTime\":\"$now\"},{\"type\":\"Complete\",\"status\":\"True\",\"lastTransitionTime\":\"$now\"}]}}" >>"$work/hook-runner.log" 2>&1
      else
        kubectl -n "$ns" patch job "$job" --subresource=status --type=merge -p "{\"status\":{\"startTime\":\"$now\",\"failed\":1,\"conditions\":[{\"type\":\"FailureTarget\",\"status\":\"True\",\"reason\":\"BackoffLimitExceeded\",\"lastTransitionTime\":\"$now\"},{\"type\":\"Failed\",\"status\":\"True\",\"reason\":\"BackoffLimitExceeded\",\"message\":\"policy lint exit $rc\",\"lastTransitionTime\":\"$now\"}]}}" >>"$work/hook-runner.log" 2>&1
      fi
    fi
    sleep 0.3
  done
}
policy_hook_runner gp-system gp-gopreflight-policy-check &
runner_pid=$!

# helm install and upgrade for real: lookup keeps the certificate and the caBundle.
bundle_of() { kubectl get validatingwebhookconfiguration gp-gopreflight -o jsonpath='{.webhooks[0].clientConfig.caBundle}'; }
if helm install gp "$chart" --namespace gp-system --create-namespace >"$work/install.out" 2>&1; then
  ok "helm install into the apiserver"
  grep -q 'gopreflight.io/enforce=true' "$work/install.out" && ok "NOTES.txt tells how to opt a namespace in" ||
    bad "NOTES.txt lacks the opt-in command: $(cat "$work/install.out")"
  # Its try-a-manifest Pod runs in the release namespace (never checked, so gopreflight does not deny
  # its own throwaway Pod) with -i (stdin reaches review; without it review reads nothing, exit 2).
  grep -q 'kubectl -n gp-system run gopreflight-review .* -i .* -- review -n NAMESPACE -f - < app.yaml' "$work/install.out" &&
    ok "NOTES.txt's kubectl run is in the release namespace, with -i and review -n" ||
    bad "NOTES.txt's kubectl run line: $(grep 'kubectl.*run' "$work/install.out")"
  crt1=$(kubectl -n gp-system get secret gp-gopreflight-tls -o jsonpath='{.data.tls\.crt}')
  ca1=$(bundle_of)
  [ -n "$crt1" ] && [ "$ca1" = "$(kubectl -n gp-system get secret gp-gopreflight-tls -o jsonpath='{.data.ca\.crt}')" ] &&
    ok "installed caBundle is the Secret's CA" || bad "installed caBundle does not match the Secret's ca.crt"
  check "helm upgrade (mutation values)" helm upgrade gp "$chart" --namespace gp-system -f "$here/values/mutation.yaml"
  crt2=$(kubectl -n gp-system get secret gp-gopreflight-tls -o jsonpath='{.data.tls\.crt}')
  [ "$crt1" = "$crt2" ] && [ "$ca1" = "$(bundle_of)" ] && ok "upgrade kept the certificate and the caBundle" ||
    bad "upgrade changed the certificate or the caBundle"
  mb=$(kubectl get mutatingwebhookconfiguration gp-gopreflight -o jsonpath='{.webhooks[*].clientConfig.caBundle}')
  [ "$mb" = "$ca1 $ca1" ] && ok "upgrade added the MutatingWebhookConfiguration with the same caBundle" ||
    bad "mutating caBundle '$mb' != '$ca1 $ca1'"
  # A policy the schema accepts but the server's reader refuses (min above max): the hook fails the
  # upgrade and the release keeps its policy.
  policy1=$(kubectl -n gp-system get configmap gp-gopreflight-policy -o jsonpath='{.data.policy\.yaml}')
  refuse "a broken policy fails helm upgrade (policy-check hook)" "policy-check" \
    helm upgrade gp "$chart" --namespace gp-system -f "$here/values/mutation.yaml" --timeout 60s \
      --set 'policy.requiredSysctls[0].name=net.core.somaxconn' --set 'policy.requiredSysctls[0].min=4096' \
      --set 'policy.requiredSysctls[0].max=1024'
  grep -q "min 4096 is greater than max 1024" "$work/hook-last.log" && ok "the hook ran policy lint on the new policy" ||
    bad "the hook's policy lint output lacks the problem: $(cat "$work/hook-last.log" 2>/dev/null)"
  [ "$(kubectl -n gp-system get configmap gp-gopreflight-policy -o jsonpath='{.data.policy\.yaml}')" = "$policy1" ] &&
    ok "after the failed upgrade the policy ConfigMap is unchanged" || bad "the failed upgrade changed the policy ConfigMap"
  check "a good policy upgrades again" helm upgrade gp "$chart" --namespace gp-system -f "$here/values/mutation.yaml" --timeout 60s
  check "helm uninstall" helm uninstall gp --namespace gp-system --no-hooks
else
  bad "helm install failed: $(cat "$work/install.out")"
fi
kill "$runner_pid" 2>/dev/null || true; wait "$runner_pid" 2>/dev/null || true

# deploy/ for real, then gen-certs.sh: Secret made and the caBundle patched in.
# (Namespace gopreflight exists from above; deleting it would hang without a namespace controller.)
if kubectl apply -k "$root/deploy" >"$work/out" 2>&1; then
  ok "kubectl apply -k deploy/"
  check "deploy/gen-certs.sh" bash "$root/deploy/gen-certs.sh"
  kubectl -n gopreflight get secret gopreflight-tls -o jsonpath='{.data.tls\.crt}' | base64 -d >"$work/gen-tls.crt"
  kubectl get validatingwebhookconfiguration gopreflight -o jsonpath='{.webhooks[0].clientConfig.caBundle}' |
    base64 -d >"$work/gen-ca.crt"
  check "gen-certs.sh certificate verifies against the patched caBundle" \
    openssl verify -CAfile "$work/gen-ca.crt" -verify_hostname gopreflight.gopreflight.svc -purpose sslserver "$work/gen-tls.crt"
else
  bad "kubectl apply -k deploy/: $(cat "$work/out")"
fi

echo "helm: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
