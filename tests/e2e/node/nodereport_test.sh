#!/usr/bin/env bash
# node-report on the real node (issue 15): the one-node cluster of cluster.sh (its own start, so a
# tainted node can never disturb node_test.sh), the image from the Dockerfile, `helm install` of
# helm/gopreflight with nodeReport.enabled, manageTaint and a 5 s interval. The threshold is a
# node-report config in the chart's ConfigMap, changed with `helm upgrade` as a user would; the
# host is never changed (kernel.pid_max is read, and the thresholds are set around it).
#   1. the DaemonSet Pod runs gopreflight-check node-report from the imported image, and the Node
#      gets gopreflight.io/GoReady=True with no taint;
#   2. a threshold the node misses (kernel.pid_max min = the host's value + 1, critical): the
#      kubelet updates the mounted file, the reporter re-reads it in place (no Pod restart), the
#      Node gets GoReady=False with reason KernelPidMax and the observed/expected values, an Event
#      GoNotReady, and the taint gopreflight.io/not-ready:NoSchedule;
#   3. a new Go Pod without a toleration stays Pending: PodScheduled=False (Unschedulable) and a
#      FailedScheduling event with the scheduler's "untolerated taint" message;
#   4. the threshold fixed (min = the host's value): GoReady=True, the taint removed in the same
#      cycle, the Pod scheduled and Running; the time from the kubelet's file update to the
#      condition must be within one interval (+ slack), and each step's time is printed;
#   5. figures: the reporter's RSS (VmRSS/VmHWM of the process, the container's memory cgroup;
#      target <= 16 MiB), CPU per cycle and requests per unchanged cycle from its log;
#   6. the node is left without our taint, also after `helm uninstall`.
# Needs root. STAGE lines give each step's wall time; FIGURE lines the measurements.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
# shellcheck source=cluster.sh
source "$here/cluster.sh"

interval=5             # nodeReport.interval in seconds
reporter_slack=10      # seconds allowed beyond one interval (a loaded 2-core machine)
kubelet_sync_max=150   # the kubelet's ConfigMap volume update (syncFrequency 10s here; 60-90 s by default)
rss_target_kib=$((16 * 1024))
ns=gopreflight
release=gp
taint_key=gopreflight.io/not-ready

