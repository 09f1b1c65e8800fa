#!/usr/bin/env bash
# Runs the built gopreflight-webhook on tests/testdata: exit codes, stdin, and the JSON, SARIF and
# JUnit outputs parsed by python3. Usage: cli_test.sh BINARY TESTDATA_DIR
set -uo pipefail
bin=$(realpath "$1")
data=$(realpath "$2")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$data/review" || exit 1
fails=0

# expect CODE DESCRIPTION -- COMMAND...: runs COMMAND, keeps stdout/stderr in $work/out, $work/err.
expect() {
  local want=$1 what=$2
  shift 3
  "$@" >"$work/out" 2>"$work/err" </dev/null
  local got=$?
  if [ "$got" != "$want" ]; then
    echo "FAIL: $what: exit $got, want $want"; sed 's/^/  out: /' "$work/out" | head -20; sed 's/^/  err: /' "$work/err" | head -20
    fails=$((fails + 1))
  else
    echo "ok: $what (exit $got)"
  fi
}
# contains FILE TEXT DESCRIPTION
contains() {
  if ! grep -qF -- "$2" "$1"; then
    echo "FAIL: $3: $(basename "$1") lacks: $2"; sed 's/^/  | /' "$1" | head -20
    fails=$((fails + 1))
  fi
}

expect 0 "compliant Deployment is allowed" -- "$bin" review -f compliant-deployment.yaml
contains "$work/out" "1 object: 1 allowed, 0 denied" "compliant summary"
expect 1 "bad Deployment is denied" -- "$bin" review -f bad-deployment.yaml
# Lines are the field's (or its nearest parent's in the file): containers[0] is line 15, the Pod
# template's spec (where the sysctls belong) line 13.
contains "$work/out" "bad-deployment.yaml:15: error: deployment/api (shop) spec.template.spec.containers[0].securityContext.runAsNonRoot: " "bad: runAsNonRoot line"
contains "$work/out" "bad-deployment.yaml:13: error: deployment/api (shop) spec.template.spec.securityContext.sysctls: " "bad: sysctls line"
contains "$work/out" "rules: goRuntime (docs/policy/goRuntime.md) podSecurity (docs/policy/podSecurity.md)" "bad: rule doc links"
contains "$work/out" "spec.template.spec.securityContext.sysctls: sysctl net.ipv4.tcp_fin_timeout is not set" "bad: sysctl line"
contains "$work/out" "; fix: " "bad: fix"
expect 1 "CronJob with an unsettable sysctl is denied" -- "$bin" review -f cronjob.yaml
contains "$work/out" "cronjob/report (shop) spec.jobTemplate.spec.template.spec.securityContext.sysctls[0]: sysctl vm.max_map_count is not namespaced" "cronjob path"
expect 0 "Service and ConfigMap are skipped, not denied" -- "$bin" review -f service.yaml
contains "$work/out" "2 skipped" "skipped count"
expect 1 "List: the Pod item is denied" -- "$bin" review -f list.yaml
contains "$work/out" "list.yaml:14: error: pod/web (default) spec.containers[0]" "list item: the field's line"
expect 2 "malformed YAML" -- "$bin" review -f malformed.yaml
contains "$work/out" "malformed.yaml:6:5: error: YAML: " "malformed position"
expect 1 "directory, recursive" -- "$bin" review -f dir
contains "$work/out" "dir/nested/b-cronjob.yml:15: error: cronjob/report" "nested file, at the sysctl's line"
contains "$work/out" "4 objects: 0 allowed, 2 denied, 2 skipped" "dir summary"
expect 2 "a missing file" -- "$bin" review -f no-such-file.yaml
contains "$work/out" "no-such-file.yaml: error: no such file or directory" "missing file message"
expect 2 "missing -f is a usage error" -- "$bin" review
expect 2 "unknown output format" -- "$bin" review -f pod.json -o xml

