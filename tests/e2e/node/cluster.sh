# A one-node Kubernetes cluster from real components, started by the test itself (source it):
#   containerd + runc + CNI plugins (Debian packages), own config, state dirs and socket under DIR;
#   etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubelet and kubectl, all
#   Kubernetes v1.35.4 built from Go modules (../tools/build.sh). Loopback only; Pods on a private
#   bridge (no masquerade, nothing leaves the machine).
#
#   node_tools                 build or reuse every binary; puts the built kubectl first in PATH
#   node_up DIR                start the whole cluster in DIR (must not exist or be empty), wait
#                              for the Node to be Ready; exports KUBECONFIG, NODE_API_URL, NODE_PKI
#   node_down                  stop everything node_up started (kubelet, Pods' containers,
#                              containerd, control plane), unmount and remove DIR's mounts, the
#                              bridge and the Pod cgroups, restore the kernel settings the kubelet
#                              writes. Idempotent; call it from the EXIT trap.
#   node_import ARCHIVE        import an image archive into containerd's k8s.io namespace
#   node_stage NAME            print the time since the previous stage (the stage-time figures)
#   node_dump_state N LOG...   after a failure: every Pod, and the last N lines of each named
#                              component's log (kubelet, containerd, apiserver, scheduler), on stderr
#
# Facts this relies on (checked on Debian 12 / cgroup v1 hybrid / no CAP_SYS_RESOURCE):
#   - containerd's CRI needs restrict_oom_score_adj = true here (runc cannot lower
#     oom_score_adj: "failed to update /proc/self/oom_score_adj: Permission denied").
#   - the kubelet needs failCgroupV1: false and cgroupDriver: cgroupfs on this host.
#   - the kubelet writes vm.overcommit_memory=1, kernel.panic=10, kernel.panic_on_oops=1 at start
#     (protectKernelDefaults: false); node_down writes the saved values back.
#   - the apiserver reaches webhook Pods through their Service's endpoints with
#     --enable-aggregator-routing (its service resolver dials the endpoint, not the ClusterIP),
#     so no kube-proxy runs; Services' ClusterIPs are not routed on this node.

NODE_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib.sh
source "$NODE_LIB_DIR/../lib.sh"

NODE_DIR=
NODE_SYSCTLS=(vm.overcommit_memory kernel.panic kernel.panic_on_oops)
NODE_SYSCTL_SAVED=()
declare -A NODE_PID=()
NODE_BRIDGE=gpfnode0
NODE_POD_CIDR=10.244.77.0/24
NODE_GATEWAY=10.244.77.1
NODE_NAME=gopreflight-node
NODE_STAGE_T=$(date +%s.%N)
NODE_STAGE_T0=$NODE_STAGE_T

node_stage() {
  local now
  now=$(date +%s.%N)
  awk -v t="$(date -u +%H:%M:%S)" -v n="$1" -v a="$NODE_STAGE_T" -v b="$NODE_STAGE_T0" -v now="$now" \
    'BEGIN { printf "[%s] STAGE %-30s %7.1f s (total %7.1f s)\n", t, n, now - a, now - b }' >&2
  NODE_STAGE_T=$now
}

