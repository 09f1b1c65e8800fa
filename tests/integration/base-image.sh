#!/usr/bin/env bash
# Builds (once) and imports a minimal Debian 12 root filesystem as a local podman image, because
# there is no registry here. Cached outside the repo, keyed by a version string.
# Usage: base-image.sh   -> prints the image name on stdout
# Env: GOPREFLIGHT_CACHE (default /var/cache/gopreflight), CONTAINERS_CONF (runc engine config).
set -euo pipefail
version=bookworm-minbase-1
cache=${GOPREFLIGHT_CACHE:-/var/cache/gopreflight}/rootfs-$version
image=localhost/gopreflight-base:$version

# The mirror is whatever apt is configured with (deb822 or one-line sources), default Debian's.
mirror=$(grep -rhE '^[[:space:]]*(URIs:|deb )' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null \
  | grep -oE 'https?://[^ ]+/debian/?' | head -n1 || true)
mirror=${mirror:-http://deb.debian.org/debian}

if podman image exists "$image" 2>/dev/null; then echo "$image"; exit 0; fi
if [ ! -f "$cache/rootfs.tar" ]; then
  command -v debootstrap >/dev/null || { echo "base-image: debootstrap is not installed" >&2; exit 1; }
  mkdir -p "$cache"
  work=$(mktemp -d "$cache/build.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  echo "base-image: debootstrap bookworm (minbase) from $mirror into $work" >&2
  debootstrap --variant=minbase bookworm "$work/root" "$mirror" >"$cache/debootstrap.log" 2>&1 || {
    echo "base-image: debootstrap failed, last lines of $cache/debootstrap.log:" >&2
    tail -n 20 "$cache/debootstrap.log" >&2; exit 1; }
  rm -rf "$work/root/var/cache/apt/archives/"*.deb "$work/root/var/lib/apt/lists/"*
  tar -C "$work/root" -cf "$cache/rootfs.tar.tmp" .
  mv "$cache/rootfs.tar.tmp" "$cache/rootfs.tar"
fi
podman import --quiet "$cache/rootfs.tar" "$image" >/dev/null
echo "$image"