# stdin
"$bin" review -f - <compliant-deployment.yaml >"$work/out" 2>&1; rc=$?
[ $rc = 0 ] && echo "ok: stdin allowed" || { echo "FAIL: stdin: exit $rc"; fails=$((fails + 1)); }
printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: "\xff"}\n' | "$bin" review -f - >"$work/out" 2>&1; rc=$?
[ $rc = 2 ] && echo "ok: invalid UTF-8 on stdin (exit 2)" || { echo "FAIL: invalid UTF-8: exit $rc"; fails=$((fails + 1)); }
contains "$work/out" "<stdin>:3:19: error: invalid UTF-8 (byte 0xFF)" "invalid UTF-8 message"
python3 -c "print('kind: Pod\nspec: ' + '[' * 100000)" | "$bin" review -f - >"$work/out" 2>&1; rc=$?
[ $rc = 2 ] && echo "ok: 100k-deep nesting on stdin (exit 2)" || { echo "FAIL: deep nesting: exit $rc"; fails=$((fails + 1)); }
contains "$work/out" "nesting too deep" "deep nesting message"

# Zero objects on stdin is an error (a container run without -i), never "0 objects, all allowed".
"$bin" review -f - </dev/null >"$work/out" 2>&1; rc=$?
[ $rc = 2 ] && echo "ok: empty stdin (exit 2)" || { echo "FAIL: empty stdin: exit $rc, want 2"; fails=$((fails + 1)); }
contains "$work/out" "<stdin>: error: no input on stdin (with docker or kubectl run, pass -i)" "empty stdin message"
printf -- '---\n# nothing\n---\n' | "$bin" review -f - >"$work/out" 2>&1; rc=$?
[ $rc = 2 ] && echo "ok: comments-only stdin (exit 2)" || { echo "FAIL: comments-only stdin: exit $rc, want 2"; fails=$((fails + 1)); }

# -n/--namespace: objects without one are judged in it, so namespace exemptions match.
cat >"$work/pod-nons.yaml" <<'POD'
apiVersion: v1
kind: Pod
metadata: {name: tool}
spec:
  containers: [{name: c, image: registry.example/tool:1}]
POD
expect 1 "a Pod without namespace is judged in default" -- "$bin" review -f "$work/pod-nons.yaml"
contains "$work/out" "pod/tool (default)" "default namespace shown"
expect 0 "-n kube-system: the exemption matches" -- "$bin" review -n kube-system -f "$work/pod-nons.yaml"
contains "$work/out" "exempt (namespace kube-system)" "-n exemption"
expect 0 "--namespace=kube-system works too" -- "$bin" review --namespace=kube-system -f "$work/pod-nons.yaml"
expect 1 "-n does not override an object's own namespace" -- "$bin" review -n kube-system -f bad-deployment.yaml

# --skip-rule: a rule, or rule/check; unknown ids are refused.
expect 1 "skipping one check keeps the others" -- "$bin" review -f bad-deployment.yaml --skip-rule podSecurity/runAsNonRoot
grep -q "podSecurity/runAsNonRoot" "$work/out" && { echo "FAIL: skipped check still reported"; fails=$((fails + 1)); }
contains "$work/out" "[podSecurity/allowPrivilegeEscalation]" "other checks of the rule stay"
expect 0 "skipping every rule that denies allows" -- "$bin" review -f bad-deployment.yaml --skip-rule podSecurity --skip-rule requiredSysctls --skip-rule goRuntime
expect 2 "an unknown rule id is a usage error" -- "$bin" review -f bad-deployment.yaml --skip-rule podsecurity
contains "$work/err" "--skip-rule podsecurity: unknown rule; expected one of podSecurity" "unknown rule message"

# --fail-on-warning
cat >"$work/warn.yaml" <<'POLICY'
apiVersion: gopreflight.io/v1alpha1
kind: Policy
podSecurity: {level: restricted, mode: warn}
POLICY
expect 0 "warnings alone exit 0" -- "$bin" review --policy "$work/warn.yaml" -f bad-deployment.yaml
contains "$work/out" ": warning: " "warn mode prints warnings"
expect 1 "--fail-on-warning: warnings exit 1" -- "$bin" review --policy "$work/warn.yaml" -f bad-deployment.yaml --fail-on-warning
expect 0 "--fail-on-warning with no warning exits 0" -- "$bin" review -f compliant-deployment.yaml --fail-on-warning

