#!/usr/bin/env bash
# gopreflight-check exit codes and outputs against fixture trees (hermetic: no real /proc reads
# for the selected checks, no network; probes only to a closed loopback port).
# usage: cli_test.sh BINARY FIXTURES_DIR
set -u
BIN=$1
FX=$2
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fails=0

# expect CODE DESCRIPTION -- ARGS...   (stdout -> $TMP/out, stderr -> $TMP/err)
expect() {
  local want=$1 what=$2
  shift 3
  "$BIN" "$@" >"$TMP/out" 2>"$TMP/err" </dev/null
  local got=$?
  if [ "$got" != "$want" ]; then
    echo "FAIL: $what: exit $got, want $want (args: $*)"
    sed 's/^/  stderr: /' "$TMP/err" | head -5
    fails=$((fails + 1))
  else
    echo "ok: $what (exit $got)"
  fi
}
# grep_in FILE PATTERN DESCRIPTION
grep_in() {
  if ! grep -q -- "$2" "$TMP/$1"; then
    echo "FAIL: $3: '$2' not in $1"
    sed 's/^/  | /' "$TMP/$1" | head -10
    fails=$((fails + 1))
  fi
}

K="--path.procfs $FX/kernel/pass/proc --path.sysfs $FX/kernel/pass/sys"
CG="--path.procfs $FX/cgroup/v2-limited/proc --path.sysfs $FX/cgroup/v2-limited/sys"
MINE=kernel.version,cgroup.version,cgroup.memory,cgroup.cpu,cgroup.pids

expect 0 "passing kernel" -- $K --only kernel.version
grep_in out "PASS *kernel.version" "text row"
grep_in out "1 checks: 1 pass, 0 warn, 0 fail, 0 skip, 0 error" "summary line"
if grep -q $'\x1b' "$TMP/out"; then echo "FAIL: colour escape in non-TTY output"; fails=$((fails + 1)); fi

expect 1 "failing kernel" -- --path.procfs "$FX/kernel/fail/proc" --only kernel.version --termination-log "$TMP/tlog"
grep_in tlog "^FAIL kernel.version: Kernel 4.19" "termination log"
expect 0 "warning kernel passes without --strict" -- --path.procfs "$FX/kernel/warn/proc" --only kernel.version
expect 1 "warning kernel fails with --strict" -- --path.procfs "$FX/kernel/warn/proc" --only kernel.version --strict
expect 0 "error result is not a failure" -- --path.procfs "$FX/kernel/error/proc" --only kernel.version
expect 1 "error result fails with --strict" -- --path.procfs "$FX/kernel/error/proc" --only kernel.version --strict
expect 1 "missing procfs never passes under --strict" -- --path.procfs "$TMP/none" --path.sysfs "$TMP/none" --only $MINE --strict

expect 0 "cgroup v2 fixture, json" -- $CG --only $MINE --output json
python3 - "$TMP/out" <<'PY' || { echo "FAIL: json output"; fails=$((fails + 1)); }
import json, sys
d = json.load(open(sys.argv[1]))
ids = [c["id"] for c in d["checks"]]
assert ids == ["cgroup.version", "cgroup.memory", "cgroup.cpu", "cgroup.pids"] or ids[0] == "kernel.version", ids
for c in d["checks"]:
    assert set(["id","status","severity","observed","expected","message","remediation"]) <= set(c), c
assert d["summary"]["result"] == "pass", d["summary"]
PY
expect 1 "require_v2 via config on v1" -- --path.procfs "$FX/cgroup/v1/proc" --path.sysfs "$FX/cgroup/v1/sys" --only cgroup.version --config "$FX/config/strict-fail.yaml"
expect 0 "skip list" -- $K --only kernel.version,cgroup.version --skip cgroup.version --output json
grep_in out '"total": 1' "skip removes the check"

expect 0 "prometheus output" -- $K --only kernel.version --output prometheus
grep_in out '^gopreflight_check_status{id="kernel.version",severity="critical",status="pass"} 1$' "one-hot status"
expect 0 "junit output" -- $K --only kernel.version --output junit
grep_in out '<testcase classname="gopreflight.kernel" name="kernel.version"' "junit testcase"

