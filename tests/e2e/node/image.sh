#!/usr/bin/env bash
# Builds the gopreflight image from the repository's Dockerfile with podman (as image_test.sh
# does: base image from base_image.sh, runc, explicit ulimits) and writes it as a docker archive
# that `ctr -n k8s.io images import` takes. podman's layer cache makes a rerun quick.
# Usage: image.sh TAG OUT.tar      (needs root)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
tag=$1 out=$2
conf=$(mktemp /tmp/gopreflight-node-containers.XXXXXX.conf)
trap 'rm -f "$conf"' EXIT
cat >"$conf" <<'CONF'
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
[engine]
runtime = "runc"
CONF
export CONTAINERS_CONF=$conf
bash "$root/tests/e2e/base_image.sh"
start=$(date +%s)
log=${out%.tar}.build.log
if ! podman build -t "$tag" -f "$root/Dockerfile" "$root" >"$log" 2>&1; then
  tail -n 40 "$log" >&2
  echo "image.sh: podman build failed (last lines above; full log $log)" >&2
  exit 1
fi
rm -f "$out"
podman save --format docker-archive -o "$out" "$tag" >/dev/null
echo "image.sh: $tag built in $(( $(date +%s) - start )) s -> $out ($(stat -c %s "$out") bytes)" >&2
