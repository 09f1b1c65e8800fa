#!/usr/bin/env bash
# Gate: instructions per Engine::validate, counted by callgrind (deterministic: the same binary
# and input give the same count, whatever else runs on the machine), for the server benchmark's
# 4.4 KB Deployment review and the 9.4 KB server-side-apply review (managedFields), built-in policy.
# Bound (bounds.txt): engine_instructions_<review> = today's count + 10%.
# Usage: engine.sh PATH/TO/engine_count     (from tests/bench/engine; needs valgrind)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"
bin=${1:?usage: engine.sh PATH/TO/engine_count}
[ -x "$bin" ] || { gate_fail engine "$bin is not an executable (build the engine_count target)"; exit 1; }
command -v valgrind >/dev/null || { gate_fail engine "valgrind is not installed (bash .ci/setup-deps.sh test)"; exit 1; }
iterations=${GATE_ENGINE_ITERATIONS:-200}
work=$(mktemp -d /tmp/gopreflight-gate-engine.XXXXXX)
trap 'rm -rf "$work"' EXIT

status=0
# name, review, the answer it gets (allowed with a GOMEMLIMIT warning; refused).
for spec in "deployment tests/server/testdata/deployment-review.json 1" "apply tests/bench/engine/deployment-apply-review.json 0"; do
  read -r name review allowed <<<"$spec"
  review=$root/$review
  bound=$(gate_bound "engine_instructions_$name") || exit 1
  # Only Engine::validate and what it calls are counted (not reading the file or loading the policy).
  if ! valgrind --tool=callgrind --callgrind-out-file="$work/cg.$name" \
      --toggle-collect='gopreflight::webhook::Engine::validate*' \
      "$bin" "$review" "$iterations" >"$work/out.$name" 2>"$work/err.$name"; then
    cat "$work/err.$name" "$work/out.$name"
    gate_fail "engine ($name)" "valgrind or engine_count failed"; status=1; continue
  fi
  # The answer must be the one the review gets: a build that fails early would count few
  # instructions.
  grep -q "http 200, allowed $allowed," "$work/out.$name" ||
    { cat "$work/out.$name"; gate_fail "engine ($name)" "engine_count did not report the review's answer (http 200, allowed $allowed)"; status=1; continue; }
  total=$(sed -n 's/^summary: \([0-9]*\).*/\1/p' "$work/cg.$name")
  # validate runs iterations + 1 times (one warm-up) inside the collected region.
  per=$(awk -v t="${total:-0}" -v n="$iterations" 'BEGIN {printf "%.0f", t / (n + 1)}')
  gate_check "engine ($name review)" "$per" "<=" "$bound" "instructions/review" \
    "callgrind, $((iterations + 1)) validates of $(wc -c <"$review") bytes" || status=1
done
exit $status
