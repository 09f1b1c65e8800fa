#!/usr/bin/env bash
# Builds the real tools the helm and e2e tests run, from Go modules through the module proxy:
#   kube-apiserver, kube-controller-manager, kube-scheduler, kubelet, kubectl
#                   k8s.io/kubernetes v1.35.4 (this folder's wrapper module, see go.mod), all five
#                   in ONE `go build` so they share the compiled packages; asking for any of them
#                   builds (or reuses) all five
#   etcd            go.etcd.io/etcd/server/v3 at the version Kubernetes v1.35.4 pins (v3.6.5)
#   helm            helm.sh/helm/v3 v3.19.5 (go install, with the release ldflags)
#   podlatency      ./podlatency (ours, standard library only): times Pod creates for the e2e test
#   nullwebhook     ./nullwebhook (ours, standard library only): a webhook doing no work, the e2e
#                   latency figures' reference point
#   nodeimage       ./nodeimage (ours, standard library only, static): the real-node test's tiny
#                   image (pause for the Pod sandbox, a TCP listener, an idle "app")
#   createstream    ./createstream (ours): a bounded stream of dry-run Pod creates, counting failures
#   podstart        ./podstart (ours): Pod start time on a real kubelet (tests/bench/podstart)
# Binaries are cached OUTSIDE the repo, keyed by tool, version and a hash of the wrapper's
# go.mod/go.sum, so a rerun takes seconds:
#   ${GOPREFLIGHT_TOOLS_CACHE:-/var/cache/gopreflight}/tools/<name>-<version>-<hash>/bin/<name>
# Go's module and build caches live under .../go so a rebuild after a cache wipe is incremental.
# Each build's wall time is written beside the binary (build-seconds) and printed.
# Usage: build.sh [all|kube-apiserver|kubelet|...|etcd|helm|nodeimage|...]...
#   prints "name=/path/to/binary" lines last.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

K8S_VERSION=v1.35.4
K8S_MINOR=35
ETCD_VERSION=v3.6.5
HELM_VERSION=v3.19.5

