#!/usr/bin/env bash
# Issue 10: a policy file written in place is read mid-write by the reloader. A file cut after
# `podSecurity:` must not turn Pod Security off (it is an error, the last good policy stays); a
# file that is still changing is not applied until it stops; a reload that turns rules off is
# logged as a warning; `policy lint` reports the empty section.
source "$(dirname "$0")/lib.sh"
setup_serving
P=$WORK/policy.yaml
cp "$T/policy.yaml" "$P"
start_server --policy "$P"

# A privileged Pod: denied while podSecurity restricted is in force.
python3 - "$T/pod-review.json" "$WORK/privileged.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
r["request"]["uid"] = "privileged-pod"
for c in r["request"]["object"]["spec"]["containers"]:
    c["securityContext"] = {"privileged": True}
json.dump(r, open(sys.argv[2], "w"))
PY
allowed() {  # "true"/"false" for the privileged Pod now
  curl -sS --max-time 5 --cacert "$WORK/ca.crt" --resolve "$SVC:$PORT:127.0.0.1" -H 'Content-Type: application/json' \
    --data-binary @"$WORK/privileged.json" "https://$SVC:$PORT/validate" |
    python3 -c 'import json,sys; print(str(json.load(sys.stdin)["response"]["allowed"]).lower())'
}
[ "$(allowed)" = false ] || fail "the privileged Pod is allowed before any reload"

note "policy lint reports a section with no value"
printf 'apiVersion: gopreflight.io/v1alpha1\nkind: Policy\npodSecurity:\n' > "$WORK/torn.yaml"
rc=0; "$BIN" policy lint "$WORK/torn.yaml" > "$WORK/lint.out" 2>&1 || rc=$?
cat "$WORK/lint.out"
[ "$rc" = 1 ] || fail "policy lint exit $rc for an empty podSecurity section (want 1)"
grep -q 'torn.yaml:3:.*podSecurity: the section has no value' "$WORK/lint.out" || fail "lint message"

note "a write stalled right after 'podSecurity:' (1.5 s, several reload checks): the rule stays on"
python3 - "$P" "$T/policy.yaml" <<'PY' &
import sys, time
path, full = sys.argv[1], open(sys.argv[2]).read()
cut = full.index("podSecurity:") + len("podSecurity:")
with open(path, "w") as f:          # in place, as an editor or `cat >` would
    f.write(full[:cut] + "\n"); f.flush()
    time.sleep(1.5)
    f.seek(0); f.write(full); f.truncate(); f.flush()
PY
WRITER=$!; PIDS+=("$WRITER")
sleep 0.2
for i in 1 2 3 4 5 6; do
  [ "$(allowed)" = false ] || fail "a privileged Pod was allowed while the policy file was half-written (check $i)"
  sleep 0.2
done
wait "$WRITER"
for i in $(seq 1 50); do grep -q '"msg":"policy reloaded"' "$LOG" && break; sleep 0.1; done
grep -q '"msg":"policy reload failed; keeping the previous policy".*podSecurity: the section has no value' "$LOG" ||
  fail "the torn file was not reported as an error"
[ "$(allowed)" = false ] || fail "the privileged Pod is allowed after the write completed"

note "a file still changing (a byte every 20 ms for 1.5 s) is applied once, when it stops"
before=$(metric 'gopreflight_webhook_policy_reloads_total{result="success"}')
python3 - "$P" "$T/policy.yaml" <<'PY'
import sys, time
path, full = sys.argv[1], open(sys.argv[2]).read()
with open(path, "w") as f:
    f.write(full + "# "); f.flush()
    t0 = time.time()
    while time.time() - t0 < 1.5:
        f.write("x"); f.flush(); time.sleep(0.02)
    f.write("\n"); f.flush()
PY
sleep 1.5
after=$(metric 'gopreflight_webhook_policy_reloads_total{result="success"}')
echo "policy reloads while the file changed for 1.5 s: $((after - before))"
[ "$((after - before))" = 1 ] || fail "$((after - before)) reloads of a file that kept changing (want 1, once it settled)"

note "a reload that turns a rule off is logged as a warning"
grep -v '^podSecurity:' "$T/policy.yaml" > "$WORK/weaker.yaml"
mv "$WORK/weaker.yaml" "$P"
for i in $(seq 1 50); do grep -q '"msg":"policy reload turned rules off or weakened them"' "$LOG" && break; sleep 0.1; done
grep -q '"level":"warning","msg":"policy reload turned rules off or weakened them".*podSecurity (section removed)' "$LOG" ||
  fail "no warning for a reload that removed podSecurity"
[ "$(allowed)" = true ] || fail "podSecurity removed on purpose, yet the privileged Pod is still denied"
stop_server
echo "PASS: it_policy_torn"
