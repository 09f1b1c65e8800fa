#!/usr/bin/env bash
# Gate: a full local `gopreflight-check` run (every check, no probes, JSON output) against
# tests/bench/check/article-checks.sh, the source article's commands doing the same readings,
# paired: ROUNDS hyperfine rounds of RUNS runs of each, the two measured in the same round. The
# figure is the median over rounds of (script's CPU time / check's CPU time), user + system as
# hyperfine counts them (the script's children included): the work each does, which waiting for
# a CPU on a loaded machine does not change. The wall-time ratio (medians) is printed beside it:
# on an idle machine it is the larger one (the script also waits for its forks and execs); on
# 2 CPUs shared with other builds it scattered from 4x to 13x between rounds, the CPU ratio
# 9.3-9.7x.
# Bound (bounds.txt): check_speedup_min (>= 8x).
# Usage: [ROUNDS=5] [RUNS=20] check.sh PATH/TO/gopreflight-check     (needs hyperfine)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"
bin=${1:?usage: check.sh PATH/TO/gopreflight-check}
rounds=${ROUNDS:-5}
runs=${RUNS:-20}
[ -x "$bin" ] || { gate_fail check "$bin is not an executable"; exit 1; }
bin=$(readlink -f "$bin")
command -v hyperfine >/dev/null || { gate_fail check "hyperfine is not installed (bash .ci/setup-deps.sh test)"; exit 1; }
bound=$(gate_bound check_speedup_min) || exit 1
script=$root/tests/bench/check/article-checks.sh
work=$(mktemp -d /tmp/gopreflight-gate-check.XXXXXX)
trap 'rm -rf "$work"' EXIT

# What is timed must be a whole report: a check that stops early would look fast. (Its exit code
# says what it found on this host, which the gate does not judge.)
"$bin" --output json --termination-log /dev/null >"$work/report.json" 2>"$work/report.err" || true
python3 - "$work/report.json" <<'PY' || { cat "$work/report.err"; gate_fail check "gopreflight-check printed no JSON report"; exit 1; }
import json, sys
r = json.load(open(sys.argv[1]))
checks = r.get("checks") if isinstance(r, dict) else None
assert isinstance(checks, list) and len(checks) >= 5, "expected a report with its checks, got: %.200s" % r
PY

echo "gate check: machine $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg); $rounds rounds of $runs runs each"
ratios=()
for r in $(seq 1 "$rounds"); do
  # -N: no intermediate shell, so the binary's time is its own; the script pays for its bash.
  hyperfine -N --warmup 2 --runs "$runs" --export-json "$work/round.json" -i \
    "$bin --output json --termination-log /dev/null" "bash $script" >/dev/null 2>"$work/hyperfine.err" ||
    { cat "$work/hyperfine.err"; gate_fail check "hyperfine failed"; exit 1; }
  line=$(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["results"]
cpu = [x["user"] + x["system"] for x in r]
print("%.3f %.3f %.2f %.3f %.3f %.2f" % (cpu[0] * 1000, cpu[1] * 1000, cpu[1] / cpu[0],
      r[0]["median"] * 1000, r[1]["median"] * 1000, r[1]["median"] / r[0]["median"]))' "$work/round.json")
  read -r ours theirs ratio ours_wall theirs_wall wall_ratio <<<"$line"
  ratios+=("$ratio")
  echo "gate check: round $r: CPU gopreflight-check $ours ms, article script $theirs ms: ${ratio}x; wall (median) $ours_wall ms vs $theirs_wall ms: ${wall_ratio}x"
done
median=$(printf '%s\n' "${ratios[@]}" | sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}')
gate_check check "$median" ">=" "$bound" "x less CPU than the article's script" "median of $rounds rounds: ${ratios[*]}"