work=$(mktemp -d /tmp/gopreflight-nodereport-e2e.XXXXXX)
relay_pid=
finish() {
  local rc=$?
  if [ "$rc" -ne 0 ] && [ -n "$NODE_DIR" ]; then
    e2e_log "failed (exit $rc): state of the cluster"
    kubectl get node "$NODE_NAME" -o jsonpath='{.spec.taints}{"\n"}{.status.conditions}{"\n"}' >&2 2>/dev/null || true
    echo "--- node-report log" >&2
    [ -z "${ds_pod:-}" ] || kubectl -n "$ns" logs "$ds_pod" --tail=20 >&2 || true
    node_dump_state 10 kubelet scheduler
  fi
  if [ -n "$relay_pid" ]; then kill "$relay_pid" 2>/dev/null; wait "$relay_pid" 2>/dev/null || true; fi
  node_down
  rm -rf "$work"
  exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT TERM
passed=0
ok() { passed=$((passed + 1)); e2e_log "ok: $*"; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# The thresholds, around this host's value (read, never written).
pid_max=$(cat /proc/sys/kernel/pid_max)
config_for() { # MIN -> the node-report config (JSON for --set-json)
  printf '{"skip":["clock.sync"],"checks":{"kernel.pid_max":{"min":%s,"severity":"critical"}}}' "$1"
}
# clock.sync is skipped: these VMs have no NTP (docs/real-node-testing.md); it would fail every node.
config_pass=$(config_for "$pid_max")
config_fail=$(config_for $((pid_max + 1)))
helm_args=(-n "$ns" -f "$here/manifests/values-nodereport.yaml" --set "nodeReport.interval=${interval}s")

node_tools
node_stage "tools (build.sh, cached)"
image=localhost/gopreflight:node-e2e
bash "$here/image.sh" "$image" "$work/gopreflight.tar"
node_stage "image (podman build)"
node_up "$work/cluster"
node_import "$work/gopreflight.tar"
node_stage "image import"
# No kube-proxy runs here, so the kubernetes Service's ClusterIP (KUBERNETES_SERVICE_HOST in every
# Pod) leads nowhere and the apiserver listens on loopback: the reporter is pointed at a relay on
# the node's bridge address (its --apiserver-host/--apiserver-port, through nodeReport.extraArgs).
# Its token and CA are still the service-account volume's, as in any cluster.
python3 "$here/apiserver_relay.py" "$NODE_GATEWAY" "${NODE_API_URL##*:}" "$work/relay.port" &
relay_pid=$!
E2E_WAIT=10 e2e_wait test -s "$work/relay.port" || e2e_fail "the apiserver relay did not start"
helm_args+=(--set-json "nodeReport.extraArgs=[\"--apiserver-host=$NODE_GATEWAY\",\"--apiserver-port=$(cat "$work/relay.port")\"]")

# --- 1. install: the DaemonSet Pod from the image, GoReady=True, no taint ----------------------------
helm install "$release" "$root/helm/gopreflight" --create-namespace "${helm_args[@]}" \
  --set-json "nodeReport.config=$config_pass" --wait --timeout 180s >"$work/helm-install.log" 2>&1 ||
  { cat "$work/helm-install.log" >&2; kubectl -n "$ns" describe pods >&2 || true; e2e_fail "helm install failed"; }
# helm's --wait does not wait for this Pod: for a DaemonSet it wants desired - maxUnavailable
# (1 - 1 = 0 on one node) ready Pods (seen in a clean-clone run: ContainerCreating right after it).
ds=$(kubectl -n "$ns" get daemonset -l app.kubernetes.io/component=node-report -o name)
[ -n "$ds" ] || e2e_fail "helm install made no node-report DaemonSet"
kubectl -n "$ns" rollout status "$ds" --timeout=120s >&2 || e2e_fail "the node-report DaemonSet did not become available"
node_stage "helm install --wait, DaemonSet available"

kubectl -n "$ns" get pods -l app.kubernetes.io/component=node-report -o json >"$work/ds-pods.json"
read -r ds_pod ds_uid ds_image ds_image_id ds_restarts ds_cid < <(python3 - "$work/ds-pods.json" <<'EOF'
import json, sys
items = json.load(open(sys.argv[1]))["items"]
assert len(items) == 1, f"{len(items)} node-report Pods, want 1 (one node)"
p = items[0]
assert p["status"]["phase"] == "Running", p["status"]
c = p["status"]["containerStatuses"][0]
print(p["metadata"]["name"], p["metadata"]["uid"], c["image"], c["imageID"], c["restartCount"], c["containerID"].split("://")[1])
EOF
) || e2e_fail "the node-report Pod is not running (above)"
# The image's ID (its config digest) as podman built it; the CRI reports it as the imageID.
image_id=$(podman image inspect --format '{{.Id}}' "$image")
case $ds_image_id in
  *"$image_id") ;;
  *) e2e_fail "the node-report container runs image $ds_image_id, not the imported $image (sha256:$image_id)" ;;
esac
[ "$(kubectl -n "$ns" get pod "$ds_pod" -o jsonpath='{.spec.nodeName}')" = "$NODE_NAME" ] || e2e_fail "$ds_pod is not on $NODE_NAME"
# The container's process on this host, through containerd.
ds_pid=$(node_ctr tasks ls | awk -v id="$ds_cid" '$1 == id {print $2}')
[ -n "$ds_pid" ] && [ -r "/proc/$ds_pid/cmdline" ] || e2e_fail "no process for container $ds_cid in containerd's task list"
ds_cmd=$(tr '\0' ' ' <"/proc/$ds_pid/cmdline")
case $ds_cmd in
  "/usr/local/bin/gopreflight-check node-report "*"--manage-taint"*) ;;
  *) e2e_fail "the node-report container runs '$ds_cmd'" ;;
esac
ok "DaemonSet Pod $ds_pod Running on $NODE_NAME from $ds_image (sha256:${image_id:0:12}), host PID $ds_pid: $ds_cmd"
# kernel.pid_max is per PID namespace since Linux 6.14: the reporter must read the node's, so it
# shares this shell's (the host's) PID namespace; and it runs as its own UID, not the webhook's.
[ "$(readlink "/proc/$ds_pid/ns/pid")" = "$(readlink /proc/self/ns/pid)" ] ||
  e2e_fail "node-report runs in PID namespace $(readlink "/proc/$ds_pid/ns/pid"), not the node's $(readlink /proc/self/ns/pid)"
