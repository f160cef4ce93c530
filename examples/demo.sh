#!/bin/sh
# examples/demo.sh (make demo): the example chart's whole life, driven by
# hookctl against a real Kubernetes control plane on loopback.
#
#   1. the one-time set-up (Debian packages, the Kubernetes build, helm and
#      kubectl: tests/cluster/setup.sh, cached; minutes on a fresh machine)
#   2. start the control plane (tests/cluster/up.sh; seconds)
#   3. hookctl install, upgrade, test --logs, uninstall of examples/demo.yaml
#      (helm template's render of examples/demo/) in namespace "demo"
#   4. stop the control plane (if this script started it)
#
# What is printed is hookctl's own output, after a "$ hookctl ..." line.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"
HOOKCTL=${HOOKCTL:-$TOP/hookctl}
C=${CLUSTER_DIR:-$TOP/.cluster}
export CLUSTER_DIR=$C
NS=${DEMO_NAMESPACE:-demo}

say() { printf '\n== %s\n' "$*"; }

[ -x "$HOOKCTL" ] || { echo "demo: $HOOKCTL is missing: run make first" >&2; exit 2; }

say "1. set-up (cached after the first run: Debian packages, the Kubernetes build, helm and kubectl)"
if sh tests/cluster/setup.sh --check >/dev/null 2>&1; then
	echo "everything is already there"
else
	echo "first run: this takes a few minutes (progress below)"
	sh tests/cluster/setup.sh > /dev/null || { echo "demo: set-up failed" >&2; exit 1; }
fi

say "2. start the control plane (etcd, kube-apiserver, kube-controller-manager, a simulated kubelet)"
started=no
if [ -f "$C/env" ] && sh tests/cluster/down.sh --status >/dev/null 2>&1; then
	echo "already up: using it (and leaving it up)"
else
	sh tests/cluster/up.sh || { echo "demo: the control plane did not start" >&2; exit 1; }
	started=yes
fi
. "$C/env"
export KUBECONFIG

stop() {
	if [ $started = yes ]; then
		say "5. stop the control plane"
		sh tests/cluster/down.sh
	fi
}
trap 'stop; exit 130' INT TERM

"$KUBECTL" delete namespace "$NS" --ignore-not-found --wait=true >/dev/null 2>&1
"$KUBECTL" create namespace "$NS" >/dev/null || { stop; exit 1; }

rc=0
run() {
	printf '\n$ hookctl %s\n' "$*"
	"$HOOKCTL" "$@" || rc=1
}

say "3. the example chart with hookctl (namespace $NS)"
echo "hookctl $("$HOOKCTL" version | head -n 1 | cut -d' ' -f2-), $(wc -c < "$HOOKCTL") bytes, static"
run plan install -f examples/demo.yaml
run install demo -f examples/demo.yaml -n "$NS"
run upgrade demo -f examples/demo-v2.yaml -n "$NS"
run test demo -f examples/demo-v2.yaml -n "$NS" --logs
run uninstall demo -f examples/demo-v2.yaml -n "$NS"

say "4. what is left in namespace $NS (hooks with only the default policy stay, as with Helm)"
"$KUBECTL" get all,configmaps -n "$NS" 2>&1 | grep -v '^configmap/kube-root-ca.crt'
"$KUBECTL" delete namespace "$NS" --wait=false >/dev/null 2>&1

stop
[ $rc -eq 0 ] && echo "demo: done" || echo "demo: a step failed (see above)"
exit $rc