node_tools() {
  local line
  while IFS= read -r line; do
    case $line in
      *=/*) printf -v "NODE_BIN_${line%%=*}" '%s' "${line#*=}" ;;
    esac
  done < <(bash "$NODE_LIB_DIR/../tools/build.sh" etcd kubernetes helm nodeimage createstream podstart |
             sed 's/^kube-apiserver=/kube_apiserver=/; s/^kube-controller-manager=/kube_controller_manager=/; s/^kube-scheduler=/kube_scheduler=/')
  local b
  for b in etcd kube_apiserver kube_controller_manager kube_scheduler kubelet kubectl helm nodeimage createstream podstart; do
    local v=NODE_BIN_$b
    [ -x "${!v:-}" ] || e2e_fail "tools/build.sh did not produce $b"
  done
  for t in containerd containerd-shim-runc-v2 runc ctr /usr/lib/cni/bridge /usr/lib/cni/host-local /usr/lib/cni/loopback; do
    command -v "$t" >/dev/null || [ -x "$t" ] ||
      e2e_fail "$t is not installed (run .ci/setup-deps.sh test: containerd, runc, containernetworking-plugins)"
  done
  # Every kubectl in these tests is the one built with the apiserver.
  NODE_TOOLBIN=$(mktemp -d /tmp/gopreflight-node-bin.XXXXXX)
  ln -s "$NODE_BIN_kubectl" "$NODE_TOOLBIN/kubectl"
  ln -s "$NODE_BIN_helm" "$NODE_TOOLBIN/helm"
  export PATH=$NODE_TOOLBIN:$PATH
  export E2E_ETCD=$NODE_BIN_etcd E2E_APISERVER=$NODE_BIN_kube_apiserver E2E_HELM=$NODE_BIN_helm
}

node_sysctl_save() {
  local s
  NODE_SYSCTL_SAVED=()
  for s in "${NODE_SYSCTLS[@]}"; do
    NODE_SYSCTL_SAVED+=("$s=$(cat "/proc/sys/${s//.//}")")
  done
  printf '%s\n' "${NODE_SYSCTL_SAVED[@]}" >"$NODE_DIR/sysctl.saved"
}

node_sysctl_restore() {
  local kv
  for kv in "${NODE_SYSCTL_SAVED[@]}"; do
    echo "${kv#*=}" >"/proc/sys/$(echo "${kv%%=*}" | tr . /)" 2>/dev/null ||
      echo "node_down: could not restore $kv" >&2
  done
}

node_start() { # name logfile command...
  local name=$1 log=$2; shift 2
  "$@" >"$log" 2>&1 &
  NODE_PID[$name]=$!
}

node_kill() { # name: TERM, then KILL after 10 s
  local name=$1 pid=${NODE_PID[$1]:-}
  [ -n "$pid" ] || return 0
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  unset "NODE_PID[$name]"
}

node_ctr() { ctr --address "$NODE_DIR/containerd/containerd.sock" -n k8s.io "$@"; }

node_import() {
  node_ctr images import --all-platforms "$1" >/dev/null ||
    e2e_fail "ctr images import $1 failed"
}

# The tiny image (tools/nodeimage, static): /nodeimage alone, as a docker archive that ctr
# imports. Used as containerd's sandbox (pause) image and as the tests' app and dependency.
NODE_IMAGE=localhost/gopreflight-e2e-node:1
node_make_nodeimage() {
  python3 - "$NODE_BIN_nodeimage" "$NODE_IMAGE" "$1" <<'EOF'
import hashlib, io, json, sys, tarfile
binary, tag, out = sys.argv[1:]
layer = io.BytesIO()
with tarfile.open(fileobj=layer, mode="w", format=tarfile.GNU_FORMAT) as t:
    data = open(binary, "rb").read()
    info = tarfile.TarInfo("nodeimage")
    info.size, info.mode, info.mtime = len(data), 0o755, 0
    t.addfile(info, io.BytesIO(data))
layer = layer.getvalue()
diff_id = "sha256:" + hashlib.sha256(layer).hexdigest()
config = json.dumps({"architecture": "amd64", "os": "linux",
                     "config": {"Entrypoint": ["/nodeimage"], "Cmd": ["pause"]},
                     "rootfs": {"type": "layers", "diff_ids": [diff_id]}}).encode()
cfg_name = hashlib.sha256(config).hexdigest() + ".json"
manifest = json.dumps([{"Config": cfg_name, "RepoTags": [tag], "Layers": ["layer.tar"]}]).encode()
with tarfile.open(out, "w") as t:
    for name, blob in ((cfg_name, config), ("layer.tar", layer), ("manifest.json", manifest)):
        info = tarfile.TarInfo(name)
        info.size = len(blob)
        t.addfile(info, io.BytesIO(blob))
EOF
}

node_certs() {
  local d=$1
  e2e_make_certs "$d"
  (
    cd "$d"
    # The apiserver's serving certificate again, naming also the node's address (where Pods reach
    # the apiserver through a relay: tests/e2e/node/apiserver_relay.py) and the kubernetes
    # Service's ClusterIP, as a cluster's apiserver certificate does.
    printf 'subjectAltName=IP:127.0.0.1,IP:%s,IP:10.0.0.1,DNS:localhost,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\n' "$NODE_GATEWAY" >apiserver.ext
    openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
      -extfile apiserver.ext -out apiserver.crt 2>/dev/null
    # The apiserver's client certificate towards the kubelet (logs, exec): system:masters too.
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
      -subj "/O=system:masters/CN=kube-apiserver-kubelet-client" \
      -keyout apiserver-kubelet.key -out apiserver-kubelet.csr 2>/dev/null
    openssl x509 -req -in apiserver-kubelet.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
      -extfile admin.ext -out apiserver-kubelet.crt 2>/dev/null
    # The kubelet's serving certificate (the node IP on the bridge), signed by the same CA.
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$NODE_NAME" \
      -keyout kubelet.key -out kubelet.csr 2>/dev/null
    printf 'subjectAltName=IP:%s,IP:127.0.0.1,DNS:%s\nextendedKeyUsage=serverAuth\n' "$NODE_GATEWAY" "$NODE_NAME" >kubelet.ext
    openssl x509 -req -in kubelet.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
      -extfile kubelet.ext -out kubelet.crt 2>/dev/null
  ) || e2e_fail "openssl could not make the node certificates in $d"
}

node_kubeconfig() { # file
  cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: node
    cluster: {server: "$NODE_API_URL", certificate-authority: "$NODE_PKI/ca.crt"}
users:
  - name: admin
    user: {client-certificate: "$NODE_PKI/admin.crt", client-key: "$NODE_PKI/admin.key"}
contexts:
  - name: node
    context: {cluster: node, user: admin}
current-context: node
EOF
}

node_up() {
  NODE_DIR=$1
  mkdir -p "$NODE_DIR"
  NODE_DIR=$(cd "$NODE_DIR" && pwd)
  [ -z "$(ls -A "$NODE_DIR")" ] || e2e_fail "node_up: $NODE_DIR is not empty"
  [ "$(id -u)" = 0 ] || e2e_fail "the real-node test needs root (containerd, kubelet)"
  node_sysctl_save
  NODE_PKI=$NODE_DIR/pki
  node_certs "$NODE_PKI"

  # --- containerd -------------------------------------------------------------------------------
  local cd=$NODE_DIR/containerd
  mkdir -p "$cd/root" "$cd/state" "$NODE_DIR/cni/net.d" "$NODE_DIR/cni/ipam"
  cat >"$NODE_DIR/cni/net.d/10-gopreflight.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "gopreflight-node",
  "plugins": [
    {"type": "bridge", "bridge": "$NODE_BRIDGE", "isGateway": true, "ipMasq": false,
     "hairpinMode": true,
     "ipam": {"type": "host-local", "dataDir": "$NODE_DIR/cni/ipam",
              "ranges": [[{"subnet": "$NODE_POD_CIDR", "gateway": "$NODE_GATEWAY"}]]}},
    {"type": "loopback"}
  ]
}
EOF
  cat >"$cd/config.toml" <<EOF
version = 2
root = "$cd/root"
state = "$cd/state"
[grpc]
  address = "$cd/containerd.sock"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$NODE_IMAGE"
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$NODE_DIR/cni/net.d"
EOF
  # The Pods' bridge, made before the kubelet: its address is the node's IP (the kubelet refuses a
  # loopback node IP), where the apiserver reaches the kubelet and host-network Pods listen. The
  # CNI bridge plugin finds it and adds the Pods' veths; nothing routes it anywhere else.
  ip link del "$NODE_BRIDGE" 2>/dev/null || true
  ip link add "$NODE_BRIDGE" type bridge && ip addr add "$NODE_GATEWAY/24" dev "$NODE_BRIDGE" &&
    ip link set "$NODE_BRIDGE" up || e2e_fail "cannot create the bridge $NODE_BRIDGE ($NODE_GATEWAY/24)"
  node_start containerd "$NODE_DIR/containerd.log" containerd --config "$cd/config.toml"
  E2E_WAIT=30 e2e_wait node_ctr version ||
    { tail -n 20 "$NODE_DIR/containerd.log" >&2; e2e_fail "containerd did not answer on $cd/containerd.sock"; }
  node_make_nodeimage "$NODE_DIR/nodeimage.tar"
  node_import "$NODE_DIR/nodeimage.tar"
  node_stage "containerd up"

  # --- control plane ----------------------------------------------------------------------------
  local etcd_port etcd_peer api_port
  etcd_port=$(e2e_free_port); etcd_peer=$(e2e_free_port)
  node_start etcd "$NODE_DIR/etcd.log" "$NODE_BIN_etcd" --name node --data-dir "$NODE_DIR/etcd" \
    --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$etcd_peer" --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer" \
    --initial-cluster "node=http://127.0.0.1:$etcd_peer" --listen-metrics-urls "" \
    --unsafe-no-fsync --log-level warn
  E2E_WAIT=30 e2e_wait curl -sf "http://127.0.0.1:$etcd_port/health" ||
    { tail -n 20 "$NODE_DIR/etcd.log" >&2; e2e_fail "etcd did not become healthy"; }

  api_port=$(e2e_free_port)
  NODE_API_URL=https://127.0.0.1:$api_port
  # --enable-aggregator-routing: the apiserver's service resolver dials a Service's endpoint
  # (the webhook Pod's IP on the bridge) instead of its ClusterIP, which nothing routes here.
  node_start apiserver "$NODE_DIR/apiserver.log" "$NODE_BIN_kube_apiserver" \
    --etcd-servers "http://127.0.0.1:$etcd_port" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$api_port" \
    --tls-cert-file "$NODE_PKI/apiserver.crt" --tls-private-key-file "$NODE_PKI/apiserver.key" \
    --client-ca-file "$NODE_PKI/ca.crt" \
    --kubelet-client-certificate "$NODE_PKI/apiserver-kubelet.crt" \
    --kubelet-client-key "$NODE_PKI/apiserver-kubelet.key" \
    --kubelet-certificate-authority "$NODE_PKI/ca.crt" \
    --kubelet-preferred-address-types InternalIP \
    --service-cluster-ip-range 10.0.0.0/24 \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$NODE_PKI/sa.pub" --service-account-signing-key-file "$NODE_PKI/sa.key" \
    --authorization-mode RBAC --allow-privileged=true \
    --enable-aggregator-routing=true \
    --endpoint-reconciler-type none \
    --cert-dir "$NODE_DIR/apiserver-certs" --v 1
  export KUBECONFIG=$NODE_DIR/kubeconfig
  node_kubeconfig "$KUBECONFIG"
  E2E_WAIT=120 e2e_wait kubectl get --raw /readyz ||
    { tail -n 30 "$NODE_DIR/apiserver.log" >&2; e2e_fail "kube-apiserver did not become ready on $NODE_API_URL"; }
  E2E_WAIT=30 e2e_wait kubectl get namespace default || e2e_fail "namespace default never appeared"
  node_stage "etcd + apiserver up"

  node_start controller-manager "$NODE_DIR/controller-manager.log" "$NODE_BIN_kube_controller_manager" \
    --kubeconfig "$KUBECONFIG" --leader-elect=false --bind-address 127.0.0.1 --secure-port 0 \
    --service-account-private-key-file "$NODE_PKI/sa.key" --root-ca-file "$NODE_PKI/ca.crt" \
    --use-service-account-credentials=false --cluster-cidr "$NODE_POD_CIDR" --allocate-node-cidrs=false \
    --controllers '*,-nodeipam,-cloud-node-lifecycle,-service-lb-controller,-route,-bootstrapsigner,-tokencleaner' --v 1
  node_start scheduler "$NODE_DIR/scheduler.log" "$NODE_BIN_kube_scheduler" \
    --kubeconfig "$KUBECONFIG" --leader-elect=false --bind-address 127.0.0.1 --secure-port 0 --v 1

  # --- kubelet ----------------------------------------------------------------------------------
  local kport
  kport=$(e2e_free_port)
  mkdir -p "$NODE_DIR/kubelet" "$NODE_DIR/manifests"
  printf 'nameserver 127.0.0.1\n' >"$NODE_DIR/resolv.conf"
  cat >"$NODE_DIR/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
failCgroupV1: false
cgroupDriver: cgroupfs
containerRuntimeEndpoint: unix://$cd/containerd.sock
address: $NODE_GATEWAY
port: $kport
readOnlyPort: 0
healthzPort: 0
tlsCertFile: $NODE_PKI/kubelet.crt
tlsPrivateKeyFile: $NODE_PKI/kubelet.key
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: false}
  x509: {clientCAFile: $NODE_PKI/ca.crt}
authorization: {mode: AlwaysAllow}
staticPodPath: $NODE_DIR/manifests
resolvConf: $NODE_DIR/resolv.conf
failSwapOn: false
protectKernelDefaults: false
serializeImagePulls: false
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: "1Mi", nodefs.available: "1%", imagefs.available: "1%", nodefs.inodesFree: "1%"}
evictionPressureTransitionPeriod: 5s
nodeStatusUpdateFrequency: 2s
syncFrequency: 10s
fileCheckFrequency: 60s
maxPods: 60
EOF
  node_start kubelet "$NODE_DIR/kubelet.log" "$NODE_BIN_kubelet" \
    --config "$NODE_DIR/kubelet.yaml" --kubeconfig "$KUBECONFIG" \
    --root-dir "$NODE_DIR/kubelet" --hostname-override "$NODE_NAME" --node-ip "$NODE_GATEWAY" --v 1
  if ! E2E_WAIT=120 e2e_wait node_ready; then
    tail -n 40 "$NODE_DIR/kubelet.log" >&2
    kubectl get node -o wide >&2 || true
    e2e_fail "the Node $NODE_NAME did not become Ready"
  fi
  # The kubelet changed these on the host (it always does with protectKernelDefaults: false).
  e2e_log "kernel settings now: $(for s in "${NODE_SYSCTLS[@]}"; do printf '%s=%s ' "$s" "$(cat "/proc/sys/${s//.//}")"; done)(saved: ${NODE_SYSCTL_SAVED[*]})"
  # The controller-manager makes each namespace's default ServiceAccount; wait for "default".
  E2E_WAIT=60 e2e_wait kubectl -n default get serviceaccount default ||
    { tail -n 20 "$NODE_DIR/controller-manager.log" >&2; e2e_fail "no default ServiceAccount: is kube-controller-manager running?"; }
  e2e_log "node $NODE_NAME Ready: $(kubectl get node "$NODE_NAME" -o jsonpath='{.status.nodeInfo.kubeletVersion} {.status.nodeInfo.containerRuntimeVersion}')"
  node_stage "controllers + kubelet Ready"
}

node_ready() {
  [ "$(kubectl get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ]
}

# Every process whose command line mentions DIR (containerd's shims and the Pods' processes they
# started have it in their arguments or cwd), found by PID, not by name.
node_pids_under() {
  local p
  for p in /proc/[0-9]*; do
    if { tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null | grep -qF -- "$NODE_DIR/"; then echo "${p#/proc/}"; fi
  done
}

node_dump_state() {
  local lines=$1 f
  shift
  kubectl get pods -A -o wide >&2 2>/dev/null || true
  for f in "$@"; do
    echo "--- last lines of $f.log" >&2
    tail -n "$lines" "$NODE_DIR/$f.log" >&2 2>/dev/null || true
  done
}

node_down() {
  [ -n "$NODE_DIR" ] || return 0
  local t0
  t0=$(date +%s)
  node_kill kubelet
  # The Pods' containers outlive containerd (each has its own shim): stop them through containerd.
  if [ -n "${NODE_PID[containerd]:-}" ]; then
    local id
    for id in $(node_ctr tasks ls -q 2>/dev/null); do node_ctr tasks kill -s SIGKILL "$id" >/dev/null 2>&1 || true; done
    sleep 1
    for id in $(node_ctr tasks ls -q 2>/dev/null); do node_ctr tasks delete -f "$id" >/dev/null 2>&1 || true; done
    for id in $(node_ctr containers ls -q 2>/dev/null); do node_ctr containers delete "$id" >/dev/null 2>&1 || true; done
  fi
  node_kill scheduler
  node_kill controller-manager
  node_kill apiserver
  node_kill etcd
  node_kill containerd
  # Leftover shims (their -address names our socket), by PID.
  local pid
  for pid in $(node_pids_under); do kill -9 "$pid" 2>/dev/null || true; done
  # Mounts under DIR (overlay rootfs, shm, projected token tmpfs), deepest first.
  local m
  while read -r m; do umount -l "$m" 2>/dev/null || true; done < <(findmnt -rn -o TARGET | grep -F -- "$NODE_DIR/" | sort -r)
  # Network namespaces containerd made for our sandboxes.
  for m in $(findmnt -rn -o TARGET | grep -E '^/(var/)?run/netns/cni-' || true); do
    umount "$m" 2>/dev/null && rm -f "$m"
  done
  ip link del "$NODE_BRIDGE" 2>/dev/null || true
  # The Pod cgroups the kubelet made (/kubepods in every v1 hierarchy), deepest first.
  local c
  for c in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/unified/kubepods; do
    [ -d "$c" ] && find "$c" -depth -type d -exec rmdir {} \; 2>/dev/null
  done
  node_sysctl_restore
  rm -rf "$NODE_DIR" "${NODE_TOOLBIN:-}"
  e2e_log "node down in $(( $(date +%s) - t0 )) s: processes stopped, mounts and bridge removed, kernel settings restored (${NODE_SYSCTL_SAVED[*]})"
  NODE_DIR=
}