ds_uid_proc=$(awk '/^Uid:/ {print $2}' "/proc/$ds_pid/status")
[ "$ds_uid_proc" = 65533 ] || e2e_fail "node-report runs as UID $ds_uid_proc, want 65533"
ok "node-report shares the node's PID namespace and runs as UID $ds_uid_proc"

node_json() { kubectl get node "$NODE_NAME" -o json >"$work/node.json" 2>/dev/null; }
cond() { # FIELD of the GoReady condition (from $work/node.json)
  python3 -c 'import json,sys
n = json.load(open(sys.argv[1]))
c = next((x for x in n["status"].get("conditions", []) if x["type"] == "gopreflight.io/GoReady"), {})
print(c.get(sys.argv[2], ""))' "$work/node.json" "$1"
}
tainted() { # whether $work/node.json carries our taint, NoSchedule
  python3 -c 'import json,sys
n = json.load(open(sys.argv[1]))
sys.exit(0 if any(t["key"] == sys.argv[2] and t["effect"] == "NoSchedule" for t in n["spec"].get("taints") or []) else 1)' "$work/node.json" "$taint_key"
}
status_is() { node_json && [ "$(cond status)" = "$1" ]; }
E2E_WAIT=$((interval * 3)) e2e_wait status_is True ||
  { node_json; e2e_fail "GoReady is '$(cond status)' ($(cond reason): $(cond message)) after install, want True"; }
[ "$(cond reason)" = NodeChecksPassed ] || e2e_fail "reason $(cond reason), want NodeChecksPassed"
! tainted || e2e_fail "the node carries $taint_key while GoReady=True"
ok "GoReady=True (NodeChecksPassed) with kernel.pid_max min $pid_max; no taint: $(cond message | cut -c1-120)"
node_stage "test 1 (install, True)"

# --- the kubelet's copy of the ConfigMap in the Pod's volume, read on this host
volume_file=$NODE_DIR/kubelet/pods/$ds_uid/volumes/kubernetes.io~configmap/config/config.yaml
[ -r "$volume_file" ] || e2e_fail "the node-report config volume is not at $volume_file"
file_has_min() { grep -q "min: $1\$" "$volume_file" 2>/dev/null; }
file_has_min "$pid_max" || e2e_fail "the mounted config does not hold min: $pid_max: $(cat "$volume_file")"

# watch_change MIN STATUS [POD]: after a helm upgrade at $t_upgrade, polls until the mounted file
# holds MIN, GoReady is STATUS, the taint is as STATUS wants (and POD, if given, is Running),
# recording when each was first seen: t_file, t_status, t_taint, t_bound, t_running.
watch_change() {
  local min=$1 want=$2 pod=${3:-} deadline pod_extra=0
  [ -z "$pod" ] || pod_extra=10
  deadline=$(( $(date +%s) + kubelet_sync_max + interval + reporter_slack + 30 ))
  t_file= t_status= t_taint= t_bound= t_running=
  while [ "$(date +%s)" -lt "$deadline" ]; do
    [ -n "$t_file" ] || ! file_has_min "$min" || t_file=$(now)
    if node_json; then
      [ -n "$t_status" ] || [ "$(cond status)" != "$want" ] || t_status=$(now)
      if [ -z "$t_taint" ]; then
        if [ "$want" = False ]; then
          if tainted; then t_taint=$(now); fi
        elif ! tainted; then
          t_taint=$(now)
        fi
      fi
    fi
    if [ -n "$pod" ]; then
      [ -n "$t_bound" ] || [ -z "$(kubectl -n apps get pod "$pod" -o jsonpath='{.spec.nodeName}' 2>/dev/null)" ] || t_bound=$(now)
      [ -n "$t_running" ] || [ "$(kubectl -n apps get pod "$pod" -o jsonpath='{.status.phase}' 2>/dev/null)" != Running ] || t_running=$(now)
    fi
    [ -n "$t_file" ] && [ -n "$t_status" ] && [ -n "$t_taint" ] && { [ -z "$pod" ] || [ -n "$t_running" ]; } && return 0
    # Once the kubelet has delivered the file, the rest is the reporter's and the scheduler's:
    # give up after one interval + slack (+ 10 s for the Pod) instead of waiting the full deadline.
    if [ -n "$t_file" ] && ! awk -v d="$(since "$t_file" "$(now)")" -v m=$((interval + reporter_slack + pod_extra)) 'BEGIN { exit !(d <= m) }'; then
      return 1
    fi
    sleep 0.2
  done
  return 1
}
# The reporter's own share: from the new file to the condition, within one interval (+ slack).
check_reporter_time() { # what
  local d
  d=$(since "$t_file" "$t_status")
  awk -v d="$d" -v m=$((interval + reporter_slack)) 'BEGIN { exit !(d <= m) }' ||
    e2e_fail "$1: the condition changed $d s after the kubelet updated the mounted config, more than one interval ($interval s) + $reporter_slack s"
}

