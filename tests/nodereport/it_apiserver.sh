#!/usr/bin/env bash
# gopreflight-check node-report against a real kube-apiserver + etcd on loopback (tests/e2e/lib.sh),
# run as a process with a ServiceAccount token made by the apiserver (TokenRequest), the RBAC
# rendered from the chart (helm template, templates/nodereport-rbac.yaml), and the fixture
# procfs/sysfs tree fixtures/node-good (the host is never read or changed, except adjtimex:
# clock.sync is skipped in the configs here because the host clock is not a fixture).
#   - the condition appears (True, NodeChecksPassed) with an Event; a second run keeps
#     lastTransitionTime and posts no Event;
#   - the loop (1 s interval) flips to False when the config's threshold changes in place, back to
#     True when it is restored, one request per unchanged cycle, and keeps going when the token
#     file is rotated and the old token is invalidated; SIGTERM exits 0 and leaves the condition;
#   - RBAC refusals (no binding; taint without `patch nodes`) are reported with the apiserver's
#     message; a bad token is an error with the 401 reason; a wrong CA fails certificate checks;
#   - with manageTaint RBAC and --manage-taint the taint appears while False and goes when True,
#     other taints kept; a 409 Conflict (another writer changed the Node between the reporter's
#     read and its taint patch, forced by conflict_proxy.py) is retried after a fresh read without
#     dropping the other writer's taint, and a Node that changes before every attempt is reported.
# Usage: it_apiserver.sh PATH/TO/gopreflight-check
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=../e2e/lib.sh
source "$root/tests/e2e/lib.sh"
bin=$(readlink -f "${1:?usage: it_apiserver.sh PATH/TO/gopreflight-check}")
fx=$here/fixtures/node-good
chart=$root/helm/gopreflight
py=/usr/bin/python3   # Debian's, with python3-yaml (.ci/setup-deps.sh test)
kapi() { "$py" "$here/kapi.py" "$@"; }

