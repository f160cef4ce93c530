#!/bin/sh
# up.sh: start the local control plane on free loopback ports (make cluster-up).
#
#   etcd, kube-apiserver, kube-controller-manager, the simulated kubelet
#   (tests/cluster/kubelet.py) and the fault-injecting TLS proxy
#   (tests/cluster/faultproxy.py); then RBAC objects and the in-cluster
#   ServiceAccount token.  Everything lives in $CLUSTER_DIR (default
#   <repo>/.cluster); .cluster/env says where (see docs/cluster.md).
#
# Already up and healthy: says so and exits 0.  Half up (a process died):
# stops what is left, by PID, and starts afresh.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$here/../.." && pwd)
C=${CLUSTER_DIR:-$TOP/.cluster}
PY=/usr/bin/python3
NODE=hookctl-node

say() { printf 'cluster-up: %s\n' "$*" >&2; }
die() { printf 'cluster-up: error: %s\n' "$*" >&2; exit 1; }
ms() { date +%s%3N; }

[ -x "$PY" ] || die "missing /usr/bin/python3; as root: apt-get install python3"

# Already up?
if [ -f "$C/env" ] && [ -f "$C/pids" ]; then
	st=$(sh "$here/down.sh" --status 2>&1)
	case $? in
	0)	say "already up (API server $(sed -n "s/^CLUSTER_SERVER='\(.*\)'$/\1/p" "$C/env")); nothing to do"
		exit 0 ;;
	2)	die "already started, but not ready ($st); make cluster-down, then make cluster-up" ;;
	esac
	say "a previous control plane is half up ($st): stopping what is left"
	sh "$here/down.sh" >&2 || true
fi

# Binaries (cached; setup.sh --check installs nothing and says what is missing).
eval "$(sh "$here/setup.sh" --check 2>/dev/null)" ||
	die "binaries missing: run 'make cluster-build' (tests/cluster/setup.sh, as root) first"
[ -n "${K8S_BIN:-}" ] || {
	sh "$here/setup.sh" --check >/dev/null || true
	die "binaries missing: run 'make cluster-build' (tests/cluster/setup.sh, as root) first"
}
ETCD=$(command -v etcd) || die "etcd missing; as root: apt-get install etcd-server"
command -v curl >/dev/null || die "curl missing; as root: apt-get install curl"

t0=$(ms)
mkdir -p "$C"
rm -rf "$C/logs" "$C/kubelet" "$C/sa" "$C/tokens" "$C/audit.log" "$C/env" "$C/pids" "$C"/kubeconfig*
mkdir -p "$C/logs" "$C/kubelet" "$C/sa" "$C/tokens"
: > "$C/pids"

# The PKI (kept across restarts) and fresh tokens.
sh "$here/certs.sh" "$C/pki"
P=$C/pki
tok() { od -An -N16 -tx1 /dev/urandom | tr -d ' \n'; }
for u in admin limited invalid kubelet controller-manager proxy; do
	tok > "$C/tokens/$u"
