#!/usr/bin/env bash
# Runs gopreflight-check inside a real container (rootful podman, runc) started with known limits
# and checks that it reports exactly those: --memory, --pids-limit, --ulimit nofile/nproc,
# --sysctl net.core.somaxconn / net.ipv4.ip_local_port_range.
# Usage: check_container.sh PATH/TO/gopreflight-check
# The binary is mounted read-only; a dynamically linked one is mounted with its shared libraries
# and started through their loader, a static one (GOPREFLIGHT_STATIC=ON) directly.
set -euo pipefail
bin=$(readlink -f "${1:?usage: check_container.sh PATH/TO/gopreflight-check}")
here=$(cd "$(dirname "$0")" && pwd)

unusable() { echo "check_container: podman is unusable here: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || unusable "the test needs rootful podman (run as root)"
command -v podman >/dev/null || unusable "podman is not installed (.ci/setup-deps.sh test installs it)"
command -v runc >/dev/null || unusable "runc is not installed"
[ -x "$bin" ] || { echo "check_container: no binary at $bin" >&2; exit 1; }

work=$(mktemp -d /tmp/gp-container.XXXXXX)
name=gp-check-$$
cleanup() { podman rm -f "$name" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
# crun fails on this kind of host (cgroup v1 hybrid); runc works on v1 and v2.
printf '[engine]\nruntime = "runc"\n' > "$work/containers.conf"
export CONTAINERS_CONF=$work/containers.conf

image=$(timeout 900 "$here/base-image.sh") || unusable "could not build the base image (see above)"

# Known limits. nofile/nproc hard limits cannot exceed this process's own (no CAP_SYS_RESOURCE
# assumed; podman's defaults fail where the hard limits are lower), so pick values below them.
hard_nofile=$(ulimit -Hn); [ "$hard_nofile" = unlimited ] && hard_nofile=1048576
nofile_hard=$(( hard_nofile < 8765 ? hard_nofile : 8765 ))
nofile_soft=$(( nofile_hard < 4321 ? nofile_hard : 4321 ))
hard_nproc=$(ulimit -Hu); [ "$hard_nproc" = unlimited ] && hard_nproc=1048576
nproc=$(( hard_nproc < 777 ? hard_nproc : 777 ))
ulimits=(--ulimit "nofile=$nofile_soft:$nofile_hard" --ulimit "nproc=$nproc:$nproc")

# Bundle: the binary plus, when dynamic, every library ldd resolves and the loader.
mkdir -p "$work/gp"
cp "$bin" "$work/gp/gopreflight-check"
if ldd "$bin" >/dev/null 2>&1; then
  ldd "$bin" | grep -oE '/[^ ]+' | sort -u | while read -r lib; do cp -L "$lib" "$work/gp/"; done
  loader=$(ldd "$bin" | grep -oE '/[^ ]*ld-linux[^ ]*' | head -n1)
  run=("/gp/$(basename "$loader")" --library-path /gp /gp/gopreflight-check)
  echo "check_container: dynamic binary, mounting $(ls "$work/gp" | wc -l) files"
else
  run=(/gp/gopreflight-check)
  echo "check_container: static binary"
  # A static binary must also run in an empty image, as in a scratch-based init container.
  scratch=localhost/gopreflight-scratch:1
  if ! podman image exists "$scratch"; then
    tar -cf "$work/empty.tar" -T /dev/null
    podman import --quiet "$work/empty.tar" "$scratch" >/dev/null
  fi
  set +e
  podman run --rm --network none "${ulimits[@]}" \
    -v "$work/gp:/gp:ro" "$scratch" /gp/gopreflight-check \
    --output json --termination-log /dev/null >"$work/scratch.json" 2>"$work/err.txt"
  src=$?
  set -e
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["summary"]["total"] >= 30, d["summary"]; print("check_container: scratch image run ok,", d["summary"]["total"], "checks")' \
    "$work/scratch.json" || { cat "$work/err.txt" >&2; echo "check_container: static binary failed in an empty image (exit $src)" >&2; exit 1; }
fi

mem=$((256 * 1024 * 1024)); pids=321; somaxconn=1234; ports="1024 65535"

set +e
podman run --name "$name" --network none \
  --memory "$mem" --pids-limit "$pids" \
  "${ulimits[@]}" \
  --sysctl "net.core.somaxconn=$somaxconn" --sysctl "net.ipv4.ip_local_port_range=$ports" \
  -v "$work/gp:/gp:ro" "$image" \
  "${run[@]}" --output json --termination-log /dev/null >"$work/out.json" 2>"$work/err.txt"
rc=$?
set -e
if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then
  cat "$work/err.txt" >&2
  unusable "podman run exited $rc"
fi

python3 - "$work/out.json" "$rc" <<PY
import json, sys
doc = json.load(open(sys.argv[1])); rc = int(sys.argv[2])
c = {x["id"]: x for x in doc["checks"]}
bad = []
def want(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond: bad.append(what)
o = lambda i: c[i]["observed"]
want(o("rlimit.nofile").startswith("soft $nofile_soft, hard $nofile_hard "), "rlimit.nofile observed: " + o("rlimit.nofile"))
want(c["rlimit.nofile"]["status"] == ("fail" if $nofile_hard < 65536 else "pass"), "rlimit.nofile status: " + c["rlimit.nofile"]["status"])
want(o("rlimit.nproc").startswith("soft $nproc, hard $nproc "), "rlimit.nproc observed: " + o("rlimit.nproc"))
want(c["rlimit.nproc"]["status"] == ("warn" if $nproc < 10000 else "pass"), "rlimit.nproc status: " + c["rlimit.nproc"]["status"])
want(o("sysctl.net.core.somaxconn") == "$somaxconn (/proc/sys/net/core/somaxconn)", "somaxconn observed: " + o("sysctl.net.core.somaxconn"))
want(c["sysctl.net.core.somaxconn"]["status"] == "warn", "somaxconn status (1234 < 65535): " + c["sysctl.net.core.somaxconn"]["status"])
want("Pod's network namespace" in c["sysctl.net.core.somaxconn"]["message"], "somaxconn message names the Pod's netns")
want(o("sysctl.net.ipv4.ip_local_port_range").startswith("$ports ("), "port range observed: " + o("sysctl.net.ipv4.ip_local_port_range"))
want(c["sysctl.net.ipv4.ip_local_port_range"]["status"] == "pass", "port range status: " + c["sysctl.net.ipv4.ip_local_port_range"]["status"])
want("$mem" in o("cgroup.memory"), "cgroup.memory observed has $mem: " + o("cgroup.memory"))
want("$pids" in o("cgroup.pids"), "cgroup.pids observed has $pids: " + o("cgroup.pids"))
want(c["cgroup.memory"]["status"] in ("pass", "warn"), "cgroup.memory judged: " + c["cgroup.memory"]["status"])
want("node's kernel clock" in c["clock.sync"]["message"], "clock.sync says it is the node's clock")
want(rc == (1 if any(x["status"] == "fail" for x in doc["checks"]) else 0), f"exit code {rc} matches the results")
print(f"check_container: {len(bad)} failures of {len(doc['checks'])} checks")
sys.exit(1 if bad else 0)
PY