cache=${GOPREFLIGHT_TOOLS_CACHE:-/var/cache/gopreflight}
mkdir -p "$cache/tools" "$cache/go"
export GOMODCACHE=$cache/go/mod GOCACHE=$cache/go/build
export GOFLAGS=-modcacherw GOTOOLCHAIN=local CGO_ENABLED=0 GOPROXY=${GOPROXY:-https://proxy.golang.org}
# CI has the machine to itself (2 cores); a shared developer machine can lower this.
jobs=${GOPREFLIGHT_TOOLS_JOBS:-$(nproc)}

command -v go >/dev/null || { echo "build.sh: go is not installed (run .ci/setup-deps.sh test)" >&2; exit 2; }

# Our wrapper's ETCD_VERSION must be the one its go.sum resolved; a mismatch means go.mod changed.
grep -q "go.etcd.io/etcd/server/v3 $ETCD_VERSION" "$here/go.mod" || {
  echo "build.sh: $here/go.mod does not pin go.etcd.io/etcd/server/v3 $ETCD_VERSION" >&2; exit 2; }

modhash=$(cat "$here/go.mod" "$here/go.sum" | sha256sum | cut -c1-12)
src_hash() { sha256sum <"$here/$1/main.go" | cut -c1-12; }
k8s_cmds=(kube-apiserver kube-controller-manager kube-scheduler kubelet kubectl)

# One builder at a time (helm and e2e tests may both ask); the others wait, then reuse the result.
exec 9>"$cache/tools/.lock"
flock 9

built_path() { # name version [keyed-by-wrapper]
  local key=$1-$2
  [ "${3:-}" = wrapper ] && key=$key-$modhash
  echo "$cache/tools/$key/bin/$1"
}

build_one() { # name version wrapper|standalone
  local name=$1 version=$2 kind=$3 out dir start end
  out=$(built_path "$name" "$version" "$kind")
  # The Kubernetes group is one directory of five commands; kubectl is linked last.
  [ "$name" = kubernetes ] && out=$(dirname "$out")/kubectl
  if [ -x "$out" ]; then
    echo "build.sh: $name $version cached at $out" >&2
    return 0
  fi
  dir=$(dirname "$out")
  mkdir -p "$dir.tmp"
  start=$(date +%s)
  echo "build.sh: building $name $version (-p $jobs; this takes minutes on a fresh machine)" >&2
  case $name in
    kubernetes)
      # One invocation, several packages, -o DIR/: one binary per command.
      (cd "$here" && nice -n 10 go build -p "$jobs" -trimpath -tags selinux,notest \
        -ldflags "-s -w -X k8s.io/component-base/version.gitVersion=$K8S_VERSION \
          -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$K8S_MINOR \
          -X k8s.io/component-base/version.gitTreeState=clean \
          -X k8s.io/client-go/pkg/version.gitVersion=$K8S_VERSION \
          -X k8s.io/client-go/pkg/version.gitMajor=1 -X k8s.io/client-go/pkg/version.gitMinor=$K8S_MINOR" \
        -o "$dir.tmp/" "${k8s_cmds[@]/#/k8s.io/kubernetes/cmd/}") ;;
    etcd)
      (cd "$here" && nice -n 10 go build -p "$jobs" -trimpath -ldflags "-s -w" \
        -o "$dir.tmp/etcd" go.etcd.io/etcd/server/v3) ;;
    podlatency|nullwebhook|nodeimage|createstream|podstart)
      (cd "$here" && go build -trimpath -o "$dir.tmp/$name" "./$name") ;;
    helm)
      # Outside any module: `go install pkg@version` uses helm's own go.mod (no replace lines).
      (cd / && GOBIN="$dir.tmp" nice -n 10 go install -p "$jobs" -trimpath \
        -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION \
          -X helm.sh/helm/v3/internal/version.gitTreeState=clean \
          -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 \
          -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$K8S_MINOR" \
        "helm.sh/helm/v3/cmd/helm@$HELM_VERSION") ;;
  esac
  end=$(date +%s)
  echo $((end - start)) >"$dir.tmp/build-seconds"
  rm -rf "$dir"
  mkdir -p "$(dirname "$dir")"
  mkdir -p "$dir"
  mv "$dir.tmp"/* "$dir/"
  rmdir "$dir.tmp"
  echo "build.sh: built $name $version in $((end - start)) s -> $out" >&2
  [ "$name" = kubernetes ] && ls -l "$dir" >&2
}

want=("$@")
[ ${#want[@]} -eq 0 ] && want=(all)
names=()
ours=(podlatency nullwebhook nodeimage createstream podstart)
for w in "${want[@]}"; do
  case $w in
    all) names+=(etcd helm kubernetes "${ours[@]}") ;;
    kube-apiserver|kube-controller-manager|kube-scheduler|kubelet|kubectl|kubernetes) names+=(kubernetes) ;;
    etcd|helm|podlatency|nullwebhook|nodeimage|createstream|podstart) names+=("$w") ;;
    *) echo "build.sh: unknown tool '$w' (${k8s_cmds[*]}, etcd, helm, ${ours[*]}, all)" >&2; exit 2 ;;
  esac
done
# Each once, in the order asked.
mapfile -t names < <(printf '%s\n' "${names[@]}" | awk '!seen[$0]++')
for n in "${names[@]}"; do
  case $n in
    kubernetes) build_one kubernetes "$K8S_VERSION" wrapper ;;
    etcd) build_one etcd "$ETCD_VERSION" wrapper ;;
    helm) build_one helm "$HELM_VERSION" standalone ;;
    *) build_one "$n" "$(src_hash "$n")" standalone ;;
  esac
done
for n in "${names[@]}"; do
  case $n in
    kubernetes)
      for c in "${k8s_cmds[@]}"; do
        echo "$c=$(dirname "$(built_path kubernetes "$K8S_VERSION" wrapper)")/$c"
      done ;;
    etcd) echo "etcd=$(built_path etcd "$ETCD_VERSION" wrapper)" ;;
    helm) echo "helm=$(built_path helm "$HELM_VERSION")" ;;
    *) echo "$n=$(built_path "$n" "$(src_hash "$n")")" ;;
  esac
done
