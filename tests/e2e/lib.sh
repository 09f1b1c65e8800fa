# Shared by the helm and e2e tests (source it): a real etcd and kube-apiserver on loopback, with
# certificates made by openssl, and a kubeconfig whose client certificate is in system:masters.
# No kubelet, scheduler or controller-manager: objects are stored (Pods stay Pending), which is
# everything admission needs.
#
#   e2e_tools                  build (or reuse from the cache) etcd, kube-apiserver, kubectl, helm
#                              and the e2e test's podlatency and nullwebhook; sets E2E_ETCD,
#                              E2E_APISERVER, E2E_KUBECTL, E2E_HELM, E2E_PODLATENCY, E2E_NULLWEBHOOK;
#                              puts E2E_KUBECTL's directory first in PATH, so `kubectl` is the
#                              apiserver's own release, never one installed on the machine
#   e2e_start_cluster DIR      start both in DIR; exports KUBECONFIG; E2E_APISERVER_URL
#   e2e_stop_cluster           stop them: call it from the caller's EXIT trap
#   e2e_namespace NAME [k=v]   create a namespace with labels and its default ServiceAccount
#   e2e_free_port              print a free loopback TCP port
#   e2e_log / e2e_fail MSG     progress and failure messages (e2e_fail exits 1)

E2E_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
E2E_PIDS=()

e2e_log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
e2e_fail() { printf '[%s] FAIL: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; exit 1; }

e2e_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Waits until "$@" succeeds, up to $E2E_WAIT seconds (default 60); returns 1 on timeout.
e2e_wait() {
  local deadline=$(( $(date +%s) + ${E2E_WAIT:-60} ))
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -ge "$deadline" ] && return 1
    sleep 0.2
  done
}

e2e_tools() {
  local line
  while IFS= read -r line; do
    case $line in
      etcd=*) E2E_ETCD=${line#etcd=} ;;
      kube-apiserver=*) E2E_APISERVER=${line#kube-apiserver=} ;;
      kubectl=*) E2E_KUBECTL=${line#kubectl=} ;;
      helm=*) E2E_HELM=${line#helm=} ;;
      podlatency=*) E2E_PODLATENCY=${line#podlatency=} ;;
      nullwebhook=*) E2E_NULLWEBHOOK=${line#nullwebhook=} ;;
    esac
  done < <(bash "$E2E_LIB_DIR/tools/build.sh" all)
  [ -x "${E2E_ETCD:-}" ] && [ -x "${E2E_APISERVER:-}" ] && [ -x "${E2E_HELM:-}" ] ||
    e2e_fail "tools/build.sh did not produce etcd, kube-apiserver and helm"
  [ -x "${E2E_KUBECTL:-}" ] || e2e_fail "tools/build.sh did not produce kubectl (the tests use the apiserver's release, not one on PATH)"
  export E2E_ETCD E2E_APISERVER E2E_KUBECTL E2E_HELM E2E_PODLATENCY E2E_NULLWEBHOOK
  PATH=$(dirname "$E2E_KUBECTL"):$PATH
  export PATH
  hash -r
  [ "$(command -v kubectl)" = "$E2E_KUBECTL" ] || e2e_fail "kubectl resolves to $(command -v kubectl), not $E2E_KUBECTL"
}

# CA, apiserver serving cert (127.0.0.1/localhost), admin client cert, service-account keys.
e2e_make_certs() {
  local d=$1
  mkdir -p "$d"
  (
    cd "$d"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
      -subj "/CN=e2e-ca" -keyout ca.key -out ca.crt 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=kube-apiserver" \
      -keyout apiserver.key -out apiserver.csr 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\n' >apiserver.ext
    openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
      -extfile apiserver.ext -out apiserver.crt 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/O=system:masters/CN=e2e-admin" \
      -keyout admin.key -out admin.csr 2>/dev/null
    printf 'extendedKeyUsage=clientAuth\n' >admin.ext
    openssl x509 -req -in admin.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
      -extfile admin.ext -out admin.crt 2>/dev/null
    openssl genrsa -out sa.key 2048 2>/dev/null
    openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
  ) || e2e_fail "openssl could not make the cluster certificates in $d"
}

