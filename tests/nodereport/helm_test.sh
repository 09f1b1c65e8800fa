#!/usr/bin/env bash
# The chart's nodeReport block with the real helm (tests/e2e/tools/build.sh): off by default;
# when on, the DaemonSet (host /proc and /sys read-only, NODE_NAME from spec.nodeName, tolerations,
# small resources, non-root, the host's PID namespace), the chart's own Pods tolerating the taint
# only with manageTaint, the narrowest RBAC (patch nodes only with manageTaint), and a config
# ConfigMap that gopreflight-check itself accepts; the DaemonSet's command line is parsed by the
# real binary; the schema refuses typos. (Accepted by a real apiserver: it_apiserver.sh.)
# Usage: helm_test.sh PATH/TO/gopreflight-check
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=$(readlink -f "${1:?usage: helm_test.sh PATH/TO/gopreflight-check}")
chart=$root/helm/gopreflight
py=/usr/bin/python3
helm=$(bash "$root/tests/e2e/tools/build.sh" helm | sed -n 's/^helm=//p')
[ -x "$helm" ] || { echo "FAIL: no helm from tests/e2e/tools/build.sh" >&2; exit 1; }
work=$(mktemp -d /tmp/gopreflight-nr-helm.XXXXXX)
trap 'rm -rf "$work"' EXIT
fails=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }

"$helm" template gp "$chart" -n gp >"$work/default.yaml"
grep -q "node-report" "$work/default.yaml" && bad "default values render node-report objects" || ok "off by default"

"$helm" template gp "$chart" -n gp --set nodeReport.enabled=true --set nodeReport.interval=30s \
  --set-json 'nodeReport.config={"checks":{"kernel.pid_max":{"min":100000,"severity":"critical"}},"skip":["clock.sync"]}' \
  >"$work/on.yaml"
"$helm" template gp "$chart" -n gp --set nodeReport.enabled=true --set nodeReport.manageTaint=true >"$work/taint.yaml"

"$py" - "$work/on.yaml" "$work/taint.yaml" "$work" <<'PY' || fails=$((fails + 1))
import json, sys, yaml
def objs(p):
    return {(o["kind"], o["metadata"]["name"]): o for o in yaml.safe_load_all(open(p)) if o and "node-report" in o["metadata"]["name"]}
on, taint, work = objs(sys.argv[1]), objs(sys.argv[2]), sys.argv[3]
name = "gp-gopreflight-node-report"
want = {("ServiceAccount", name), ("ClusterRole", name), ("ClusterRoleBinding", name), ("Role", name),
        ("RoleBinding", name), ("ConfigMap", name), ("DaemonSet", name)}
assert set(on) == want, sorted(on)
rules = on[("ClusterRole", name)]["rules"]
assert rules == [{"apiGroups": [""], "resources": ["nodes"], "verbs": ["get"]},
                 {"apiGroups": [""], "resources": ["nodes/status"], "verbs": ["patch"]}], rules
assert taint[("ClusterRole", name)]["rules"][0]["verbs"] == ["get", "patch"]
role = on[("Role", name)]
assert role["metadata"]["namespace"] == "default" and role["rules"] == [{"apiGroups": [""], "resources": ["events"], "verbs": ["create"]}], role
for b in ("ClusterRoleBinding", "RoleBinding"):
    assert on[(b, name)]["subjects"] == [{"kind": "ServiceAccount", "name": name, "namespace": "gp"}], b
