#!/usr/bin/env bash
# Makes docker.io/library/debian:bookworm locally, without a container registry: debootstrap
# (minbase) from the Debian mirror apt is configured with, tarred and cached outside the repo,
# then `podman import`ed under that name so the Dockerfile builds unchanged.
# Usage: base_image.sh   (needs root, debootstrap, podman; env CONTAINERS_CONF as image_test.sh sets)
set -euo pipefail
cache=${GOPREFLIGHT_IMAGE_CACHE:-/var/cache/gopreflight/images}
tarball=$cache/debian-bookworm-minbase.tar
tag=docker.io/library/debian:bookworm
mkdir -p "$cache"

# The mirror apt already uses (deb822 or one-line sources), so no other host is contacted.
mirror=$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null |
  grep -v security | head -n1 || true)
if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
  mirror=$(awk '$1=="deb" && $0 !~ /security/ {for (i=2;i<=NF;i++) if ($i ~ /^https?:/) {print $i; exit}}' \
    /etc/apt/sources.list)
fi
mirror=${mirror:-http://deb.debian.org/debian}

if [ ! -s "$tarball" ]; then
  root=$(mktemp -d /var/tmp/gopreflight-debootstrap.XXXXXX)
  trap 'rm -rf "$root"' EXIT
  start=$(date +%s)
  echo "base_image: debootstrap --variant=minbase bookworm from $mirror" >&2
  debootstrap --variant=minbase bookworm "$root" "$mirror" >"$cache/debootstrap.log" 2>&1 || {
    echo "base_image: debootstrap failed; last lines of $cache/debootstrap.log:" >&2
    tail -n 20 "$cache/debootstrap.log" >&2
    exit 1
  }
  # What the official image also does: sources for the image's apt, no cached package lists.
  printf 'deb %s bookworm main\ndeb %s bookworm-updates main\n' "$mirror" "$mirror" >"$root/etc/apt/sources.list"
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/archives/*.deb
  tar --numeric-owner -C "$root" -cf "$tarball.tmp" .
  mv "$tarball.tmp" "$tarball"
  echo "base_image: made $tarball in $(( $(date +%s) - start )) s" >&2
fi

if ! podman image exists "$tag"; then
  podman import --change 'CMD ["/bin/bash"]' "$tarball" "$tag" >/dev/null
fi
echo "base_image: $tag ready ($(podman image inspect --format '{{.Size}}' "$tag") bytes)" >&2
