#!/bin/sh
# The executor's output, pinned: what each command prints (text and -o json)
# and exits with, for the demo chart, a failing hook, a timeout, a dry run and
# an uninstall with a kept resource, compared with tests/golden-exec/ after
# the run-dependent parts are normalized (times, namespaces, pod suffixes).
# Issue 13 moves every print out of the executor: these files say that no
# output changed.  HOOKCTL_GOLDEN_WRITE=1 rewrites them.
. "$TOP/tests/lib.sh"
. "${CLUSTER_DIR:-$TOP/.cluster}/env"
export KUBECONFIG
. "$TOP/tests/exec/oracle.sh"
G=$TOP/tests/golden-exec
O=$TMPDIR_T/golden55
mkdir -p "$O"
X=$TOP/tests/exec
D=$TOP/examples/demo.yaml

ns=$(fresh_ns g55) || { fail "golden" "cannot create a namespace"; exit 0; }

# normalize FILE: run-dependent values replaced
normalize() {
	sed -e "s/$ns/NS/g" \
	    -e 's/[0-9][0-9]*\.[0-9]s\b/N.Ns/g' \
	    -e 's/"seconds":[0-9.e+-]*/"seconds":0/g' \
	    -e 's/in [0-9][0-9]*\.[0-9]s/in N.Ns/g' \
	    -e 's/pod \([a-z0-9-]*\)-[a-z0-9]\{5\}\b/pod \1-XXXXX/g' \
	    -e 's/"pod":"\([a-z0-9-]*\)-[a-z0-9]\{5\}"/"pod":"\1-XXXXX"/g' "$1"
}

# scenario NAME CMD...: runs CMD, records "exit N" then stdout, then stderr
scenario() {
	n=$1; shift
	"$@" > "$O/$n.out" 2> "$O/$n.err"
	r=$?
	{ echo "exit $r"; echo "--- stdout"; normalize "$O/$n.out"; echo "--- stderr"; normalize "$O/$n.err"; } > "$O/$n"
	if [ -n "${HOOKCTL_GOLDEN_WRITE:-}" ]; then
		cp "$O/$n" "$G/$n"
		pass "golden $n: written"
	else
		check_file_eq "golden $n" "$G/$n" "$O/$n"
	fi
}

for o in text json; do
	scenario demo-install-$o "$HOOKCTL" install demo -f "$D" -n "$ns" -o $o
	scenario demo-test-$o "$HOOKCTL" test demo -f "$D" -n "$ns" -o $o --logs
	scenario demo-uninstall-$o "$HOOKCTL" uninstall demo -f "$D" -n "$ns" -o $o
	scenario fail-$o "$HOOKCTL" run pre-install -f "$X/fail.yaml" -n "$ns" -o $o
	scenario timeout-$o "$HOOKCTL" run pre-upgrade -f "$X/slow.yaml" -n "$ns" -o $o --timeout 1s
	scenario dry-install-$o "$HOOKCTL" install demo -f "$D" -n "$ns" -o $o --dry-run
	scenario dry-uninstall-$o "$HOOKCTL" uninstall demo -f "$D" -n "$ns" -o $o --dry-run
	scenario kept-install-$o "$HOOKCTL" install rel -f "$X/release.yaml" -n "$ns" -o $o
	scenario kept-uninstall-$o "$HOOKCTL" uninstall rel -f "$X/release.yaml" -n "$ns" -o $o
	"$KUBECTL" delete cm r-kept -n "$ns" --ignore-not-found >/dev/null 2>&1
	"$KUBECTL" delete job slow -n "$ns" --ignore-not-found >/dev/null 2>&1
done
"$KUBECTL" delete namespace "$ns" --wait=false >/dev/null 2>&1
