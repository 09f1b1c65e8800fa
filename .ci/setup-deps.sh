#!/usr/bin/env bash
# Installs what gopreflight needs from Debian's packages. Usage: setup-deps.sh [build|test]
#   build: compilers and libraries; test: also the servers and tools the tests start, and a Go
#   that builds the Go tools (tests/e2e/tools/build.sh; kubectl is built there too, at the
#   apiserver's version).
set -euo pipefail
what=${1:-build}
build_pkgs=(build-essential cmake ninja-build pkg-config ccache
  libcpp-httplib-dev libssl-dev nlohmann-json3-dev libspdlog-dev libfmt-dev doctest-dev
  libyaml-cpp-dev libcli11-dev libsimdjson-dev)
# One package per line, sorted: edits from several branches merge without conflicts.
test_pkgs=(
  clang
  containerd
  containernetworking-plugins
  curl
  debootstrap
  etcd-server
  git
  golang-go
  hyperfine
  iproute2
  libclang-rt-14-dev
  nginx-light
  openssl
  podman
  postgresql
  procps
  prometheus
  python3
  python3-yaml
  redis-server
  runc
  util-linux
  valgrind
  wrk
)
pkgs=("${build_pkgs[@]}")
[ "$what" = test ] && pkgs+=("${test_pkgs[@]}")

# Go: the tools need Go >= GO_MIN (tests/e2e/tools/go.mod). A Go already on PATH that new enough
# (e.g. /usr/local/go) is used as it is. Otherwise Debian 12's golang-go (1.19) fetches the
# toolchain GO_TOOLCHAIN through the Go module proxy (module golang.org/toolchain, the way Go
# >= 1.21 switches toolchains itself), unpacked under /var/cache/gopreflight/go/toolchain and
# linked as /usr/local/bin/go (before /usr/bin in PATH).
GO_MIN=1.25
GO_TOOLCHAIN=go1.25.5
go_new_enough() {
  local v
  v=$(go env GOVERSION 2>/dev/null) || return 1
  v=${v#go}
  [ "$(printf '%s\n%s\n' "$GO_MIN" "$v" | sort -V | head -1)" = "$GO_MIN" ]
}
need_go=0
if [ "$what" = test ] && ! go_new_enough; then
  need_go=1
else
  tmp=(); for p in "${pkgs[@]}"; do [ "$p" = golang-go ] || tmp+=("$p"); done; pkgs=("${tmp[@]}")
fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ "$need_go" = 1 ]; then
  arch=$(dpkg --print-architecture)
  dir=${GOPREFLIGHT_TOOLS_CACHE:-/var/cache/gopreflight}/go/toolchain/$GO_TOOLCHAIN.linux-$arch
  if [ ! -x "$dir/bin/go" ]; then
    echo "setup-deps: fetching Go $GO_TOOLCHAIN through the module proxy with Debian's $(/usr/bin/go version | cut -d' ' -f3)"
    dl=$(mktemp -d)
    GOPATH=$dl/gopath GOMODCACHE=$dl/mod GOCACHE=$dl/cache GOFLAGS=-modcacherw GO111MODULE=on \
      GOPROXY=${GOPROXY:-https://proxy.golang.org} \
      /usr/bin/go mod download -json "golang.org/toolchain@v0.0.1-$GO_TOOLCHAIN.linux-$arch" >"$dl/dl.json"
    src=$dl/mod/golang.org/toolchain@v0.0.1-$GO_TOOLCHAIN.linux-$arch
    [ -f "$src/bin/go" ] || { echo "setup-deps: the toolchain module has no bin/go" >&2; cat "$dl/dl.json" >&2; exit 1; }
    # Module zips do not keep file modes: the commands are made executable here.
    chmod +x "$src"/bin/* "$src"/pkg/tool/*/*
    rm -rf "$dir.tmp"; mkdir -p "$(dirname "$dir")"
    cp -a "$src" "$dir.tmp" && mv "$dir.tmp" "$dir"
    rm -rf "$dl"
  fi
  ln -sf "$dir/bin/go" /usr/local/bin/go
  ln -sf "$dir/bin/gofmt" /usr/local/bin/gofmt
  hash -r
  go_new_enough || { echo "setup-deps: $(command -v go) is $(go env GOVERSION 2>/dev/null), need >= go$GO_MIN" >&2; exit 1; }
  echo "setup-deps: $(command -v go) -> $dir ($(go env GOVERSION))"
fi