done
{
	# token,user,uid,"groups"
	echo "$(cat "$C/tokens/admin"),admin,admin-uid,\"system:masters\""
	echo "$(cat "$C/tokens/limited"),limited,limited-uid"
	echo "$(cat "$C/tokens/kubelet"),system:node:$NODE,kubelet-uid,\"system:masters,system:nodes\""
	echo "$(cat "$C/tokens/controller-manager"),system:kube-controller-manager,kcm-uid,\"system:masters\""
} > "$C/tokens/tokens.csv"
chmod 600 "$C/tokens"/*

# Audit: every request, metadata only (no bodies, so no Secret data), one
# event per request (ResponseComplete; watches also log ResponseStarted).
cat > "$C/audit-policy.yaml" <<'EOF'
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: Metadata
EOF

# Free loopback ports.
set -- $("$PY" - <<'EOF'
import socket
ss = []
for _ in range(6):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    ss.append(s)
print(" ".join(str(s.getsockname()[1]) for s in ss))
EOF
)
ETCD_PORT=$1 ETCD_PEER_PORT=$2 API_PORT=$3 KUBELET_PORT=$4 PROXY_PORT=$5 PROXY_CTL_PORT=$6
SERVER=https://127.0.0.1:$API_PORT

# etcd's data on tmpfs when there is one (fsync there is free).
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
	ETCD_DIR=$(mktemp -d /dev/shm/hookctl-etcd.XXXXXX)
else
	ETCD_DIR=$C/etcd
	rm -rf "$ETCD_DIR"
	mkdir -p "$ETCD_DIR"
fi
echo "$ETCD_DIR" > "$C/etcd-dir"

# start NAME CMD...: runs CMD in its own session, output to logs/NAME.log,
# records "NAME PID" in $C/pids.  Sets $PID.
start() {
	name=$1
	shift
	setsid "$@" < /dev/null > "$C/logs/$name.log" 2>&1 &
	PID=$!
	st=$(sed 's/^.*) //' "/proc/$PID/stat" | cut -d' ' -f20)
	echo "$name $PID $st" >> "$C/pids"
}

# wait_for WHAT SECONDS CMD...: polls CMD every 0.1 s.
wait_for() {
	what=$1 secs=$2
	shift 2
	n=0
	until "$@" >/dev/null 2>&1; do
		n=$((n + 1))
		if [ $n -ge $((secs * 10)) ]; then
			say "$what not ready after ${secs} s; last log lines:"
			tail -n 20 "$C/logs/$what.log" >&2 2>/dev/null || true
			sh "$here/down.sh" >&2 || true
			die "$what did not start"
		fi
		sleep 0.1
	done
}

start etcd "$ETCD" --name hookctl --data-dir "$ETCD_DIR/data" \
	--listen-client-urls "http://127.0.0.1:$ETCD_PORT" \
	--advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
	--listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
	--initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
	--initial-cluster "hookctl=http://127.0.0.1:$ETCD_PEER_PORT" \
	--log-level warn
ETCD_PID=$PID

start apiserver "$K8S_BIN/kube-apiserver" \
	--etcd-servers "http://127.0.0.1:$ETCD_PORT" \
	--bind-address 127.0.0.1 --advertise-address 127.0.0.1 \
	--secure-port "$API_PORT" --insecure-port 0 \
	--tls-cert-file "$P/apiserver.crt" --tls-private-key-file "$P/apiserver.key" \
	--client-ca-file "$P/ca.crt" \
	--token-auth-file "$C/tokens/tokens.csv" \
	--authorization-mode RBAC \
	--service-account-key-file "$P/sa.pub" \
	--service-account-signing-key-file "$P/sa.key" \
	--service-account-issuer https://kubernetes.default.svc \
	--service-cluster-ip-range 10.0.0.0/24 \
	--kubelet-certificate-authority "$P/ca.crt" \
	--kubelet-client-certificate "$P/apiserver-kubelet-client.crt" \
	--kubelet-client-key "$P/apiserver-kubelet-client.key" \
	--kubelet-preferred-address-types InternalIP \
	--disable-admission-plugins ServiceAccount \
	--audit-policy-file "$C/audit-policy.yaml" \
	--audit-log-path "$C/audit.log" \
	--enable-priority-and-fairness=false \
	--profiling=false --v 0 ${CLUSTER_APISERVER_FLAGS:-}
API_PID=$PID

# The kubelet and the proxy start while the API server does (they retry).
start kubelet "$PY" "$here/kubelet.py" \
	--server "$SERVER" --ca "$P/ca.crt" --token-file "$C/tokens/kubelet" \
	--node "$NODE" --port "$KUBELET_PORT" \
	--cert "$P/kubelet.crt" --key "$P/kubelet.key" --client-ca "$P/ca.crt" \
	--dir "$C/kubelet" --time-limit "${CLUSTER_KUBELET_TIME_LIMIT:-300}"
KUBELET_PID=$PID

start proxy "$PY" "$here/faultproxy.py" \
	--listen "$PROXY_PORT" --control "$PROXY_CTL_PORT" --upstream "$SERVER" \
	--ca "$P/ca.crt" --cert "$P/apiserver.crt" --key "$P/apiserver.key"
PROXY_PID=$PID

ADMIN_TOKEN=$(cat "$C/tokens/admin")
ready() {
	curl -sf --max-time 2 --cacert "$P/ca.crt" -H "Authorization: Bearer $ADMIN_TOKEN" \
		-A hookctl-cluster-up "$SERVER/readyz" | grep -qx ok
}
wait_for apiserver 120 ready
t_api=$(ms)
cpu_api=$(sed 's/^.*) //' "/proc/$API_PID/stat" | awk '{print ($12 + $13) * 10}')

# Kubeconfigs: admin (token), admin (client cert), limited, invalid token.
b64() { base64 -w0 < "$1"; }
CA_DATA=$(b64 "$P/ca.crt")
kubeconfig() { # FILE SERVER USER-LINES...
	f=$1 s=$2
	shift 2
	{
		cat <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: hookctl-test
    cluster:
      server: $s
      certificate-authority-data: $CA_DATA
users:
  - name: user
    user:
EOF
		for l in "$@"; do echo "      $l"; done
		cat <<EOF
contexts:
  - name: hookctl-test
    context:
      cluster: hookctl-test
      user: user
      namespace: default
current-context: hookctl-test
EOF
	} > "$f"
	chmod 600 "$f"
}
kubeconfig "$C/kubeconfig" "$SERVER" "token: $ADMIN_TOKEN"
kubeconfig "$C/kubeconfig-cert" "$SERVER" \
	"client-certificate-data: $(b64 "$P/admin.crt")" "client-key-data: $(b64 "$P/admin.key")"
kubeconfig "$C/kubeconfig-limited" "$SERVER" "token: $(cat "$C/tokens/limited")"
kubeconfig "$C/kubeconfig-invalid" "$SERVER" "token: $(cat "$C/tokens/invalid")"
kubeconfig "$C/kubeconfig-proxy" "https://127.0.0.1:$PROXY_PORT" "token: $ADMIN_TOKEN"
kubeconfig "$C/kubeconfig-controller-manager" "$SERVER" \
	"token: $(cat "$C/tokens/controller-manager")"

start controller-manager "$K8S_BIN/kube-controller-manager" \
	--kubeconfig "$C/kubeconfig-controller-manager" \
	--leader-elect=false \
	--controllers job,garbagecollector,namespace,serviceaccount,serviceaccount-token,deployment,replicaset \
	--service-account-private-key-file "$P/sa.key" \
	--root-ca-file "$P/ca.crt" \
	--use-service-account-credentials=false \
	--port 0 --secure-port 0 \
	--kube-api-qps 200 --kube-api-burst 400 \
	--concurrent-gc-syncs 5 --v 0
KCM_PID=$PID


# RBAC objects, the in-cluster ServiceAccount and its token; the Node Ready.
"$PY" "$here/bootstrap.py" --server "$SERVER" --ca "$P/ca.crt" --token-file "$C/tokens/admin" \
	--objects "$here/rbac.json" --sa hookctl-sa/hookctl --sa-dir "$C/sa" --node "$NODE" \
	--timeout 60 > "$C/logs/bootstrap.log" 2>&1 ||
	{ cat "$C/logs/bootstrap.log" >&2; tail -n 5 "$C/logs/kubelet.log" >&2
	  sh "$here/down.sh" >&2; die "bootstrap failed"; }
proxy_ready() { curl -sf --max-time 1 "http://127.0.0.1:$PROXY_CTL_PORT/health"; }
wait_for proxy 10 proxy_ready

cat > "$C/env" <<EOF
# The local control plane (tests/cluster/up.sh); sh-sourceable.  See docs/cluster.md.
CLUSTER_DIR='$C'
KUBECONFIG='$C/kubeconfig'
KUBECONFIG_CERT='$C/kubeconfig-cert'
KUBECONFIG_LIMITED='$C/kubeconfig-limited'
KUBECONFIG_INVALID='$C/kubeconfig-invalid'
KUBECONFIG_PROXY='$C/kubeconfig-proxy'
KUBECTL='$KUBECTL'
HELM='$HELM'
K8S_BIN='$K8S_BIN'
CLUSTER_SERVER='$SERVER'
CLUSTER_HOST=127.0.0.1
CLUSTER_PORT=$API_PORT
CLUSTER_CA='$P/ca.crt'
CLUSTER_CA_KEY='$P/ca.key'
ADMIN_TOKEN_FILE='$C/tokens/admin'
LIMITED_TOKEN_FILE='$C/tokens/limited'
INVALID_TOKEN_FILE='$C/tokens/invalid'
ADMIN_CERT='$P/admin.crt'
ADMIN_KEY='$P/admin.key'
LIMITED_CERT='$P/limited.crt'
LIMITED_KEY='$P/limited.key'
SA_DIR='$C/sa'
SA_TOKEN_FILE='$C/sa/token'
SA_NAMESPACE=hookctl-sa
AUDIT_LOG='$C/audit.log'
AUDIT_SEQ='$here/audit-seq'
FAULT='$here/fault'
NODE_NAME=$NODE
ETCD_PORT=$ETCD_PORT
KUBELET_PORT=$KUBELET_PORT
PROXY_PORT=$PROXY_PORT
PROXY_SERVER='https://127.0.0.1:$PROXY_PORT'
PROXY_CONTROL='http://127.0.0.1:$PROXY_CTL_PORT'
ETCD_PID=$ETCD_PID
APISERVER_PID=$API_PID
CONTROLLER_MANAGER_PID=$KCM_PID
KUBELET_PID=$KUBELET_PID
PROXY_PID=$PROXY_PID
export CLUSTER_DIR KUBECONFIG KUBECONFIG_CERT KUBECONFIG_LIMITED KUBECONFIG_INVALID KUBECONFIG_PROXY
export KUBECTL HELM K8S_BIN CLUSTER_SERVER CLUSTER_HOST CLUSTER_PORT CLUSTER_CA CLUSTER_CA_KEY
export ADMIN_TOKEN_FILE LIMITED_TOKEN_FILE INVALID_TOKEN_FILE ADMIN_CERT ADMIN_KEY LIMITED_CERT LIMITED_KEY
export SA_DIR SA_TOKEN_FILE SA_NAMESPACE AUDIT_LOG AUDIT_SEQ FAULT NODE_NAME ETCD_PORT KUBELET_PORT
export PROXY_PORT PROXY_SERVER PROXY_CONTROL
EOF
t1=$(ms)
say "up: API server $SERVER ready in $((t_api - t0)) ms (it used $cpu_api ms of CPU), all ready in $((t1 - t0)) ms"
say "env: $C/env (. it for KUBECONFIG, KUBECTL, HELM, ...)"
