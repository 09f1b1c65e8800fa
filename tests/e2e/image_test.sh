#!/usr/bin/env bash
# The container image: `podman build` of the repository's Dockerfile, unchanged, on a base image
# made locally (base_image.sh: debootstrap + podman import as docker.io/library/debian:bookworm),
# then both programs run from it with --read-only --cap-drop ALL --user 65532:
#   - the image is at most 25 MB and has no shell;
#   - gopreflight-webhook serve answers /healthz and /readyz over TLS with certificates we mount;
#   - gopreflight-webhook review judges a manifest read from stdin;
#   - gopreflight-check prints its report (JSON) about the container's own /proc and /sys.
# Needs root (rootful podman with runc: crun fails on this host's hybrid cgroups).
# The build stage runs apt-get against Debian's mirror; podman's layer cache makes reruns quick.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"

[ "$(id -u)" = 0 ] || e2e_fail "image_test.sh needs root (rootful podman)"
for t in podman runc debootstrap openssl curl; do
  command -v "$t" >/dev/null || e2e_fail "$t is not installed (run .ci/setup-deps.sh test)"
done

work=$(mktemp -d /tmp/gopreflight-image.XXXXXX)
container=gopreflight-image-test-$$
cleanup() {
  podman rm -f "$container" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
export CONTAINERS_CONF=$work/containers.conf
# runc, and explicit ulimits: podman's defaults ask for more processes (RLIMIT_NPROC) and files
# than this sandbox's hard limits allow ("error setting rlimit type 6: operation not permitted").
cat >"$CONTAINERS_CONF" <<'EOF'
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
[engine]
runtime = "runc"
EOF
# (Explicit --ulimit replaces the configured defaults, so both are given.)
base_flags=(--read-only --cap-drop ALL --user 65532 --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 --network host)
run_flags=(--rm "${base_flags[@]}")
image=localhost/gopreflight:test
passed=0

bash "$here/base_image.sh"

e2e_log "podman build of $root/Dockerfile (build stage installs Debian packages and compiles)"
start=$(date +%s)
if ! podman build -t "$image" -f "$root/Dockerfile" "$root" >"$work/build.log" 2>&1; then
  tail -n 40 "$work/build.log" >&2
  e2e_fail "podman build failed (last lines above)"
fi
e2e_log "image built in $(( $(date +%s) - start )) s"
passed=$((passed + 1))

size=$(podman image inspect --format '{{.Size}}' "$image")
e2e_log "image size: $size bytes ($(( size / 1024 / 1024 )) MiB); target <= 25 MB"
[ "$size" -le 25000000 ] || e2e_fail "image is $size bytes, more than 25 MB"
[ "$(podman image inspect --format '{{.Config.User}}' "$image")" = "65532:65532" ] ||
  e2e_fail "image USER is not 65532:65532"
passed=$((passed + 2))

# No shell: the run must fail because /bin/sh does not exist (not for any other reason).
if podman run "${run_flags[@]}" --entrypoint /bin/sh "$image" -c true >"$work/sh.out" 2>&1; then
  e2e_fail "the image has a working /bin/sh"
fi
grep -qiE 'no such file|not found' "$work/sh.out" || { cat "$work/sh.out" >&2; e2e_fail "running /bin/sh failed for another reason"; }
passed=$((passed + 1))

# --- the webhook --------------------------------------------------------------------------------
pki=$work/pki
mkdir -p "$pki"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=image-test-ca" \
  -keyout "$pki/ca.key" -out "$pki/ca.crt" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=gopreflight-webhook.gopreflight.svc" \
  -keyout "$pki/tls.key" -out "$pki/tls.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:gopreflight-webhook.gopreflight.svc\nextendedKeyUsage=serverAuth\n' >"$pki/ext"
openssl x509 -req -in "$pki/tls.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial -days 2 \
  -extfile "$pki/ext" -out "$pki/tls.crt" 2>/dev/null
# As a Secret volume would be: readable by the Pod's user, not writable.
chmod 0755 "$pki"; chmod 0644 "$pki/tls.crt" "$pki/tls.key"
port=$(e2e_free_port)
podman run -d --name "$container" "${base_flags[@]}" -v "$pki:/etc/gopreflight/tls:ro" "$image" \
  serve --listen "127.0.0.1:$port" --tls-cert-file /etc/gopreflight/tls/tls.crt \
  --tls-private-key-file /etc/gopreflight/tls/tls.key >/dev/null ||
  e2e_fail "podman run of the webhook failed"
if ! E2E_WAIT=30 e2e_wait curl -sf --cacert "$pki/ca.crt" "https://127.0.0.1:$port/healthz"; then
  podman logs "$container" 2>&1 | tail -n 20 >&2
  e2e_fail "the webhook in the image did not answer /healthz on 127.0.0.1:$port"
fi
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$pki/ca.crt" "https://127.0.0.1:$port/readyz")
[ "$code" = 200 ] || e2e_fail "/readyz answered $code"
e2e_log "webhook in the image: /healthz and /readyz 200 over TLS (read-only root, no capabilities, UID 65532)"
[ "$(podman inspect --format '{{.State.Running}}' "$container")" = true ] || e2e_fail "webhook container exited"
podman stop -t 10 "$container" >/dev/null
exit_code=$(podman inspect --format '{{.State.ExitCode}}' "$container")
[ "$exit_code" = 0 ] || e2e_fail "webhook exited $exit_code on SIGTERM (expected 0)"
podman rm "$container" >/dev/null
passed=$((passed + 3))

set +e
podman run -i "${run_flags[@]}" "$image" review -f - <"$here/manifests/pod-no-sysctls.yaml" >"$work/review.out" 2>&1
rc=$?
set -e
if [ "$rc" -ne 1 ] || ! grep -q 'net.ipv4.ip_local_port_range' "$work/review.out"; then
  cat "$work/review.out" >&2
  e2e_fail "review in the image: expected exit 1 naming net.ipv4.ip_local_port_range, got $rc"
fi
passed=$((passed + 1))

# --- the node check ---------------------------------------------------------------------------
set +e
podman run "${run_flags[@]}" --entrypoint gopreflight-check "$image" --output json >"$work/check.json" 2>"$work/check.err"
rc=$?
set -e
# Exit 0/1 are verdicts (all passed / something failed on this host); anything else is a crash.
case $rc in 0|1) ;; *) cat "$work/check.err" >&2; e2e_fail "gopreflight-check in the image exited $rc";; esac
podman run "${run_flags[@]}" --entrypoint gopreflight-check "$image" --list --output json >"$work/catalog.json" 2>"$work/catalog.err" ||
  { cat "$work/catalog.err" >&2; e2e_fail "gopreflight-check --list in the image failed"; }
