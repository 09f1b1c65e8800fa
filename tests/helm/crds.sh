#!/usr/bin/env bash
# Writes the real CRDs of the objects the chart can render for other operators into OUTDIR, so the
# apiserver validates them against their real schemas (not a stand-in):
#   cert-manager.io Certificate, Issuer       from github.com/cert-manager/cert-manager (deploy/crds;
#                                             its Helm-template labels are dropped)
#   monitoring.coreos.com ServiceMonitor,     from github.com/prometheus-operator/prometheus-operator
#   PrometheusRule                            (example/prometheus-operator-crd)
# Both are Go modules, fetched with `go mod download` through the module proxy and cached with the
# e2e tools' modules. Usage: crds.sh OUTDIR
set -euo pipefail
CERT_MANAGER_VERSION=v1.16.2
PROMETHEUS_OPERATOR_VERSION=v0.80.1
out=${1:?usage: crds.sh OUTDIR}
cache=${GOPREFLIGHT_TOOLS_CACHE:-/var/cache/gopreflight}
export GOMODCACHE=$cache/go/mod GOFLAGS=-modcacherw GOTOOLCHAIN=local GOPROXY=${GOPROXY:-https://proxy.golang.org}
command -v go >/dev/null || { echo "crds.sh: go is not installed (run .ci/setup-deps.sh test)" >&2; exit 2; }
module_dir() {
  (cd / && go mod download -json "$1") |
    python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get("Dir") or sys.exit("crds.sh: " + d.get("Error", "no Dir")))'
}
mkdir -p "$out"
cm=$(module_dir "github.com/cert-manager/cert-manager@$CERT_MANAGER_VERSION")
po=$(module_dir "github.com/prometheus-operator/prometheus-operator@$PROMETHEUS_OPERATOR_VERSION")
python3 - "$out" "$cm/deploy/crds/crd-certificates.yaml" "$cm/deploy/crds/crd-issuers.yaml" \
  "$po/example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml" \
  "$po/example/prometheus-operator-crd/monitoring.coreos.com_prometheusrules.yaml" <<'PY'
import os, sys, yaml
out = sys.argv[1]
for path in sys.argv[2:]:
    crd = yaml.safe_load(open(path))
    if crd.get("kind") != "CustomResourceDefinition":
        sys.exit(f"crds.sh: {path} is not a CRD")
    md = crd["metadata"]
    crd["metadata"] = {"name": md["name"]}  # cert-manager's labels are Helm template text
    with open(os.path.join(out, md["name"] + ".yaml"), "w") as f:
        yaml.safe_dump(crd, f)
    print(os.path.join(out, md["name"] + ".yaml"))
PY
