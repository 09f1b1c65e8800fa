#!/usr/bin/env bash
# gopreflight-check reads every duration with the one parser (common/), so a --probe-timeout the
# probes would refuse is a usage error (exit 2) before anything runs, never a probe "error".
# usage: duration_cli_test.sh BINARY FIXTURES_DIR
set -u
BIN=$1
FX=$2
K="--path.procfs $FX/kernel/pass/proc --path.sysfs $FX/kernel/pass/sys"
fails=0
run() {  # run WANT_CODE STDERR_PATTERN ARGS...
  local want=$1 pattern=$2
  shift 2
  local err
  err=$("$BIN" "$@" 2>&1 >/dev/null </dev/null)
  local got=$?
  if [ "$got" != "$want" ]; then
    echo "FAIL: exit $got, want $want: $* ($err)"
    fails=$((fails + 1))
  elif [ -n "$pattern" ] && ! grep -q -- "$pattern" <<<"$err"; then
    echo "FAIL: '$pattern' not in stderr of $*: $err"
    fails=$((fails + 1))
  else
    echo "ok: exit $got: $*"
  fi
}
# Probes go to a closed loopback port; only the flag check is under test.
run 2 "longer than 10m" $K --only kernel.version --probe "db=tcp://127.0.0.1:1" --probe-timeout 11m
run 2 "between 1ms and 10m" $K --only kernel.version --probe "db=tcp://127.0.0.1:1" --probe-timeout 0s
run 2 "missing unit" $K --only kernel.version --probe "db=tcp://127.0.0.1:1" --probe-timeout 5
run 2 "longer than 24h" $K --only kernel.version --probe-deadline 25h
run 0 "" $K --only kernel.version --probe-timeout 1.5s
exit $((fails > 0))