work=$(mktemp -d /tmp/gopreflight-nodereport.XXXXXX)
reporter_pid=
proxy_pid=
passed=0
failed=0
cleanup() {
  [ -n "$reporter_pid" ] && kill "$reporter_pid" 2>/dev/null && wait "$reporter_pid" 2>/dev/null
  [ -n "$proxy_pid" ] && kill "$proxy_pid" 2>/dev/null && wait "$proxy_pid" 2>/dev/null
  e2e_stop_cluster
  [ "${E2E_KEEP:-0}" = 1 ] && echo "work dir kept: $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT
ok() { passed=$((passed + 1)); e2e_log "ok   $*"; }
bad() { failed=$((failed + 1)); e2e_log "FAIL $*"; }
# expect NAME PYTHON-EXPR: the expression over `n` (the Node) and `c` (its GoReady condition or None).
node_json() { kapi get /api/v1/nodes/$node; }
expect_node() {
  local name=$1 expr=$2
  if node_json | "$py" -c "
import json, sys
n = json.load(sys.stdin)
c = next((x for x in n['status'].get('conditions', []) if x['type'] == 'gopreflight.io/GoReady'), None)
sys.exit(0 if ($expr) else 1)" 2>"$work/expect.err"; then ok "$name"; else bad "$name"; node_json | jq -c '{taints: .spec.taints, conditions: .status.conditions}' >&2; cat "$work/expect.err" >&2; fi
}
cond_field() { node_json | jq -r ".status.conditions[] | select(.type==\"gopreflight.io/GoReady\") | .$1"; }
events_about() { kapi get /api/v1/namespaces/default/events | jq -r "[.items[] | select(.involvedObject.name==\"$node\" and .involvedObject.kind==\"Node\") | .reason] | join(\",\")"; }
status_is() { [ "$(cond_field status)" = "$1" ]; }
heartbeat_not() { [ "$(cond_field lastHeartbeatTime)" != "$1" ]; }
events_include() { events_about | grep -q "$1"; }
grep_log() { # NAME FILE PATTERN
  if grep -q -- "$3" "$2"; then ok "$1"; else bad "$1: '$3' not in $2"; sed 's/^/    /' "$2" | tail -n 15 >&2; fi
}

# --- tools and cluster
e2e_tools  # etcd, kube-apiserver, kubectl and helm of the same release (cached)
e2e_start_cluster "$work/cluster"
pki=$work/cluster/pki
export KAPI_URL=$E2E_APISERVER_URL KAPI_CA=$pki/ca.crt KAPI_CERT=$pki/admin.crt KAPI_KEY=$pki/admin.key
api_port=${E2E_APISERVER_URL##*:}

ns=gopreflight
node=gp-node-1
sa=gopreflight-node-report
kapi post /api/v1/namespaces "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"$ns\"}}" >/dev/null
kapi post /api/v1/nodes "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"$node\"},
  \"spec\":{\"taints\":[{\"key\":\"example.com/other\",\"effect\":\"PreferNoSchedule\"}]}}" >/dev/null
# The apiserver's TaintNodesByCondition admission adds node.kubernetes.io/not-ready on create; the
# reporter must keep every taint that is not its own.
taints0=$(node_json | jq -c '.spec.taints')
echo "$taints0" | grep -q example.com/other || e2e_fail "the Node was created without its taint: $taints0"
render_rbac() { # manageTaint
  "$E2E_HELM" template gopreflight "$chart" --namespace "$ns" --set nodeReport.enabled=true \
    --set nodeReport.manageTaint="$1" --show-only templates/nodereport-rbac.yaml >"$work/rbac.yaml"
}
render_rbac false
kapi apply "$work/rbac.yaml" 2>/dev/null
grep -q "verbs: \[get\]" "$work/rbac.yaml" && ok "chart RBAC without the taint: nodes get only" ||
  bad "chart RBAC without the taint grants more than get on nodes"

# The whole nodeReport rendering (DaemonSet, ConfigMap too) is accepted by the apiserver.
"$E2E_HELM" template gopreflight "$chart" --namespace "$ns" --set nodeReport.enabled=true \
  --set nodeReport.manageTaint=true --set-json 'nodeReport.config={"skip":["clock.sync"]}' \
  --show-only templates/nodereport-daemonset.yaml >"$work/ds.yaml"
if kapi apply "$work/ds.yaml" 2>"$work/apply.err"; then ok "the chart's DaemonSet and ConfigMap are accepted by the apiserver"; else bad "apiserver refused the DaemonSet: $(cat "$work/apply.err")"; fi

mkdir -p "$work/sa"
kapi token "$ns" "$sa" >"$work/sa/token"
cp "$pki/ca.crt" "$work/sa/ca.crt"
cat >"$work/pass.yaml" <<'YAML'
skip: [clock.sync]
YAML
cat >"$work/fail.yaml" <<'YAML'
skip: [clock.sync]
checks:
  kernel.pid_max: {min: 5000000, severity: critical}
YAML

# report [ARGS...]: one cycle; stderr in $work/log, exit code in $rc.
report() {
  set +e
  NODE_NAME=$node KUBERNETES_SERVICE_HOST=127.0.0.1 KUBERNETES_SERVICE_PORT=$api_port \
    "$bin" node-report --path.procfs "$fx/proc" --path.sysfs "$fx/sys" \
      --token-file "$work/sa/token" --ca-file "${CA:-$work/sa/ca.crt}" --once "$@" 2>"$work/log"
  rc=$?
  set -e
}

# --- the condition appears
report --config "$work/pass.yaml"
[ "$rc" = 0 ] && ok "first report exits 0" || { bad "first report exits $rc"; cat "$work/log" >&2; }
expect_node "GoReady True with reason NodeChecksPassed" \
  "c and c['status'] == 'True' and c['reason'] == 'NodeChecksPassed' and c['message'].startswith('16 of 16 node-wide checks passed') and c['lastTransitionTime'] == c['lastHeartbeatTime']"
expect_node "other taints untouched" "n['spec']['taints'] == json.loads('$taints0')"
[ "$(events_about)" = "GoReady" ] && ok "one Event (GoReady) on the first report" || bad "events after the first report: $(events_about)"
t_first=$(cond_field lastTransitionTime)
sleep 1.1
report --config "$work/pass.yaml"
[ "$(cond_field lastTransitionTime)" = "$t_first" ] && ok "unchanged status keeps lastTransitionTime" ||
  bad "lastTransitionTime moved from $t_first to $(cond_field lastTransitionTime) without a status change"
[ "$(cond_field lastHeartbeatTime)" != "$t_first" ] && ok "heartbeat advances" || bad "lastHeartbeatTime did not advance"
[ "$(events_about)" = "GoReady" ] && ok "no Event without a transition" || bad "events: $(events_about)"
grep_log "a new process: GET the Node, then the heartbeat patch" "$work/log" "heartbeat; 2 request(s)"

# --- the loop: config flips the condition, token rotation, SIGTERM
cp "$work/pass.yaml" "$work/live.yaml"
NODE_NAME=$node KUBERNETES_SERVICE_HOST=127.0.0.1 KUBERNETES_SERVICE_PORT=$api_port \
  "$bin" node-report --path.procfs "$fx/proc" --path.sysfs "$fx/sys" --interval 1s \
    --token-file "$work/sa/token" --ca-file "$work/sa/ca.crt" --config "$work/live.yaml" 2>"$work/loop.log" &
reporter_pid=$!
cp "$work/fail.yaml" "$work/live.yaml.new" && mv "$work/live.yaml.new" "$work/live.yaml"  # as the kubelet swaps files
if E2E_WAIT=10 e2e_wait status_is False; then ok "loop: the threshold change flips GoReady to False"; else bad "loop: still $(cond_field status) 10 s after the threshold change"; fi
expect_node "False: reason and message name the failing check with observed and expected" \
  "c['reason'] == 'KernelPidMax' and 'kernel.pid_max: observed 4194304 (' in c['message'] and 'expected >= 5000000' in c['message'] and len(c['message']) <= 1024"
expect_node "False: lastTransitionTime moved" "c['lastTransitionTime'] != '$t_first'"
E2E_WAIT=5 e2e_wait events_include GoNotReady &&
  ok "loop: Event GoNotReady on the transition" || bad "loop: events: $(events_about)"

# Token rotation: a new token bound to a Secret goes into the file (symlink swap, as the kubelet
# does); then the old one is made invalid by deleting the Secret it is bound to.
kapi post /api/v1/namespaces/$ns/secrets '{"apiVersion":"v1","kind":"Secret","metadata":{"name":"tok-b"}}' >/dev/null
kapi post /api/v1/namespaces/$ns/secrets '{"apiVersion":"v1","kind":"Secret","metadata":{"name":"tok-c"}}' >/dev/null
kapi token "$ns" "$sa" tok-b >"$work/sa/token.b"
kapi token "$ns" "$sa" tok-c >"$work/sa/token.c"
# At least one unchanged cycle must have run before the stop (checked below): wait for it, up to
# 10 s, or a fast SIGTERM after the transition leaves nothing to check.
for _ in $(seq 100); do
  grep -qF "False (KernelPidMax) heartbeat" "$work/loop.log" && break
  sleep 0.1
done
# Restart the loop on token B held through a symlink, then swap to C and revoke B.
kill -TERM "$reporter_pid"; wait "$reporter_pid" && lrc=0 || lrc=$?; reporter_pid=
[ "$lrc" = 0 ] && ok "SIGTERM: exit 0" || bad "SIGTERM: exit $lrc"
grep_log "SIGTERM: the log says the condition is left" "$work/loop.log" "stopping; the condition is left as it is"
[ "$(cond_field status)" = False ] && ok "SIGTERM leaves the condition" || bad "condition after SIGTERM: $(cond_field status)"
grep_log "loop: unchanged cycles are one request each" "$work/loop.log" "False (KernelPidMax) heartbeat; 1 request(s)"
ln -s token.b "$work/sa/live-token"
NODE_NAME=$node KUBERNETES_SERVICE_HOST=127.0.0.1 KUBERNETES_SERVICE_PORT=$api_port \
  "$bin" node-report --path.procfs "$fx/proc" --path.sysfs "$fx/sys" --interval 1s \
    --token-file "$work/sa/live-token" --ca-file "$work/sa/ca.crt" --config "$work/live.yaml" 2>"$work/rot.log" &
reporter_pid=$!
E2E_WAIT=10 e2e_wait grep -q "heartbeat; 1 request" "$work/rot.log" || bad "rotation: the loop did not start"
ln -s token.c "$work/sa/live-token.new" && mv -T "$work/sa/live-token.new" "$work/sa/live-token"
sleep 1.5
kapi delete /api/v1/namespaces/$ns/secrets/tok-b
# The apiserver caches a token's successful authentication for 10 s: wait past that, so a reporter
# still sending token B would get 401s here.
sleep 11
hb=$(cond_field lastHeartbeatTime)
if E2E_WAIT=6 e2e_wait heartbeat_not "$hb"; then ok "rotation: heartbeats go on with the new token after the old one is revoked"; else bad "rotation: no heartbeat after the old token was revoked"; tail -n 5 "$work/rot.log" >&2; fi
if grep -q "HTTP 401" "$work/rot.log"; then bad "rotation: a 401 was logged (the old token was still in use)"; grep "HTTP 401" "$work/rot.log" | head -3 >&2; else ok "rotation: no 401"; fi
cp "$work/pass.yaml" "$work/live.yaml.new" && mv "$work/live.yaml.new" "$work/live.yaml"
if E2E_WAIT=10 e2e_wait status_is True; then ok "loop: restoring the threshold flips GoReady back to True"; else bad "loop: still $(cond_field status) after restoring"; fi
kill -TERM "$reporter_pid"; wait "$reporter_pid" || true; reporter_pid=

# --- an API error never ends the loop: with a refused token it keeps cycling and logging, and
# recovers when the token file holds a good one again.
cp "$work/sa/token" "$work/sa/good-loop"
printf 'refused-token\n' >"$work/sa/token"
NODE_NAME=$node KUBERNETES_SERVICE_HOST=127.0.0.1 KUBERNETES_SERVICE_PORT=$api_port \
  "$bin" node-report --path.procfs "$fx/proc" --path.sysfs "$fx/sys" --interval 1s \
    --token-file "$work/sa/token" --ca-file "$work/sa/ca.crt" --config "$work/pass.yaml" 2>"$work/bad.log" &
reporter_pid=$!
errors_twice() { [ "$(grep -c 'HTTP 401' "$work/bad.log")" -ge 2 ]; }
if E2E_WAIT=10 e2e_wait errors_twice && kill -0 "$reporter_pid"; then ok "loop: 401s are logged cycle after cycle, the process lives on"; else bad "loop: after 401s: $(tail -n 3 "$work/bad.log")"; fi
hb=$(cond_field lastHeartbeatTime)
cp "$work/sa/good-loop" "$work/sa/token.new" && mv "$work/sa/token.new" "$work/sa/token"
if E2E_WAIT=8 e2e_wait heartbeat_not "$hb"; then ok "loop: recovers when the token is good again"; else bad "loop: no heartbeat after the token was fixed: $(tail -n 3 "$work/bad.log")"; fi
kill -TERM "$reporter_pid"; wait "$reporter_pid" || true; reporter_pid=

# --- refusals
kapi post /api/v1/namespaces/$ns/serviceaccounts '{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"nobody"}}' >/dev/null
kapi token "$ns" nobody >"$work/sa/nobody"
cp "$work/sa/token" "$work/sa/good"
cp "$work/sa/nobody" "$work/sa/token"
report --config "$work/pass.yaml"
[ "$rc" = 1 ] && ok "no RBAC: exit 1" || bad "no RBAC: exit $rc"
grep_log "no RBAC: the apiserver's refusal is reported" "$work/log" \
  'GET /api/v1/nodes/gp-node-1: HTTP 403: nodes "gp-node-1" is forbidden: User "system:serviceaccount:gopreflight:nobody" cannot get resource "nodes"'
grep_log "no RBAC: with the hint" "$work/log" "RBAC: the reporter's ServiceAccount lacks this permission"

printf 'not-a-token\n' >"$work/sa/token"
report --config "$work/pass.yaml"
[ "$rc" = 1 ] && ok "bad token: exit 1" || bad "bad token: exit $rc"
grep_log "bad token: 401 with the reason" "$work/log" "HTTP 401: Unauthorized (the service-account token was refused"
cp "$work/sa/good" "$work/sa/token"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=other-ca \
  -keyout "$work/other.key" -out "$work/other.crt" 2>/dev/null
CA=$work/other.crt report --config "$work/pass.yaml"
[ "$rc" = 1 ] && ok "wrong CA: exit 1" || bad "wrong CA: exit $rc"
grep_log "wrong CA: certificate verification fails" "$work/log" "certificate verify failed"

# Taint without `patch nodes` (the chart's RBAC when manageTaint is off): refused, reported,
# while the condition itself is written.
report --config "$work/fail.yaml" --manage-taint
[ "$rc" = 1 ] && ok "taint without RBAC: exit 1" || bad "taint without RBAC: exit $rc"
grep_log "taint without RBAC: the refusal names patch on nodes" "$work/log" \
  'PATCH /api/v1/nodes/gp-node-1 (taint): HTTP 403: nodes "gp-node-1" is forbidden: User "system:serviceaccount:gopreflight:gopreflight-node-report" cannot patch resource "nodes"'
expect_node "taint without RBAC: the condition is still written" "c['status'] == 'False'"

# --- the taint, with the chart's manageTaint RBAC
render_rbac true
kapi apply "$work/rbac.yaml" 2>/dev/null
grep -q "verbs: \[get, patch\]" "$work/rbac.yaml" && ok "chart RBAC with the taint: nodes get, patch" || bad "chart RBAC with manageTaint lacks patch nodes"
sleep 1  # the RBAC authorizer's informer picks the new rule up
report --config "$work/fail.yaml" --manage-taint
[ "$rc" = 0 ] && ok "taint on: exit 0" || { bad "taint on: exit $rc"; cat "$work/log" >&2; }
expect_node "taint on while False, other taint kept" \
  "c['status'] == 'False' and n['spec']['taints'] == json.loads('$taints0') + [{'key': 'gopreflight.io/not-ready', 'effect': 'NoSchedule'}]"
# A reading that cannot be made: Unknown (never True), and the taint is left as it is.
cp -r "$fx" "$work/fx-unknown"
rm "$work/fx-unknown/proc/sys/kernel/pid_max"
fx=$work/fx-unknown report --config "$work/pass.yaml" --manage-taint
expect_node "an unreadable file: Unknown with the reason, taint left on" \
  "c['status'] == 'Unknown' and c['reason'] == 'KernelPidMaxUnreadable' and 'kernel.pid_max: could not be read: reading ' in c['message'] and {'key': 'gopreflight.io/not-ready', 'effect': 'NoSchedule'} in n['spec']['taints']"
report --config "$work/pass.yaml" --manage-taint
grep_log "taint removed on the transition to True" "$work/log" "taint removed"
expect_node "taint gone when True, other taint kept" \
  "c['status'] == 'True' and n['spec']['taints'] == json.loads('$taints0')"

# --- 409 Conflict on the taint patch: another writer changes the Node between the reporter's read
# and its write. conflict_proxy.py forwards the reporter's requests as they are and, right before
# the taint patch, lets a second writer (admin) add its own taint; the apiserver then refuses the
# reporter's patch (stale resourceVersion). The reporter must read the Node again and retry, and
# the other writer's taint must survive.
# with_conflicts N TAINT [report ARGS...]: one report through a fresh proxy; its log in $work/proxy.log.
with_conflicts() {
  local n=$1 key=$2; shift 2
  rm -f "$work/proxy.port" "$work/proxy.log"
  "$py" "$here/conflict_proxy.py" "$work/proxy.port" "$work/proxy.log" "$node" "$n" "$key" \
    "$pki/apiserver.crt" "$pki/apiserver.key" 2>"$work/proxy.err" &
  proxy_pid=$!
  E2E_WAIT=10 e2e_wait test -s "$work/proxy.port" || { cat "$work/proxy.err" >&2; e2e_fail "conflict_proxy.py did not start"; }
  api_port=$(cat "$work/proxy.port") report "$@"
  kill "$proxy_pid"; wait "$proxy_pid" 2>/dev/null || true; proxy_pid=
}
taint_keys() { node_json | jq -c '[.spec.taints[]?.key] | sort'; }
keys_of() { jq -c 'sort' <<<"$1"; }
proxy_lines() { grep -c -- "$1" "$work/proxy.log" || true; }
base_keys=$(jq -c '[.[].key]' <<<"$taints0")

with_conflicts 1 example.com/writer-a --config "$work/fail.yaml" --manage-taint
[ "$rc" = 0 ] && ok "409 once (adding): exit 0" || { bad "409 once (adding): exit $rc"; cat "$work/log" >&2; }
[ "$(proxy_lines "PATCH /api/v1/nodes/$node -> 409 \[second writer first: taint example.com/writer-a")" = 1 ] &&
  [ "$(proxy_lines "PATCH /api/v1/nodes/$node -> 200")" = 1 ] &&
  grep -A1 -- "-> 409" "$work/proxy.log" | grep -q "GET /api/v1/nodes/$node -> 200" &&
  ok "409 once (adding): the apiserver refused the stale patch, the reporter read the Node again and the retry was accepted" ||
  { bad "409 once (adding): requests were not 409, GET, 200"; cat "$work/proxy.log" >&2; }
grep_log "409 once (adding): the taint is reported added" "$work/log" "taint added"
want=$(keys_of "$(jq -c '. + ["example.com/writer-a", "gopreflight.io/not-ready"]' <<<"$base_keys")")
[ "$(taint_keys)" = "$want" ] && ok "409 once (adding): ours added, the other writer's taint kept: $(taint_keys)" ||
  bad "409 once (adding): taints $(taint_keys), want $want"

with_conflicts 1 example.com/writer-b --config "$work/pass.yaml" --manage-taint
[ "$rc" = 0 ] && ok "409 once (removing): exit 0" || { bad "409 once (removing): exit $rc"; cat "$work/log" >&2; }
[ "$(proxy_lines "-> 409")" = 1 ] && [ "$(proxy_lines "PATCH /api/v1/nodes/$node -> 200")" = 1 ] &&
  ok "409 once (removing): refused once, retried after a fresh read" ||
  { bad "409 once (removing): requests"; cat "$work/proxy.log" >&2; }
want=$(keys_of "$(jq -c '. + ["example.com/writer-a", "example.com/writer-b"]' <<<"$base_keys")")
[ "$(taint_keys)" = "$want" ] && ok "409 once (removing): ours removed, both other writers' taints kept: $(taint_keys)" ||
  bad "409 once (removing): taints $(taint_keys), want $want"

# The Node changes before every attempt: the reporter gives up for this cycle and says so (exit 1
# with --once), nothing of the other writer's is lost, and the condition itself was written.
before=$(taint_keys)
with_conflicts 99 example.com/writer-b --config "$work/fail.yaml" --manage-taint
[ "$rc" = 1 ] && ok "409 every time: exit 1" || { bad "409 every time: exit $rc (a taint that could not be written must be reported)"; cat "$work/log" >&2; }
[ "$(proxy_lines "PATCH /api/v1/nodes/$node -> 409")" = 4 ] && ok "409 every time: 4 attempts" ||
  { bad "409 every time: $(proxy_lines "PATCH /api/v1/nodes/$node -> 409") refused taint patches, want 4"; cat "$work/proxy.log" >&2; }
grep_log "409 every time: the error names the conflict and the attempts" "$work/log" \
  "PATCH /api/v1/nodes/$node (taint): HTTP 409: Operation cannot be fulfilled on nodes \"$node\": the object has been modified.* (gave up after 4 attempts"
[ "$(taint_keys)" = "$before" ] && ok "409 every time: taints unchanged ($before)" || bad "409 every time: taints $(taint_keys), want $before"
expect_node "409 every time: the condition is written" "c['status'] == 'False'"
report --config "$work/pass.yaml" --manage-taint   # back to True for what follows

# --- the Node is deleted and registered again while the loop runs: the condition comes back on
# the new object (a fresh lastTransitionTime), no restart needed.
NODE_NAME=$node KUBERNETES_SERVICE_HOST=127.0.0.1 KUBERNETES_SERVICE_PORT=$api_port \
  "$bin" node-report --path.procfs "$fx/proc" --path.sysfs "$fx/sys" --interval 1s \
    --token-file "$work/sa/token" --ca-file "$work/sa/ca.crt" --config "$work/pass.yaml" 2>"$work/re.log" &
reporter_pid=$!
E2E_WAIT=10 e2e_wait grep -q "heartbeat; 1 request" "$work/re.log" || bad "re-register: the loop did not start"
kapi delete /api/v1/nodes/$node
E2E_WAIT=10 e2e_wait grep -q "HTTP 404" "$work/re.log" || bad "re-register: no 404 logged after the delete"
sleep 1.1  # so the new object's times differ from the old condition's (second precision)
kapi post /api/v1/nodes "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"$node\"}}" >/dev/null
has_condition() { node_json | jq -e '.status.conditions[]? | select(.type=="gopreflight.io/GoReady")' >/dev/null; }
if E2E_WAIT=10 e2e_wait has_condition; then ok "re-register: the condition is back on the new Node object"; else bad "re-register: no condition on the new Node: $(tail -n 3 "$work/re.log")"; fi
expect_node "re-register: lastTransitionTime is the new object's, not carried over" \
  "c['lastTransitionTime'] >= n['metadata']['creationTimestamp']"
kill -TERM "$reporter_pid"; wait "$reporter_pid" || true; reporter_pid=

# --- a Node larger than the reader's 64 KiB cap: reported, and the condition is still written.
big=$("$py" -c 'import json; print(json.dumps({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "gp-big", "annotations": {"example.com/blob": "x" * 70000}}}))')
kapi post /api/v1/nodes "$big" >/dev/null
node=gp-big report --config "$work/pass.yaml"
[ "$rc" = 1 ] && ok "big Node: exit 1 (an error was reported)" || bad "big Node: exit $rc"
grep_log "big Node: the cap is named" "$work/log" "the Node object is larger than 64 KiB"
node=gp-big expect_node "big Node: the condition is written anyway" "c and c['status'] == 'True'"

e2e_log "node-report against the apiserver: $passed passed, $failed failed"
[ "$failed" = 0 ]
