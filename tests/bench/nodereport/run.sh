#!/usr/bin/env bash
# Benchmark: node-report's cost against a real kube-apiserver + etcd on loopback (tests/e2e/lib.sh),
# with the fixture tree tests/nodereport/fixtures/node-good:
#   - CPU time of one report cycle (the checks + the HTTPS status patch; measured by the reporter
#     with CLOCK_PROCESS_CPUTIME_ID around each cycle and printed in its log line);
#   - the process's RSS (VmRSS and its peak VmHWM from /proc/PID/status) after the cycles;
#   - API requests per cycle when nothing changed.
# Targets (issue 15): <= 5 ms CPU per cycle, <= 16 MiB RSS, <= 1 request per unchanged cycle.
# Usage: run.sh PATH/TO/gopreflight-check [CYCLES]      (default 60 cycles at a 1 s interval)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
source "$root/tests/e2e/lib.sh"
bin=$(readlink -f "${1:?usage: run.sh PATH/TO/gopreflight-check [CYCLES]}")
cycles=${2:-60}
fx=$root/tests/nodereport/fixtures/node-good
py=/usr/bin/python3
kapi() { "$py" "$root/tests/nodereport/kapi.py" "$@"; }
work=$(mktemp -d /tmp/gopreflight-nr-bench.XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; e2e_stop_cluster; rm -rf "$work"; }
trap cleanup EXIT

e2e_tools  # etcd, kube-apiserver, kubectl and helm of the same release (cached)
e2e_start_cluster "$work/cluster" 2>/dev/null
pki=$work/cluster/pki
export KAPI_URL=$E2E_APISERVER_URL KAPI_CA=$pki/ca.crt KAPI_CERT=$pki/admin.crt KAPI_KEY=$pki/admin.key
kapi post /api/v1/nodes '{"apiVersion":"v1","kind":"Node","metadata":{"name":"bench-node"}}' >/dev/null
kapi post /api/v1/namespaces/default/serviceaccounts '{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"bench"}}' >/dev/null
kapi post /apis/rbac.authorization.k8s.io/v1/clusterrolebindings '{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding",
  "metadata":{"name":"bench"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"cluster-admin"},
  "subjects":[{"kind":"ServiceAccount","name":"bench","namespace":"default"}]}' >/dev/null
kapi token default bench >"$work/token"
printf 'skip: [clock.sync]\n' >"$work/config.yaml"

NODE_NAME=bench-node KUBERNETES_SERVICE_HOST=127.0.0.1 KUBERNETES_SERVICE_PORT=${E2E_APISERVER_URL##*:} \
  "$bin" node-report --path.procfs "$fx/proc" --path.sysfs "$fx/sys" --config "$work/config.yaml" \
  --token-file "$work/token" --ca-file "$pki/ca.crt" --interval 1s 2>"$work/log" &
pid=$!
cycles_done() { [ "$(grep -c 'request(s)' "$work/log")" -gt "$cycles" ]; }
E2E_WAIT=$((cycles * 3 + 10)) e2e_wait cycles_done || echo "bench: fewer than $cycles cycles in $((cycles * 3 + 10)) s" >&2
grep -E '^(VmRSS|VmHWM)' "/proc/$pid/status" >"$work/mem"
kill -TERM "$pid"; wait "$pid" || true; pid=

echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "binary: $bin ($(file -b "$bin" | cut -d, -f1-2 | sed 's/ELF 64-bit LSB //'); $(ldd "$bin" >/dev/null 2>&1 && echo dynamic || echo static))"
"$py" - "$work/log" "$work/mem" "$cycles" <<'PY'
import re, statistics, sys
log, mem, n = open(sys.argv[1]).read().splitlines(), open(sys.argv[2]).read(), int(sys.argv[3])
rows = []
for line in log:
    m = re.search(r"GoReady=(\w+) \((\w+)\) (.*?); (\d+) request\(s\); checks ([\d.]+) ms; cpu ([\d.]+) ms", line)
    if m:
        rows.append({"status": m[1], "kind": "heartbeat" if m[3].startswith("heartbeat") else "first",
                     "req": int(m[4]), "checks": float(m[5]), "cpu": float(m[6])})
errors = [l for l in log if ": error: " in l]
steady = [r for r in rows[1:n + 1] if r["kind"] == "heartbeat"]
if not rows or not steady:
    sys.exit("bench: no cycles in the log:\n" + "\n".join(log[-10:]))
cpu = sorted(r["cpu"] for r in steady)
p95 = cpu[min(len(cpu) - 1, int(0.95 * len(cpu)))]
kib = {k: int(v.split()[0]) for k, v in (l.split(":", 1) for l in mem.splitlines())}
reqs = max(r["req"] for r in steady)
print(f"cycles: {len(steady)} unchanged (heartbeat) cycles after the first; errors logged: {len(errors)}")
print(f"first cycle: {rows[0]['req']} requests (GET node, PATCH status, POST event), cpu {rows[0]['cpu']:.2f} ms")
print(f"CPU per unchanged cycle: median {statistics.median(cpu):.2f} ms, p95 {p95:.2f} ms, max {cpu[-1]:.2f} ms "
      f"(of which the checks' wall time: median {statistics.median(r['checks'] for r in steady):.2f} ms)")
print(f"RSS: {kib['VmRSS'] / 1024:.1f} MiB now, peak {kib['VmHWM'] / 1024:.1f} MiB")
print(f"API requests per unchanged cycle: max {reqs}")
met = statistics.median(cpu) <= 5 and kib["VmHWM"] <= 16 * 1024 and reqs <= 1 and not errors
print("targets (<= 5 ms CPU per cycle, <= 16 MiB RSS, <= 1 request per unchanged cycle): " + ("met" if met else "NOT met"))
PY