# version
expect 0 "version" -- "$bin" version
grep -qE '^gopreflight-webhook [0-9]+\.[0-9]+\.[0-9]+' "$work/out" && echo "ok: version line" || { echo "FAIL: version printed: $(cat "$work/out")"; fails=$((fails + 1)); }
expect 0 "version --short" -- "$bin" version --short
grep -qxE '[0-9]+\.[0-9]+\.[0-9]+' "$work/out" || { echo "FAIL: version --short printed: $(cat "$work/out")"; fails=$((fails + 1)); }

# --output-file: written whole (temp file + rename), nothing on stdout, exit code unchanged.
echo old >"$work/report.json"
expect 1 "--output-file json" -- "$bin" review -f bad-deployment.yaml -o json --output-file "$work/report.json"
[ -s "$work/out" ] && { echo "FAIL: --output-file also wrote to stdout"; fails=$((fails + 1)); }
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["summary"]["denied"] == 1' "$work/report.json" &&
  echo "ok: --output-file holds the JSON report" || { echo "FAIL: --output-file content"; fails=$((fails + 1)); }
ls "$work" | grep -q 'report.json.tmp' && { echo "FAIL: a temporary file was left behind"; fails=$((fails + 1)); }
expect 2 "--output-file into a missing directory" -- "$bin" review -f bad-deployment.yaml --output-file "$work/no/such/dir/r.txt"
contains "$work/err" "--output-file: cannot create a temporary file beside $work/no/such/dir/r.txt" "output-file error"
# The rename is what makes it atomic: a reader polling the file never sees a partial report.
python3 - "$bin" "$work" <<'PY' || fails=$((fails + 1))
import json, os, subprocess, sys, threading
binary, work = sys.argv[1], sys.argv[2]
target = os.path.join(work, "polled.json")
stop, seen, bad = False, 0, []
def poll():
    global seen
    while not stop:
        try:
            with open(target) as f:
                text = f.read()
        except FileNotFoundError:
            continue
        seen += 1
        try:
            json.loads(text)
        except ValueError:
            bad.append(len(text))
t = threading.Thread(target=poll)
t.start()
for _ in range(30):
    subprocess.run([binary, "review", "-f", "bad-deployment.yaml", "-f", "cronjob.yaml", "-f", "dir", "-o", "json",
                    "--output-file", target], stdout=subprocess.DEVNULL)
stop = True
t.join()
assert seen > 0, "the poller never read the file"
assert not bad, f"{len(bad)} partial reads out of {seen}"
print(f"ok: --output-file: {seen} reads while rewriting 30 times, none partial")
PY

# policies
expect 2 "a bad policy stops review with file:line:col" -- "$bin" review --policy "$data/policy/errors.yaml" -f pod.json
contains "$work/err" "$data/policy/errors.yaml:3:22: podSecurity.level: \"strict\" is not a Pod Security Standards level" "policy error"
expect 2 "a missing policy" -- "$bin" review --policy "$work/none.yaml" -f pod.json
expect 0 "a JSON policy loads; Services are skipped under it" -- "$bin" review --policy "$data/policy/full.json" -f "$data/review/service.yaml"
cat >"$work/baseline.yaml" <<'POLICY'
apiVersion: gopreflight.io/v1alpha1
kind: Policy
podSecurity: {level: baseline, version: v1.29}
POLICY
expect 0 "baseline-only policy allows the bad Deployment" -- "$bin" review --policy "$work/baseline.yaml" -f bad-deployment.yaml
expect 0 "policy lint: clean" -- "$bin" policy lint "$data/policy/full.yaml"
expect 1 "policy lint: errors" -- "$bin" policy lint "$data/policy/errors.yaml"
[ "$(wc -l <"$work/out")" = 14 ] && echo "ok: lint prints all 14 problems" || { echo "FAIL: lint printed $(wc -l <"$work/out") lines"; fails=$((fails + 1)); }
contains "$work/out" "$data/policy/errors.yaml:12:35: unknown key \"colour\" in goRuntime" "lint unknown key"
expect 1 "policy lint: contradictions" -- "$bin" policy lint "$data/policy/contradictions.yaml"
contains "$work/out" "contradictions.yaml:5:12: requiredSysctls[0]: vm.max_map_count is not namespaced" "lint contradiction"
expect 2 "policy lint: unreadable" -- "$bin" policy lint "$work/none.yaml"

