#!/bin/sh
# Helm is the oracle: the same chart installed, upgraded, tested and
# uninstalled by helm and by hookctl, each in a fresh namespace of the same
# control plane; the hook and resource writes each made (from the API
# server's audit log) must be the same, in the same order.  The deliberate
# differences are in docs/executor.md; none of them shows in these writes.
. "$TOP/tests/lib.sh"
. "${CLUSTER_DIR:-$TOP/.cluster}/env"
export KUBECONFIG AUDIT_LOG AUDIT_SEQ
. "$TOP/tests/exec/oracle.sh"
O=$TMPDIR_T/oracle
mkdir -p "$O"
C=$TOP/tests/exec/charts

if [ -z "${HELM:-}" ] || [ ! -x "$HELM" ]; then
	fail "oracle" "no helm binary in the cluster env (tests/cluster/setup.sh)"
	exit 0
fi

# oracle NAME H K MARK: compares the writes of helm in H and hookctl in K.
oracle() {
	wait_audit
	seq_of helm "$2" "$4" | normalize > "$O/$1.helm"
	seq_of hookctl "$3" "$4" | normalize > "$O/$1.hookctl"
	if [ ! -s "$O/$1.helm" ] && [ ! -s "$O/$1.hookctl" ]; then
		pass "oracle $1: neither made a write"
		return
	fi
	check_file_eq "oracle $1: hookctl's writes are helm's" "$O/$1.helm" "$O/$1.hookctl"
}

# same_rc NAME HELM_RC HOOKCTL_RC: both succeeded or both failed.
same_rc() {
	a=0; [ "$2" -ne 0 ] && a=1
	b=0; [ "$3" -ne 0 ] && b=1
	check_eq "oracle $1: same outcome (helm exit $2, hookctl exit $3)" "$a" "$b"
}

# 1. The example chart: install, upgrade, test, uninstall.
V2=$O/v2-values.yaml
cat > "$V2" <<'VALUES'
replicas: 2
image: busybox:1.37
migration:
  script: "echo migrating to v2; echo 1 migration applied"
VALUES
H=$(fresh_ns oh) && K=$(fresh_ns ok) || { fail "oracle demo" "namespaces"; exit 0; }
"$HELM" template demo "$TOP/examples/demo" -n "$K" > "$O/demo.yaml"
check_file_eq "oracle demo: examples/demo.yaml is helm template's render" "$TOP/examples/demo.yaml" "$O/demo.yaml"
"$HELM" template demo "$TOP/examples/demo" -f "$V2" > "$O/demo-v2.yaml"
check_file_eq "oracle demo: examples/demo-v2.yaml is helm template's render" "$TOP/examples/demo-v2.yaml" "$O/demo-v2.yaml"
for step in install upgrade test uninstall; do
	m=$(audit_mark)
	f=$TOP/examples/demo.yaml; [ $step = install ] || f=$TOP/examples/demo-v2.yaml
	"$HOOKCTL" $step demo -f "$f" -n "$K" > "$O/demo-$step.hookctl.out" 2>&1 &
	kp=$!
	case $step in
	install) "$HELM" install demo "$TOP/examples/demo" -n "$H" > "$O/demo-$step.helm.out" 2>&1 ;;
	upgrade) "$HELM" upgrade demo "$TOP/examples/demo" -n "$H" -f "$V2" > "$O/demo-$step.helm.out" 2>&1 ;;
	*) "$HELM" $step demo -n "$H" > "$O/demo-$step.helm.out" 2>&1 ;;
	esac
	hr=$?
	wait $kp
	kr=$?
	check_eq "oracle demo $step: helm succeeds" 0 $hr
	check_eq "oracle demo $step: hookctl succeeds" 0 $kr
	oracle "demo-$step" "$H" "$K" "$m"
done

# 2. Edge cases: equal weights, multi-event and duplicate events, Pod and
#    non-Job hooks, every delete policy, keep policy; install, test, uninstall.
H=$(fresh_ns eh) && K=$(fresh_ns ek) || { fail "oracle edge" "namespaces"; exit 0; }
"$HELM" template edge "$C/edge" -n "$K" > "$O/edge.yaml"
for step in install test uninstall; do
	m=$(audit_mark)
	"$HOOKCTL" $step edge -f "$O/edge.yaml" -n "$K" > "$O/edge-$step.hookctl.out" 2>&1 &
	kp=$!
	if [ $step = install ]; then
		"$HELM" install edge "$C/edge" -n "$H" > "$O/edge-$step.helm.out" 2>&1
	else
		"$HELM" $step edge -n "$H" > "$O/edge-$step.helm.out" 2>&1
	fi
	hr=$?
	wait $kp
	kr=$?
	same_rc "edge $step" $hr $kr
	oracle "edge-$step" "$H" "$K" "$m"
done