e2e_stop_cluster() {
  local i pid
  for (( i=${#E2E_PIDS[@]}-1; i>=0; i-- )); do
    pid=${E2E_PIDS[$i]}
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${E2E_PIDS[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  E2E_PIDS=()
}

e2e_start_cluster() {
  local dir=$1 etcd_port etcd_peer api_port
  mkdir -p "$dir"
  e2e_make_certs "$dir/pki"
  etcd_port=$(e2e_free_port); etcd_peer=$(e2e_free_port)
  "$E2E_ETCD" --name e2e --data-dir "$dir/etcd" \
    --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$etcd_peer" --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer" \
    --initial-cluster "e2e=http://127.0.0.1:$etcd_peer" --listen-metrics-urls "" \
    --unsafe-no-fsync --log-level warn >"$dir/etcd.log" 2>&1 &
  E2E_PIDS+=($!)
  E2E_WAIT=30 e2e_wait curl -sf "http://127.0.0.1:$etcd_port/health" ||
    { tail -n 20 "$dir/etcd.log" >&2; e2e_fail "etcd did not become healthy on 127.0.0.1:$etcd_port"; }

  api_port=$(e2e_free_port)
  E2E_APISERVER_URL=https://127.0.0.1:$api_port
  # Flags as a minimal local control plane needs them (cf. controller-runtime's envtest): loopback
  # only, RBAC with our system:masters client, service-account keys for the token machinery, and
  # no endpoint reconciler (a loopback address is not a valid endpoint of the kubernetes Service).
  "$E2E_APISERVER" \
    --etcd-servers "http://127.0.0.1:$etcd_port" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$api_port" \
    --tls-cert-file "$dir/pki/apiserver.crt" --tls-private-key-file "$dir/pki/apiserver.key" \
    --client-ca-file "$dir/pki/ca.crt" \
    --service-cluster-ip-range 10.0.0.0/24 \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$dir/pki/sa.pub" --service-account-signing-key-file "$dir/pki/sa.key" \
    --authorization-mode RBAC --allow-privileged=true \
    --endpoint-reconciler-type none \
    --cert-dir "$dir/apiserver-certs" \
    --v 1 >"$dir/apiserver.log" 2>&1 &
  E2E_PIDS+=($!)

  export KUBECONFIG=$dir/kubeconfig
  cat >"$KUBECONFIG" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: e2e
    cluster:
      server: $E2E_APISERVER_URL
      certificate-authority: $dir/pki/ca.crt
users:
  - name: e2e-admin
    user:
      client-certificate: $dir/pki/admin.crt
      client-key: $dir/pki/admin.key
contexts:
  - name: e2e
    context: {cluster: e2e, user: e2e-admin}
current-context: e2e
EOF
  E2E_WAIT=120 e2e_wait kubectl get --raw /readyz ||
    { tail -n 30 "$dir/apiserver.log" >&2; e2e_fail "kube-apiserver did not become ready on $E2E_APISERVER_URL"; }
  # The default namespace is made by the apiserver's bootstrap controller shortly after /readyz.
  E2E_WAIT=30 e2e_wait kubectl get namespace default ||
    e2e_fail "namespace default never appeared"
  local versions
  versions=$(kubectl version -o json 2>/dev/null | python3 -c 'import json,sys; v=json.load(sys.stdin); print(v["clientVersion"]["gitVersion"], v["serverVersion"]["gitVersion"])') ||
    e2e_fail "kubectl version could not read the client and server versions"
  [ "${versions% *}" = "${versions#* }" ] ||
    e2e_fail "kubectl ${versions% *} ($(command -v kubectl)) is not the apiserver's release ${versions#* }"
  e2e_log "kube-apiserver ${versions#* } ready at $E2E_APISERVER_URL (etcd 127.0.0.1:$etcd_port), kubectl ${versions% *} $(command -v kubectl)"
}

# Without a controller-manager nobody creates the default ServiceAccount, which the apiserver's
# ServiceAccount admission requires for Pods; make it with the namespace.
e2e_namespace() {
  local ns=$1; shift
  kubectl create namespace "$ns" >/dev/null || e2e_fail "cannot create namespace $ns"
  [ $# -gt 0 ] && { kubectl label namespace "$ns" "$@" >/dev/null || e2e_fail "cannot label namespace $ns"; }
  kubectl -n "$ns" create serviceaccount default >/dev/null || e2e_fail "cannot create serviceaccount default in $ns"
}