# Machine outputs, parsed by real parsers.
expect 2 "json output" -- "$bin" review -f compliant-deployment.yaml -f bad-deployment.yaml -f service.yaml -f malformed.yaml -o json
python3 - "$work/out" <<'PY' || fails=$((fails + 1))
import json, sys
d = json.load(open(sys.argv[1]))
assert d["summary"] == {"objects": 4, "allowed": 1, "denied": 1, "skipped": 2, "errors": 1,
                        "violations": d["summary"]["violations"], "warnings": d["summary"]["warnings"], "exitCode": 2}, d["summary"]
assert [o["status"] for o in d["objects"]] == ["allowed", "denied", "skipped", "skipped"]
assert [o["allowed"] for o in d["objects"]] == [True, False, None, None]
bad = d["objects"][1]
assert bad["violations"] and all(set(v) >= {"rule", "path", "message", "fix"} for v in bad["violations"])
assert any(v["path"] == "spec.template.spec.containers[0].securityContext.runAsNonRoot" for v in bad["violations"])
assert d["errors"][0]["file"] == "malformed.yaml" and d["errors"][0]["line"] == 6
print("ok: json output parsed and checked")
PY
expect 1 "sarif output" -- "$bin" review -f bad-deployment.yaml -f cronjob.yaml -o sarif
python3 - "$work/out" <<'PY' || fails=$((fails + 1))
import json, sys
s = json.load(open(sys.argv[1]))
assert s["version"] == "2.1.0" and s["$schema"].endswith("sarif-2.1.0.json")
run = s["runs"][0]
rules = run["tool"]["driver"]["rules"]
assert run["tool"]["driver"]["name"] == "gopreflight-webhook"
assert len({r["id"] for r in rules}) == len(rules)
assert run["results"]
for r in run["results"]:
    assert r["level"] in ("error", "warning", "note")
    assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
    loc = r["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] in ("bad-deployment.yaml", "cronjob.yaml")
    assert loc["region"]["startLine"] >= 1
    assert r["message"]["text"]
# At the field's line, not the document's: bad-deployment's container is line 15, cronjob's sysctl 15.
lines = {(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], r["ruleId"]): r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in run["results"]}
assert lines[("bad-deployment.yaml", "podSecurity/runAsNonRoot")] == 15, lines
assert lines[("bad-deployment.yaml", "requiredSysctls/net.ipv4.tcp_fin_timeout")] == 13, lines
for rule in rules:
    base = rule["id"].split("/")[0]
    assert rule["helpUri"].endswith(f"/docs/policy/{base}.md"), rule
print("ok: sarif output parsed and checked")
PY
expect 1 "junit output" -- "$bin" review -f dir -o junit
python3 - "$work/out" <<'PY' || fails=$((fails + 1))
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == "testsuites"
assert (root.get("tests"), root.get("failures"), root.get("errors"), root.get("skipped")) == ("4", "2", "0", "2"), root.attrib
suites = root.findall("testsuite")
assert len(suites) == 3
assert len(root.findall(".//failure")) == 2 and len(root.findall(".//skipped")) == 2
print("ok: junit output parsed and checked")
PY

echo "review_cli: $fails failure(s)"
[ "$fails" = 0 ]