# The report is whole and consistent, and read from the container itself: the rlimits podman set
# above (nofile 1024:1024, nproc 4096:4096) are what the rlimit checks observed, not the host's.
python3 - "$work/check.json" "$work/catalog.json" "$rc" <<'EOF' || e2e_fail "gopreflight-check's JSON report from the image is wrong (above)"
import json, sys
report, catalog, rc = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), int(sys.argv[3])
checks, summary = report["checks"], report["summary"]
ids = [c["id"] for c in checks]
listed = [c["id"] for c in catalog["checks"]]
assert len(listed) >= 10, f"the catalog lists only {listed}"
assert sorted(ids) == sorted(listed), f"report's checks {sorted(ids)} != catalog {sorted(listed)}"
statuses = ("pass", "warn", "fail", "skip", "error")
for c in checks:
    assert c["status"] in statuses, c
    for k in ("observed", "expected", "message", "severity", "scope"):
        assert isinstance(c.get(k), str), (k, c)
    if c["status"] != "pass":
        assert c["message"], f"{c['id']} is {c['status']} without a message"
counts = {s: sum(1 for c in checks if c["status"] == s) for s in statuses}
assert summary["total"] == len(checks), summary
assert all(summary[s] == counts[s] for s in statuses), (summary, counts)
assert summary["result"] in ("pass", "fail"), summary
assert rc == (1 if summary["result"] == "fail" else 0), f"exit {rc} with result {summary['result']}"
by_id = {c["id"]: c for c in checks}
for cid, limit in (("rlimit.nofile", 1024), ("rlimit.nproc", 4096)):
    c = by_id.get(cid)
    assert c is not None, f"no {cid} in the report"
    assert f"soft {limit}, hard {limit}" in c["observed"], f"{cid} observed {c['observed']!r}, not the container's {limit}:{limit}"
print(f"check report from the image: {len(checks)} checks {counts}, result {summary['result']} (exit {rc}); "
      f"rlimit.nofile observed {by_id['rlimit.nofile']['observed']!r}")
EOF
podman run "${run_flags[@]}" --entrypoint gopreflight-check "$image" --output text >"$work/check.txt" 2>&1 || true
[ -s "$work/check.txt" ] || e2e_fail "gopreflight-check --output text printed nothing"
head -n 15 "$work/check.txt" >&2
passed=$((passed + 2))

echo "image: $passed passed, 0 failed (size $size bytes)"
