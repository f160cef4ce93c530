#!/bin/sh
# cluster_zz_down.sh (runs last): cluster-down stops every process the
# control plane started and leaves nothing behind; the control plane comes up
# again from stopped within the time budget, and goes down again cleanly.
# tests/run.sh's own cluster-down afterwards finds nothing to stop.
TOP=${TOP:-$(cd "$(dirname "$0")/.." && pwd)}
. "$TOP/tests/lib.sh"
CLUSTER_DIR=${CLUSTER_DIR:-$TOP/.cluster}
. "$CLUSTER_DIR/env"
C=$CLUSTER_DIR
T=${TMPDIR_T:-$(mktemp -d)}/czz
mkdir -p "$T"

# leftovers: recorded PIDs still running, container processes of the
# kubelet (marked in their environment), any process naming the cluster dir.
leftovers() {
	# (a recorded PID counts only if it is still one of ours: pid_max is
	# 32768 here, and a test run starts enough processes for PIDs to wrap)
	for p in $APISERVER_PID $ETCD_PID $CONTROLLER_MANAGER_PID $KUBELET_PID $PROXY_PID; do
		[ -d "/proc/$p" ] && ! grep -q '^State:.*Z' "/proc/$p/status" 2>/dev/null &&
			tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null |
			grep -qE 'kube-apiserver|kube-controller-manager|etcd|kubelet\.py|faultproxy\.py' &&
			echo "pid $p"
	done
	grep -lzxF "HOOKCTL_CLUSTER_MARK=$C" /proc/[0-9]*/environ 2>/dev/null | sed 's/^/marked /'
	# "[/]": the pattern must not match grep's own command line.
	grep -laE "$(printf '%s' "$C" | sed 's/[].[*^$\\]/\\&/g')[/]" /proc/[0-9]*/cmdline 2>/dev/null |
		sed 's/^/cmdline /'
	:
}

# A running container process, to see that cluster-down stops it too.
ns=czz-$$
"$KUBECTL" create namespace "$ns" >/dev/null 2>&1
"$KUBECTL" -n "$ns" run lingerer --image=busybox:1.36 --restart=Never --command -- sh -c 'sleep 600' >/dev/null
check "running-container-before-down" "$KUBECTL" -n "$ns" wait --for=condition=Ready --timeout=30s pod/lingerer

down() {
	(cd "$TOP" && make -s cluster-down) > "$1" 2>&1 && return 0
	r=$?
	sed 's/^/  /' "$1"   # why, in the test log
	return $r
}
down "$T/down1.out"
check_eq "cluster-down-exit" 0 "$?"
check_eq "cluster-down-leaves-nothing" "" "$(leftovers)"
check_eq "cluster-down-api-closed" 7 "$(curl -s -o /dev/null --max-time 5 "$CLUSTER_SERVER/version"; echo $?)"
check_eq "cluster-down-etcd-data-removed" "" "$(ls -d /dev/shm/hookctl-etcd.* 2>/dev/null | while read -r d; do
	grep -qF "$d" /proc/[0-9]*/cmdline 2>/dev/null || echo "$d"; done)"
out=$(cd "$TOP" && make -s cluster-down 2>&1)
check_eq "cluster-down-twice-exit" 0 "$?"
check "cluster-down-twice-says-so" sh -c "printf '%s' '$out' | grep -q 'nothing to stop'"

# Up again from stopped (binaries cached): ready within the budget.
t0=$(date +%s%N)
(cd "$TOP" && make -s cluster-up) > "$T/up2.out" 2>&1
rc=$?
t1=$(date +%s%N)
check_eq "cluster-up-again-exit" 0 "$rc"
ms=$(( (t1 - t0) / 1000000 ))
echo "cluster-up from stopped: $ms ms ($(grep -o 'API server [^ ]* ready in [0-9]* ms' "$T/up2.out"))"
# The budget is 10 s on an idle machine.  On a loaded one it is stretched by
# load average / cores (the API server's start is CPU-bound), plus 5 s slack.
limit=$(awk -v n="$(nproc)" '{ f = $1 / n; if (f < 1) f = 1; printf "%d", 10000 * f + 5000 }' /proc/loadavg)
echo "cluster-up budget here: $limit ms (load average $(cut -d' ' -f1 /proc/loadavg), $(nproc) cores)"
check_eq "cluster-up-again-in-time" yes "$([ "$ms" -lt "$limit" ] && echo yes)"
. "$C/env"
check "cluster-up-again-works" "$KUBECTL" get node "$NODE_NAME"
down "$T/down2.out"
check_eq "cluster-down-again-exit" 0 "$?"
check_eq "cluster-down-again-leaves-nothing" "" "$(leftovers)"