# --- 2. a threshold the node misses -----------------------------------------------------------------
t_upgrade=$(now)
helm upgrade "$release" "$root/helm/gopreflight" "${helm_args[@]}" --set-json "nodeReport.config=$config_fail" \
  --wait --timeout 180s >"$work/helm-fail.log" 2>&1 || { cat "$work/helm-fail.log" >&2; e2e_fail "helm upgrade (failing threshold) failed"; }
watch_change $((pid_max + 1)) False ||
  e2e_fail "after the failing threshold: file updated $([ -n "$t_file" ] && echo yes || echo no), GoReady $(cond status) ($(cond reason): $(cond message | cut -c1-300)), tainted $(tainted && echo yes || echo no)"
check_reporter_time "failing threshold"
echo "FIGURE threshold missed: kubelet updated the mounted config $(since "$t_upgrade" "$t_file") s after helm upgrade; GoReady=False $(since "$t_file" "$t_status") s and the taint $(since "$t_file" "$t_taint") s after that (interval ${interval} s)" >&2
node_json
[ "$(cond reason)" = KernelPidMax ] || e2e_fail "reason '$(cond reason)', want KernelPidMax"
msg=$(cond message)
case $msg in
  *"kernel.pid_max: observed $pid_max (/host/proc/sys/kernel/pid_max), expected >= $((pid_max + 1))"*) ;;
  *) e2e_fail "the message does not name kernel.pid_max with observed $pid_max and expected >= $((pid_max + 1)): $msg" ;;
esac
[ "${#msg}" -le 1024 ] || e2e_fail "the message is ${#msg} bytes, more than 1 KiB"
ok "GoReady=False (KernelPidMax): $msg"
python3 -c 'import json,sys
n = json.load(open(sys.argv[1]))
print(json.dumps(n["spec"]["taints"]))
t = [t for t in n["spec"]["taints"] if t["key"] == sys.argv[2]]
assert len(t) == 1 and t[0]["effect"] == "NoSchedule", t' "$work/node.json" "$taint_key" >"$work/taints.txt" ||
  e2e_fail "the taint is not $taint_key:NoSchedule once: $(cat "$work/taints.txt")"
ok "the Node is tainted: $(cat "$work/taints.txt")"
events=$(kubectl -n default get events --field-selector "involvedObject.kind=Node,involvedObject.name=$NODE_NAME" \
  -o jsonpath='{range .items[*]}{.reason}{"|"}{.source.component}{"|"}{.message}{"\n"}{end}')
grep -q '^GoNotReady|' <<<"$events" || e2e_fail "no GoNotReady Event about the Node: $events"
ok "Event: $(grep '^GoNotReady|' <<<"$events" | head -n1 | cut -c1-160)"
[ "$(kubectl -n "$ns" get pod "$ds_pod" -o jsonpath='{.metadata.uid} {.status.containerStatuses[0].restartCount}')" = "$ds_uid 0" ] ||
  e2e_fail "the node-report Pod was replaced or restarted: the config must be re-read in place"
ok "the config was re-read in place: same Pod $ds_pod, 0 restarts"
node_stage "test 2 (threshold missed)"