ds = on[("DaemonSet", name)]["spec"]["template"]["spec"]
c = ds["containers"][0]
assert ds["serviceAccountName"] == name
assert ds["tolerations"] == [{"operator": "Exists"}], ds["tolerations"]
assert c["command"] == ["/usr/local/bin/gopreflight-check", "node-report"], c["command"]
assert "--path.procfs=/host/proc" in c["args"] and "--path.sysfs=/host/sys" in c["args"] and "--interval=30s" in c["args"], c["args"]
assert "--manage-taint" not in c["args"]
assert "--manage-taint" in taint[("DaemonSet", name)]["spec"]["template"]["spec"]["containers"][0]["args"]
assert c["env"] == [{"name": "NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}], c["env"]
mounts = {m["name"]: m for m in c["volumeMounts"]}
assert all(m["readOnly"] for m in mounts.values()), mounts
assert mounts["host-proc"]["mountPath"] == "/host/proc" and mounts["host-sys"]["mountPath"] == "/host/sys"
vols = {v["name"]: v for v in ds["volumes"]}
assert vols["host-proc"]["hostPath"]["path"] == "/proc" and vols["host-sys"]["hostPath"]["path"] == "/sys"
assert c["securityContext"]["readOnlyRootFilesystem"] and c["securityContext"]["capabilities"]["drop"] == ["ALL"]
assert ds["securityContext"]["runAsNonRoot"]
# The node's PID namespace: kernel.pid_max is per PID namespace since Linux 6.14 (nodereport_test.sh).
assert ds.get("hostPID") is True, ds.get("hostPID")
assert ds["securityContext"]["runAsUser"] == 65533, "a UID of its own: it can signal its UID's processes"
# The chart's own Pods tolerate node-report's taint only when it manages one, so a `helm upgrade`
# (its pre-upgrade policy-check Job) still runs while every node is tainted.
ours = {"key": "gopreflight.io/not-ready", "operator": "Exists", "effect": "NoSchedule"}
def own_pods(p):
    return {o["kind"]: o["spec"]["template"]["spec"] for o in yaml.safe_load_all(open(p))
            if o and o["kind"] in ("Deployment", "Job")}
for kind, spec in own_pods(sys.argv[1]).items():
    assert ours not in (spec.get("tolerations") or []), (kind, spec.get("tolerations"))
for kind, spec in own_pods(sys.argv[2]).items():
    assert ours in (spec.get("tolerations") or []), (kind, spec.get("tolerations"))
assert set(own_pods(sys.argv[2])) == {"Deployment", "Job"}
assert c["resources"]["limits"]["memory"] == "32Mi" and c["resources"]["requests"]["cpu"] == "5m", c["resources"]
cfg = on[("ConfigMap", name)]["data"]["config.yaml"]
assert yaml.safe_load(cfg) == {"checks": {"kernel.pid_max": {"min": 100000, "severity": "critical"}}, "skip": ["clock.sync"]}, cfg
open(work + "/config.yaml", "w").write(cfg)
open(work + "/args", "w").write("\n".join(a.replace("/etc/gopreflight/node-report/config.yaml", work + "/config.yaml") for a in c["args"]))
print("ok: rendered objects, RBAC, DaemonSet and config as expected")
PY

# The rendered config and command line, as the real binary takes them.
"$bin" --config "$work/config.yaml" --path.procfs "$here/fixtures/node-good/proc" \
  --path.sysfs "$here/fixtures/node-good/sys" --only kernel.pid_max >/dev/null &&
  ok "the rendered config is accepted by gopreflight-check" || bad "gopreflight-check refuses the rendered config"
mapfile -t args <"$work/args"
"$bin" node-report "${args[@]}" --list >"$work/list" && grep -q "kernel.pid_max" "$work/list" &&
  ok "the DaemonSet's arguments parse (node-report --list)" || bad "the DaemonSet's arguments do not parse: ${args[*]}"

refuse() { # NAME PATTERN HELM-ARGS...
  local name=$1 pattern=$2; shift 2
  if "$helm" template gp "$chart" "$@" >"$work/out" 2>&1; then bad "$name: accepted"; elif grep -q -- "$pattern" "$work/out"; then ok "$name"; else bad "$name: no '$pattern' in: $(tail -n 3 "$work/out")"; fi
}
refuse "schema: typo in nodeReport" "enabeld" --set nodeReport.enabeld=true
refuse "schema: interval without a unit" "interval" --set nodeReport.interval=60
refuse "schema: typo in the config" "strikt" --set nodeReport.config.strikt=true

echo "$fails failure(s)"
[ "$fails" = 0 ]
