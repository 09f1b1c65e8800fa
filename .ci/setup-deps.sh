#!/usr/bin/env bash
# Installs what gopreflight needs from Debian's packages. Usage: setup-deps.sh [build|test]
#   build: compilers and libraries; test: also the servers and tools the tests start.
set -euo pipefail
what=${1:-build}
build_pkgs=(build-essential cmake ninja-build pkg-config
  libcpp-httplib-dev libssl-dev nlohmann-json3-dev libspdlog-dev libfmt-dev doctest-dev
  libyaml-cpp-dev libcli11-dev)
test_pkgs=(clang libclang-rt-14-dev redis-server postgresql etcd-server wrk curl openssl
  python3 python3-yaml iproute2 procps podman runc debootstrap hyperfine golang-go git util-linux
  containerd containernetworking-plugins)
pkgs=("${build_pkgs[@]}")
[ "$what" = test ] && pkgs+=("${test_pkgs[@]}")
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
# Go itself is usually preinstalled in /usr/local/go; golang-go is only a fallback.
if command -v go >/dev/null 2>&1; then
  tmp=(); for p in "${missing[@]}"; do [ "$p" = golang-go ] || tmp+=("$p"); done; missing=("${tmp[@]}")
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
