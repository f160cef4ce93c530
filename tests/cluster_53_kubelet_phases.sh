#!/bin/sh
# The simulated kubelet (tests/cluster/kubelet.py) reports every pod through
# Pending, then Running, then Succeeded or Failed, however short its
# containers are (the executor's waits and bench/bench_install.sh rely on
# it): each phase change, as a watch of the pods sees them.
. "$TOP/tests/lib.sh"
. "${CLUSTER_DIR:-$TOP/.cluster}/env"
export KUBECONFIG
. "$TOP/tests/exec/oracle.sh"
O=$TMPDIR_T/exec53
mkdir -p "$O"

ns=$(fresh_ns x53) || { fail "kubelet phases" "cannot create a namespace"; exit 0; }
"$KUBECTL" get pods -n "$ns" -w -o 'jsonpath={.metadata.name} {.status.phase}{"\n"}' > "$O/watch" 2>&1 &
wp=$!
sleep 1
pod() { # NAME EXIT [INIT]: a pod of one container (and an init container) that exits EXIT at once
	{
		printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: %s}\nspec:\n  restartPolicy: Never\n' "$1"
		[ -n "${3:-}" ] && printf '  initContainers: [{name: i, image: x, command: ["sh", "-c", "echo init"]}]\n'
		printf '  containers: [{name: c, image: x, command: ["sh", "-c", "echo %s; exit %s"]}]\n' "$1" "$2"
	} | "$KUBECTL" apply -n "$ns" -f - >/dev/null
}
pod ok 0
pod bad 3
pod init 0 init
printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: two}\nspec:\n  restartPolicy: Never\n  containers:\n  - {name: a, image: x, command: ["sh", "-c", "echo a"]}\n  - {name: b, image: x, command: ["sh", "-c", "sleep 0.3; echo b"]}\n' |
	"$KUBECTL" apply -n "$ns" -f - >/dev/null
printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: nocmd}\nspec:\n  restartPolicy: Never\n  containers: [{name: c, image: x, command: ["/no/such/command"]}]\n' |
	"$KUBECTL" apply -n "$ns" -f - >/dev/null
n=0
until [ "$(grep -c ' \(Succeeded\|Failed\)$' "$O/watch")" -ge 5 ] || [ $n -ge 100 ]; do sleep 0.2; n=$((n + 1)); done
sleep 0.5
kill $wp 2>/dev/null
wait $wp 2>/dev/null
# phases NAME: the pod's phases as the watch saw them, repeats folded
phases() { awk -v n="$1" '$1 == n && $2 != "" { if ($2 != last) printf "%s%s", (last == "" ? "" : " "), $2; last = $2 }' "$O/watch"; }
check_eq "kubelet: a pod exiting 0 at once goes Pending, Running, Succeeded" "Pending Running Succeeded" "$(phases ok)"
check_eq "kubelet: a pod exiting 3 at once goes Pending, Running, Failed" "Pending Running Failed" "$(phases bad)"
check_eq "kubelet: with an init container, the same" "Pending Running Succeeded" "$(phases init)"
check_eq "kubelet: two containers ending apart, the same" "Pending Running Succeeded" "$(phases two)"
check_eq "kubelet: a command that does not exist (StartError) goes through Running to Failed" "Pending Running Failed" "$(phases nocmd)"
check_eq "kubelet: the missing command's exit code is 128 (StartError)" "128 StartError" \
	"$("$KUBECTL" get pod nocmd -n "$ns" -o 'jsonpath={.status.containerStatuses[0].state.terminated.exitCode} {.status.containerStatuses[0].state.terminated.reason}')"
"$KUBECTL" delete namespace "$ns" --wait=false >/dev/null 2>&1
exit 0
