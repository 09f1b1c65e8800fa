#!/usr/bin/env bash
# The Helm chart and the plain manifests, with the real helm (v3.19.5, built from its module) and a
# real kube-apiserver (v1.35.4) + etcd on loopback (tests/e2e/lib.sh):
#   - helm lint --strict; values.schema.json rejects bad values;
#   - helm template with default, cert-manager, mutation, custom-policy and secret values, each
#     checked object by object (check_render.py) and its policy accepted by `policy lint`;
#   - every rendering, and deploy/ and deploy/cert-manager/ (kubectl kustomize), accepted by the
#     apiserver with `kubectl apply --dry-run=server` (cert-manager's Certificate and Issuer
#     against a minimal CRD written here: structure only, cert-manager's own schema is not in it);
#   - helm install + upgrade for real: the Helm-made certificate and caBundle survive the upgrade;
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

# --- renderings -----------------------------------------------------------------------------
# A CA for the "secret" case, so the apiserver sees a real PEM bundle.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj "/CN=corp-ca" \
  -keyout "$work/corp-ca.key" -out "$work/corp-ca.crt" 2>/dev/null
corp_bundle=$(base64 -w0 <"$work/corp-ca.crt")
cases=(default cert-manager cert-manager-issuer mutation custom-policy secret)
for c in "${cases[@]}"; do
  args=(template gopreflight "$chart" --namespace gopreflight --kube-version v1.35.4)
  [ "$c" != default ] && args+=(-f "$here/values/$c.yaml")
  [ "$c" = secret ] && args+=(--set "tls.caBundle=$corp_bundle")
  if helm "${args[@]}" >"$work/$c.yaml" 2>"$work/err"; then
    check "helm template ($c): objects as expected" "$py" "$here/check_render.py" "$c" "$work/$c.yaml"
    "$py" "$here/check_render.py" policy "$work/$c.yaml" >"$work/$c-policy.yaml"
    check "helm template ($c): its policy passes gopreflight-webhook policy lint" \
      "$webhook_bin" policy lint "$work/$c-policy.yaml"
  else
    bad "helm template ($c) failed: $(cat "$work/err")"
  fi
done
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
kubectl apply -f "$here/cert-manager-crds.yaml" >/dev/null || e2e_fail "cannot apply the minimal cert-manager CRDs"
E2E_WAIT=30 e2e_wait kubectl get certificates.cert-manager.io -A || e2e_fail "cert-manager CRDs not served"
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

# helm install and upgrade for real: lookup keeps the certificate and the caBundle.
bundle_of() { kubectl get validatingwebhookconfiguration gp-gopreflight -o jsonpath='{.webhooks[0].clientConfig.caBundle}'; }
if helm install gp "$chart" --namespace gp-system --create-namespace >"$work/install.out" 2>&1; then
  ok "helm install into the apiserver"
  grep -q 'gopreflight.io/enforce=true' "$work/install.out" && ok "NOTES.txt tells how to opt a namespace in" ||
    bad "NOTES.txt lacks the opt-in command: $(cat "$work/install.out")"
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
  check "helm uninstall" helm uninstall gp --namespace gp-system
else
  bad "helm install failed: $(cat "$work/install.out")"
fi

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