expect 0 "go check without env nor cgroup: error, not a failure" -- $K --only go.gomemlimit
grep_in out "^ERROR *go.gomemlimit" "error row"
export GOPREFLIGHT_APP_MEMORY_LIMIT=1073741824 GOPREFLIGHT_APP_GOMEMLIMIT=2GiB
expect 1 "GOMEMLIMIT above the limit fails" -- $K --only go.gomemlimit
grep_in out "exceeds the memory limit" "gomemlimit message"
unset GOPREFLIGHT_APP_MEMORY_LIMIT GOPREFLIGHT_APP_GOMEMLIMIT

# Usage and config errors: exit 2, message names the flag or FILE:LINE.
expect 2 "unknown id in --skip" -- $K --skip nope.nothing
grep_in err '\-\-skip: unknown check id "nope.nothing"' "names the flag and id"
expect 2 "unknown id in --only" -- $K --only kernel.versoin
grep_in err '\-\-only' "names --only"
expect 2 "empty --only" -- $K --only ,
expect 2 "bad --output" -- $K --output xml
grep_in err '\-\-output' "names --output"
expect 2 "unknown flag" -- --frobnicate
expect 2 "missing config file" -- --config "$TMP/none.yaml"
expect 2 "config with unknown key" -- --config "$FX/config/unknown-key.yaml"
grep_in err 'unknown-key.yaml:3:1: ' "config file:line:col"
expect 2 "config wrong type" -- --config "$FX/config/wrong-type.yaml"
grep_in err 'wrong-type.yaml:3:10: ' "config file:line:col"
expect 2 "bad --probe" -- $K --probe nonsense
expect 2 "bad --probe-deadline" -- $K --probe-deadline 60
grep_in err '\-\-probe-deadline' "names --probe-deadline"
expect 2 "unknown probe id in --skip" -- $K --skip probe.db
export GOPREFLIGHT_PROBES="db"
expect 2 "bad GOPREFLIGHT_PROBES entry" -- $K --only kernel.version
grep_in err 'GOPREFLIGHT_PROBES' "names the env variable"
unset GOPREFLIGHT_PROBES
expect 2 "--explain unknown" -- --explain nope
expect 0 "--explain" -- --explain cgroup.memory
grep_in out "memory.swap.max" "explain text"
expect 0 "--list" -- --list
grep_in out "go.gomaxprocs" "list has the catalog"
expect 0 "--version" -- --version

# Probes: a configured probe id becomes valid for --skip/--only; closed loopback port fails.
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
expect 0 "probe skipped by id" -- $K --only kernel.version --probe "db=tcp://127.0.0.1:$PORT" --skip probe.db
expect 1 "closed port probe fails after the deadline" -- $K --only kernel.version,probe.db --probe "db=tcp://127.0.0.1:$PORT" --probe-deadline 300ms --probe-timeout 100ms --output json
grep_in out '"id": "probe.db"' "probe result in the report"

printf 'skip: [probe.db]\n' > "$TMP/skip-probe.yaml"
expect 0 "config skip names a --probe probe" -- $K --only kernel.version --config "$TMP/skip-probe.yaml" --probe "db=tcp://127.0.0.1:$PORT"
expect 2 "config skip names no probe" -- $K --only kernel.version --config "$TMP/skip-probe.yaml"
grep_in err 'skip-probe.yaml: skip: unknown check id "probe.db"' "names the config and id"

# Colour only on a TTY (script(1) from bsdutils, Essential in Debian, provides a pty), never with NO_COLOR.
if command -v script >/dev/null; then
  env -u NO_COLOR script -qec "$BIN $K --only kernel.version" /dev/null >"$TMP/tty" 2>&1 </dev/null
  if ! grep -q $'\x1b\[' "$TMP/tty"; then echo "FAIL: no colour on a TTY"; fails=$((fails + 1)); fi
  NO_COLOR=1 script -qec "$BIN $K --only kernel.version" /dev/null >"$TMP/tty" 2>&1 </dev/null
  if grep -q $'\x1b\[' "$TMP/tty"; then echo "FAIL: colour despite NO_COLOR"; fails=$((fails + 1)); fi
fi

# Termination log write errors are reported, not fatal.
expect 0 "unwritable termination log" -- $K --only kernel.version --termination-log "$TMP/no/such/dir/log"
grep_in err "termination-log" "write error on stderr"

if [ "$fails" -ne 0 ]; then
  echo "$fails failure(s)"
  exit 1
fi
echo "all CLI checks passed"
