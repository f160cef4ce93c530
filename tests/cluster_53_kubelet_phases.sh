#!/bin/sh
# The simulated kubelet (tests/cluster/kubelet.py) reports pods as a real
# kubelet does (the executor's waits and bench/bench_install.sh rely on
# it), each phase change as a watch of the pods sees them: Pending first,
# Succeeded or Failed last, never backwards, the terminal status with each
# container terminated (exit code, reason); Running in between whenever a
# container was still running when the kubelet looked (a container that
# ended at once may go from Pending straight to Succeeded or Failed, as
# with a kubelet whose status manager and relist see only its end).
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
printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: slow}\nspec:\n  restartPolicy: Never\n  containers: [{name: c, image: x, command: ["sh", "-c", "sleep 0.5; exit 4"]}]\n' |
	"$KUBECTL" apply -n "$ns" -f - >/dev/null
printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: nocmd}\nspec:\n  restartPolicy: Never\n  containers: [{name: c, image: x, command: ["/no/such/command"]}]\n' |
	"$KUBECTL" apply -n "$ns" -f - >/dev/null
n=0
until [ "$(grep -c ' \(Succeeded\|Failed\)$' "$O/watch")" -ge 6 ] || [ $n -ge 100 ]; do sleep 0.2; n=$((n + 1)); done
sleep 0.5
kill $wp 2>/dev/null
wait $wp 2>/dev/null
# phases NAME: the pod's phases as the watch saw them, repeats folded
phases() { awk -v n="$1" '$1 == n && $2 != "" { if ($2 != last) printf "%s%s", (last == "" ? "" : " "), $2; last = $2 }' "$O/watch"; }
# quick NAME TERMINAL: Pending, Running if it was seen, then TERMINAL
quick() { case $(phases "$1") in "Pending $2" | "Pending Running $2") echo ok ;; *) phases "$1" ;; esac; }
# term NAME: the terminal state of the pod's first container
term() { "$KUBECTL" get pod "$1" -n "$ns" -o 'jsonpath={.status.phase} {.status.containerStatuses[0].state.terminated.exitCode} {.status.containerStatuses[0].state.terminated.reason}'; }
check_eq "kubelet: a pod exiting 0 at once goes Pending, (Running,) Succeeded" ok "$(quick ok Succeeded)"
check_eq "kubelet: a pod exiting 3 at once goes Pending, (Running,) Failed" ok "$(quick bad Failed)"
check_eq "kubelet: with an init container, Pending, (Running,) Succeeded" ok "$(quick init Succeeded)"
check_eq "kubelet: a command that does not exist (StartError) goes Pending, (Running,) Failed" ok "$(quick nocmd Failed)"
check_eq "kubelet: a container running 0.5 s is seen Running: Pending, Running, Failed" "Pending Running Failed" "$(phases slow)"
check_eq "kubelet: two containers ending apart (one runs 0.3 s): Pending, Running, Succeeded" "Pending Running Succeeded" "$(phases two)"
check_eq "kubelet: the terminal status has the container terminated, exit 0 Completed" "Succeeded 0 Completed" "$(term ok)"
check_eq "kubelet: the terminal status has the container terminated, exit 3 Error" "Failed 3 Error" "$(term bad)"
check_eq "kubelet: the same after it was seen running, exit 4 Error" "Failed 4 Error" "$(term slow)"
check_eq "kubelet: the missing command's exit code is 128 (StartError)" "Failed 128 StartError" "$(term nocmd)"
"$KUBECTL" delete namespace "$ns" --wait=false >/dev/null 2>&1
exit 0
