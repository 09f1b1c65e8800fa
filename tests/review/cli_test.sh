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
contains "$work/out" "bad-deployment.yaml:2: error: deployment/api (shop) spec.template.spec.containers[0].securityContext.runAsNonRoot: " "bad: runAsNonRoot line"
contains "$work/out" "spec.template.spec.securityContext.sysctls: sysctl net.ipv4.tcp_fin_timeout is not set" "bad: sysctl line"
contains "$work/out" "; fix: " "bad: fix"
expect 1 "CronJob with an unsettable sysctl is denied" -- "$bin" review -f cronjob.yaml
contains "$work/out" "cronjob/report (shop) spec.jobTemplate.spec.template.spec.securityContext.sysctls[0]: sysctl vm.max_map_count is not namespaced" "cronjob path"
expect 0 "Service and ConfigMap are skipped, not denied" -- "$bin" review -f service.yaml
contains "$work/out" "2 skipped" "skipped count"
expect 1 "List: the Pod item is denied" -- "$bin" review -f list.yaml
contains "$work/out" "list.yaml:9: error: pod/web (default) " "list item line"
expect 2 "malformed YAML" -- "$bin" review -f malformed.yaml
contains "$work/out" "malformed.yaml:6:5: error: YAML: " "malformed position"
expect 1 "directory, recursive" -- "$bin" review -f dir
contains "$work/out" "dir/nested/b-cronjob.yml:1: error: cronjob/report" "nested file"
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
