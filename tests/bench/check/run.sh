#!/usr/bin/env bash
# Benchmark: median wall time of a full local gopreflight-check run (every check, no probes,
# JSON output) against article-checks.sh doing the same readings with the article's commands.
# Usage: run.sh PATH/TO/gopreflight-check [RUNS]     (needs hyperfine; prints both medians+ratio)
set -euo pipefail
bin=$(readlink -f "${1:?usage: run.sh PATH/TO/gopreflight-check [RUNS]}")
runs=${2:-200}
here=$(cd "$(dirname "$0")" && pwd)
command -v hyperfine >/dev/null || { echo "run.sh: hyperfine is not installed" >&2; exit 1; }
out=$(mktemp /tmp/gp-bench.XXXXXX.json)
trap 'rm -f "$out"' EXIT
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), kernel $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg)"
# -N: no intermediate shell, so the binary's time is its own; the script pays for its bash.
hyperfine -N --warmup 5 --runs "$runs" --export-json "$out" -i \
  "$bin --output json --termination-log /dev/null" \
  "bash $here/article-checks.sh" >/dev/null
python3 - "$out" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
med = [x["median"] * 1000 for x in r]
print(f"gopreflight-check  median {med[0]:.2f} ms  (mean {r[0]['mean']*1000:.2f} ms, "
      f"min {r[0]['min']*1000:.2f} ms, {len(r[0]['times'])} runs)")
print(f"article script     median {med[1]:.2f} ms  (mean {r[1]['mean']*1000:.2f} ms, "
      f"min {r[1]['min']*1000:.2f} ms)")
cpu = [(x["user"] + x["system"]) * 1000 for x in r]
print(f"CPU time (user+sys, mean): gopreflight-check {cpu[0]:.2f} ms, article script {cpu[1]:.2f} ms "
      f"({cpu[1]/cpu[0]:.1f}x); wall times above include waiting for a CPU on a loaded machine")
print(f"ratio              {med[1]/med[0]:.1f}x faster; target <= 5 ms and >= 10x: "
      + ("met" if med[0] <= 5 and med[1] / med[0] >= 10 else "NOT met"))
PY
