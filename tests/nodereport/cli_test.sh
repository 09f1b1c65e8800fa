#!/usr/bin/env bash
# gopreflight-check command-line conventions (issue 14) and node-report's usage errors; hermetic
# (fixture trees, no apiserver: every node-report case here stops before the first request).
#   -o = --output; `version` = --version; --output-file replaces the file by rename (new inode,
#   no temp file left, stdout empty) and fails with exit 2 naming the path; node-report --list
#   shows only node-wide checks; bad node-report flags exit 2 naming the flag.
# usage: cli_test.sh BINARY FIXTURES_DIR
set -u
BIN=$1
FX=$2
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fails=0
K="--path.procfs $FX/kernel/pass/proc --path.sysfs $FX/kernel/pass/sys --only kernel.version"

expect() { # CODE DESCRIPTION -- ARGS...   (stdout -> $TMP/out, stderr -> $TMP/err)
  local want=$1 what=$2
  shift 3
  "$BIN" "$@" >"$TMP/out" 2>"$TMP/err" </dev/null
  local got=$?
  if [ "$got" != "$want" ]; then
    echo "FAIL: $what: exit $got, want $want (args: $*)"; sed 's/^/  stderr: /' "$TMP/err" | head -5
    fails=$((fails + 1))
  else
    echo "ok: $what"
  fi
}
has() { # FILE PATTERN DESCRIPTION
  if grep -q -- "$2" "$TMP/$1"; then echo "ok: $3"; else echo "FAIL: $3: '$2' not in $1"; sed 's/^/  | /' "$TMP/$1" | head -8; fails=$((fails + 1)); fi
}
hasnt() {
  if grep -q -- "$2" "$TMP/$1"; then echo "FAIL: $3: '$2' in $1"; fails=$((fails + 1)); else echo "ok: $3"; fi
}

expect 0 "-o json" -- $K -o json
cp "$TMP/out" "$TMP/short.json"
expect 0 "--output json" -- $K --output json
python3 - "$TMP/short.json" "$TMP/out" <<'PY' || { echo "FAIL: -o json and --output json differ"; fails=$((fails + 1)); }
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
for d in (a, b):
    for c in d["checks"]:
        c.pop("duration_ms", None)
assert a == b and a["checks"][0]["id"] == "kernel.version", (a, b)
PY

expect 0 "version subcommand" -- version
has out "^gopreflight-check [0-9]" "version prints the version"
cp "$TMP/out" "$TMP/v1"
expect 0 "--version still works" -- --version
cmp -s "$TMP/out" "$TMP/v1" && echo "ok: version == --version" || { echo "FAIL: version and --version differ"; fails=$((fails + 1)); }

# --output-file: written by rename (the old file's inode is replaced, a reader never sees it half
# written), nothing on stdout, no temp file left beside it.
mkdir "$TMP/reports"
echo "old report" >"$TMP/reports/check.prom"
ino_before=$(stat -c %i "$TMP/reports/check.prom")
expect 0 "--output-file" -- $K -o prometheus --output-file "$TMP/reports/check.prom"
[ ! -s "$TMP/out" ] && echo "ok: --output-file leaves stdout empty" || { echo "FAIL: stdout not empty with --output-file"; fails=$((fails + 1)); }
has reports/check.prom 'gopreflight_check_status{.*id="kernel.version"' "--output-file holds the report"
hasnt reports/check.prom "old report" "--output-file replaced the old content"
[ "$(stat -c %i "$TMP/reports/check.prom")" != "$ino_before" ] && echo "ok: --output-file replaced the file by rename" ||
  { echo "FAIL: --output-file rewrote the file in place (same inode)"; fails=$((fails + 1)); }
[ "$(ls -A "$TMP/reports" | wc -l)" = 1 ] && echo "ok: no temp file left" || { echo "FAIL: files left: $(ls -A "$TMP/reports")"; fails=$((fails + 1)); }
expect 2 "--output-file into a missing directory" -- $K --output-file "$TMP/nodir/x.json"
has err "--output-file $TMP/nodir/x.json: cannot create a temp file in $TMP/nodir" "the error names the path"

# node-report: the node-wide list, and usage errors before any request.
expect 0 "node-report --list" -- node-report --list
has out "^kernel.pid_max  *node" "node-report --list has node-wide checks"
hasnt out "container\|pod-netns\| pod " "node-report --list has no Pod-scoped checks"
touch "$TMP/ca.crt"
NR="node-report --apiserver-host 127.0.0.1 --apiserver-port 1 --ca-file $TMP/ca.crt --token-file $TMP/none"
env -u NODE_NAME "$BIN" $NR >"$TMP/out" 2>"$TMP/err"; rc=$?
[ "$rc" = 2 ] && echo "ok: node-report without a node name exits 2" || { echo "FAIL: exit $rc without a node name"; fails=$((fails + 1)); }
has err "--node-name is required" "names --node-name"
expect 2 "node-report: bad node name" -- $NR --node-name "Bad_Name"
has err 'not a valid Node name' "names the bad node name"
expect 2 "node-report: bad interval" -- $NR --node-name n1 --interval 10
has err "^gopreflight-check: --interval: " "names --interval"
expect 2 "node-report: interval under 1s" -- $NR --node-name n1 --interval 500ms
expect 2 "node-report: bad port" -- node-report --node-name n1 --apiserver-host 127.0.0.1 --ca-file "$TMP/ca.crt" --apiserver-port 70000
has err "--apiserver-port: port \"70000\"" "names the port"
expect 2 "node-report: missing CA" -- node-report --node-name n1 --apiserver-host 127.0.0.1 --ca-file "$TMP/none.crt"
has err "--ca-file $TMP/none.crt: No such file" "names the CA file"
expect 2 "node-report: --only does not apply" -- $NR --node-name n1 --only kernel.version
expect 2 "node-report: bad config at start" -- $NR --node-name n1 --config "$FX/config/unknown-check.yaml"
has err "unknown-check.yaml:" "names the config file"
expect 2 "node-report: no host" -- node-report --node-name n1 --ca-file "$TMP/ca.crt" --apiserver-host ""

echo "$fails failure(s)"
[ "$fails" = 0 ]
