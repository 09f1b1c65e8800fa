#!/usr/bin/env bash
# The performance gates CI runs (tests/run-all.sh, stage "performance gates"): each measures one
# figure in this run, prints it with its bound (bounds.txt) and fails beyond it. All run even if
# one fails; a summary follows. The e2e latency gate runs inside tests/e2e/e2e_test.sh (it needs
# the cluster that test starts). See docs/testing.md.
#   engine  instructions per review, callgrind (engine.sh)
#   check   gopreflight-check vs the article's shell commands, paired hyperfine rounds (check.sh)
#   server  serve's reviews/s as a fraction of nginx's on the same TLS, same client (server.sh)
# Usage: run.sh BUILD_DIR [engine|check|server]...
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: run.sh BUILD_DIR [engine|check|server]...}" && pwd) || exit 2
shift
gates=("$@")
[ ${#gates[@]} -eq 0 ] && gates=(engine check server)
summary=()
failed=0
for g in "${gates[@]}"; do
  start=$SECONDS
  case $g in
    engine) cmd=(bash "$here/engine.sh" "$build/tests/bench/engine/engine_count") ;;
    check) cmd=(bash "$here/check.sh" "$build/cmd/gopreflight-check") ;;
    server) cmd=(bash "$here/server.sh" "$build/cmd/gopreflight-webhook") ;;
    *) echo "gates: unknown gate '$g' (engine, check, server)" >&2; exit 2 ;;
  esac
  echo "gates: $g: ${cmd[*]}"
  if "${cmd[@]}" 2>&1 | tee "/tmp/gopreflight-gate-$g.$$.log"; [ "${PIPESTATUS[0]}" -eq 0 ]; then
    verdict=ok
  else
    verdict=FAIL; failed=1
  fi
  while IFS= read -r line; do summary+=("$line"); done < <(grep -E '^gate [^:]+: ' "/tmp/gopreflight-gate-$g.$$.log" | grep -E ' (ok|FAIL)(  \[|$)|: FAIL: ')
  summary+=("  ($g: $verdict in $((SECONDS - start)) s)")
  rm -f "/tmp/gopreflight-gate-$g.$$.log"
done
echo "gates: summary"
printf '  %s\n' "${summary[@]}"
exit $failed