# 3. A failing pre-install hook: helm's cleanup, hookctl's cleanup.
H=$(fresh_ns fh) && K=$(fresh_ns fk) || { fail "oracle fail" "namespaces"; exit 0; }
"$HELM" template fail "$C/fail" -n "$K" > "$O/fail.yaml"
m=$(audit_mark)
"$HOOKCTL" install fail -f "$O/fail.yaml" -n "$K" > "$O/fail.hookctl.out" 2>&1 &
kp=$!
"$HELM" install fail "$C/fail" -n "$H" > "$O/fail.helm.out" 2>&1; hr=$?
wait $kp; kr=$?
check_eq "oracle fail: helm fails" 1 $hr
check_eq "oracle fail: hookctl exits 1" 1 $kr
oracle fail "$H" "$K" "$m"

# 4. A hook that outlives --timeout.
H=$(fresh_ns sh) && K=$(fresh_ns sk) || { fail "oracle timeout" "namespaces"; exit 0; }
"$HELM" template slow "$C/slow" -n "$K" > "$O/slow.yaml"
m=$(audit_mark)
"$HOOKCTL" install slow -f "$O/slow.yaml" -n "$K" --timeout 3s > "$O/slow.hookctl.out" 2>&1 &
kp=$!
"$HELM" install slow "$C/slow" -n "$H" --timeout 3s > "$O/slow.helm.out" 2>&1; hr=$?
wait $kp; kr=$?
check_eq "oracle timeout: helm fails" 1 $hr
check_eq "oracle timeout: hookctl exits 4" 4 $kr
oracle timeout "$H" "$K" "$m"

# 5. helm test --filter: include by name (two hooks of one name), exclude
#    (both spellings), the exclusion before the inclusion, no filter.
H=$(fresh_ns th) && K=$(fresh_ns tk) || { fail "oracle filter" "namespaces"; exit 0; }
"$HELM" template f "$C/filter" -n "$K" > "$O/filter.yaml"
"$HOOKCTL" install f -f "$O/filter.yaml" -n "$K" > "$O/filter-install.hookctl.out" 2>&1 &
kp=$!
"$HELM" install f "$C/filter" -n "$H" > "$O/filter-install.helm.out" 2>&1; hr=$?
wait $kp; kr=$?
check_eq "oracle filter: both installed" "0 0" "$hr $kr"
i=0
for fl in "--filter name=t-a,name=t-same" "--filter !name=t-a --filter !name=t-cm" \
	"--filter name=t-b,name=t-cm --filter !name=t-b" "--filter ! name=t-same"; do
	i=$((i + 1))
	m=$(audit_mark)
	# $fl unquoted: one argument per word, except for "! name=", which has a space
	case $fl in
	*"! name="*)
		"$HOOKCTL" test f -f "$O/filter.yaml" -n "$K" --filter "! name=t-same" > "$O/filter-$i.hookctl.out" 2>&1 &
		kp=$!
		"$HELM" test f -n "$H" --filter "! name=t-same" > "$O/filter-$i.helm.out" 2>&1; hr=$? ;;
	*)
		"$HOOKCTL" test f -f "$O/filter.yaml" -n "$K" $fl > "$O/filter-$i.hookctl.out" 2>&1 &
		kp=$!
		"$HELM" test f -n "$H" $fl > "$O/filter-$i.helm.out" 2>&1; hr=$? ;;
	esac
	wait $kp; kr=$?
	check_eq "oracle test $fl: both succeed" "0 0" "$hr $kr"
	oracle "filter-$i" "$H" "$K" "$m"
done
check "oracle filter: hookctl names what --filter left out" \
	grep -q '^  left out by --filter: ConfigMap/t-cm, Pod/t-b$' "$O/filter-1.hookctl.out"

# 6. Rendered charts from ../shared/corpus/rendered (hook-bearing), made into
#    charts as they are; hookctl gets helm template's render of that chart.
for r in helm-testdata-template-subchart-testhooks otel-operator-tests-test-service-connection-hooks \
	helm-testdata-object-order; do
	src=$SHARED/corpus/rendered/$r.yaml
	[ -f "$src" ] || { fail "oracle corpus $r" "missing $src"; continue; }
	ch=$O/chart-$r
	mkdir -p "$ch/templates"
	printf 'apiVersion: v2\nname: c\nversion: 0.1.0\n' > "$ch/Chart.yaml"
	# the release namespace for every object (the renders name their own)
	sed '/^  namespace: /d' "$src" > "$ch/templates/all.yaml"
	H=$(fresh_ns ch) && K=$(fresh_ns ck) || { fail "oracle corpus $r" "namespaces"; continue; }
	"$HELM" template c "$ch" -n "$K" > "$O/$r.yaml"
	for step in install test uninstall; do
		m=$(audit_mark)
		"$HOOKCTL" $step c -f "$O/$r.yaml" -n "$K" --timeout 8s > "$O/$r-$step.hookctl.out" 2>&1 &
		kp=$!
		if [ $step = install ]; then
			"$HELM" install c "$ch" -n "$H" --timeout 8s > "$O/$r-$step.helm.out" 2>&1
		else
			"$HELM" $step c -n "$H" --timeout 8s > "$O/$r-$step.helm.out" 2>&1
		fi
		hr=$?
		wait $kp
		kr=$?
		same_rc "corpus $r $step" $hr $kr
		oracle "corpus-$r-$step" "$H" "$K" "$m"
	done
done
exit 0