# --- 3. a new Go Pod stays Pending with the scheduler's taint message -----------------------------------
kubectl create namespace apps >/dev/null
kubectl -n apps apply -f "$here/manifests/go-app.yaml" >/dev/null
unschedulable() {
  [ "$(kubectl -n apps get pod go-app -o jsonpath='{.status.conditions[?(@.type=="PodScheduled")].reason}')" = Unschedulable ]
}
E2E_WAIT=30 e2e_wait unschedulable ||
  e2e_fail "the Go Pod is not Unschedulable: $(kubectl -n apps get pod go-app -o jsonpath='{.spec.nodeName} {.status}')"
sched_msg=$(kubectl -n apps get pod go-app -o jsonpath='{.status.conditions[?(@.type=="PodScheduled")].message}')
# kube-scheduler 1.35's TaintToleration plugin says "node(s) had untolerated taint(s)" without the
# key (older releases named it: "had untolerated taint {gopreflight.io/not-ready: }").
case $sched_msg in *"untolerated taint"*) ;; *) e2e_fail "the Pending reason is not the taint: $sched_msg" ;; esac
failed_event() {
  kubectl -n apps get events --field-selector involvedObject.name=go-app,reason=FailedScheduling \
    -o jsonpath='{range .items[*]}{.message}{"\n"}{end}' | grep -q 'untolerated taint'
}
E2E_WAIT=30 e2e_wait failed_event || e2e_fail "no FailedScheduling event with the taint message for go-app"
ok "the Go Pod is Pending: PodScheduled=False Unschedulable, FailedScheduling: $sched_msg"
sleep "$interval"   # one more cycle: it stays off the node
[ -z "$(kubectl -n apps get pod go-app -o jsonpath='{.spec.nodeName}')" ] || e2e_fail "the Go Pod was bound to the tainted node"
[ "$(kubectl -n apps get pod go-app -o jsonpath='{.status.phase}')" = Pending ] || e2e_fail "the Go Pod is not Pending"
ok "one interval later the Go Pod is still Pending and unbound"
node_stage "test 3 (Go Pod Pending)"

# --- 4. the threshold fixed: True, untainted, the Pod runs ----------------------------------------------
t_upgrade=$(now)
helm upgrade "$release" "$root/helm/gopreflight" "${helm_args[@]}" --set-json "nodeReport.config=$config_pass" \
  --wait --timeout 180s >"$work/helm-pass.log" 2>&1 || { cat "$work/helm-pass.log" >&2; e2e_fail "helm upgrade (threshold fixed) failed"; }
watch_change "$pid_max" True go-app ||
  e2e_fail "after fixing the threshold: file updated $([ -n "$t_file" ] && echo yes || echo no), GoReady $(cond status), tainted $(tainted && echo yes || echo no), go-app $(kubectl -n apps get pod go-app -o jsonpath='{.spec.nodeName} {.status.phase}')"
check_reporter_time "threshold fixed"
echo "FIGURE threshold fixed: kubelet updated the mounted config $(since "$t_upgrade" "$t_file") s after helm upgrade; GoReady=True $(since "$t_file" "$t_status") s, taint removed $(since "$t_file" "$t_taint") s, Go Pod bound $(since "$t_file" "$t_bound") s and Running $(since "$t_file" "$t_running") s after that (interval ${interval} s); helm upgrade to Pod Running $(since "$t_upgrade" "$t_running") s" >&2
node_json
[ "$(cond reason)" = NodeChecksPassed ] || e2e_fail "reason '$(cond reason)' after the fix, want NodeChecksPassed"
awk -v d="$(since "$t_taint" "$t_bound")" 'BEGIN { exit !(d <= 10) }' ||
  e2e_fail "the Go Pod was bound $(since "$t_taint" "$t_bound") s after the taint went (the scheduler should requeue it at once)"
ok "GoReady=True, taint removed, the Go Pod scheduled on $NODE_NAME and Running"
# Events are listed by name (NODE.<hex time>): in the order they were made.
events=$(kubectl -n default get events --field-selector "involvedObject.kind=Node,involvedObject.name=$NODE_NAME" \
  -o jsonpath='{range .items[*]}{.reason}{"\n"}{end}' | grep -E '^Go(Not)?Ready(Unknown)?$' | paste -sd, -)
[ "$events" = GoReady,GoNotReady,GoReady ] || e2e_fail "node-report's Events about the Node: $events, want GoReady,GoNotReady,GoReady"
ok "node-report's Events about the Node, one per transition: $events"
node_stage "test 4 (threshold fixed)"

# --- 5. figures: RSS, CPU per cycle, requests per unchanged cycle ------------------------------------------
[ "$(kubectl -n "$ns" get pod "$ds_pod" -o jsonpath='{.metadata.uid} {.status.containerStatuses[0].restartCount}')" = "$ds_uid 0" ] ||
  e2e_fail "the node-report Pod was replaced or restarted during the test"
kib() { awk -v k="$1" '/^'"$1"':/ {print $2}' "/proc/$ds_pid/status"; }
vm_rss=$(kib VmRSS) vm_hwm=$(kib VmHWM)
[ -n "$vm_rss" ] && [ -n "$vm_hwm" ] || e2e_fail "cannot read VmRSS/VmHWM of PID $ds_pid"
mem_cg=$(awk -F: '$2 == "memory" || ($1 == "0" && $2 == "") {print $3; exit}' "/proc/$ds_pid/cgroup")
cg_dir=/sys/fs/cgroup/memory$mem_cg
if [ -r "$cg_dir/memory.usage_in_bytes" ]; then
  cg_usage=$(( $(cat "$cg_dir/memory.usage_in_bytes") / 1024 ))
  cg_max=$(( $(cat "$cg_dir/memory.max_usage_in_bytes") / 1024 ))
  cg_rss=$(( $(awk '$1 == "total_rss" {print $2}' "$cg_dir/memory.stat") / 1024 ))
  cg_cache=$(( $(awk '$1 == "total_cache" {print $2}' "$cg_dir/memory.stat") / 1024 ))
  cg_text="container memory cgroup (v1, $mem_cg): usage $cg_usage KiB (max $cg_max KiB), rss $cg_rss KiB, page cache $cg_cache KiB"
else
  cg_text="container memory cgroup: not found under /sys/fs/cgroup/memory$mem_cg"
fi
logs=$(kubectl -n "$ns" logs "$ds_pod")
cycles=$(grep -c 'request(s); checks' <<<"$logs")
cpu=$(grep ' heartbeat; ' <<<"$logs" | sed -n 's/.*; cpu \([0-9.]*\) ms.*/\1/p' | sort -n |
  awk '{a[NR] = $1} END { if (NR) printf "median %.2f ms, p95 %.2f ms, max %.2f ms over %d unchanged cycles", a[int((NR + 1) / 2)], a[int(NR * 0.95 + 0.999)], a[NR], NR }')
reqs=$(grep ' heartbeat; ' <<<"$logs" | sed -n 's/.* heartbeat; \([0-9]*\) request(s).*/\1/p' | sort -n | uniq -c | awk '{printf "%s%s x %s", (NR > 1 ? ", " : ""), $1, $2}')
echo "FIGURE node-report RSS on the real node (PID $ds_pid after $cycles cycles): VmRSS $vm_rss KiB, VmHWM (peak) $vm_hwm KiB; $cg_text (target <= $rss_target_kib KiB)" >&2
echo "FIGURE node-report CPU per cycle on the real node: $cpu; requests per unchanged cycle: $reqs" >&2
[ "$vm_hwm" -le "$rss_target_kib" ] || e2e_fail "node-report's peak RSS is $vm_hwm KiB, above the $rss_target_kib KiB target"
ok "node-report peak RSS $vm_hwm KiB <= $rss_target_kib KiB"
[ "$cycles" -ge 3 ] || e2e_fail "only $cycles cycles in the node-report log"
! grep -q ': error: ' <<<"$logs" || e2e_fail "the node-report log has errors: $(grep ': error: ' <<<"$logs" | head -n 3)"
ok "$cycles cycles logged, no errors"
node_stage "test 5 (figures)"

# --- 6. the node is left clean ---------------------------------------------------------------------------
node_json
! tainted || e2e_fail "the node still carries $taint_key"
helm uninstall "$release" -n "$ns" --wait --timeout 120s >/dev/null || e2e_fail "helm uninstall failed"
node_json
! tainted || e2e_fail "the node carries $taint_key after helm uninstall"
ok "no $taint_key taint left on $NODE_NAME (also after helm uninstall)"

echo "nodereport-e2e: $passed passed, 0 failed"
