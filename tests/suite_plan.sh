#!/bin/sh
# The planner through the CLI: `plan` and `lint` on real rendered charts
# (../shared/corpus/rendered), golden outputs (tests/plan/), helm-vectors
# A10 (document splitting) and D8 (files and directories), stdin, token
# columns, exit codes.  The pure ordering vectors are in tests/unit/test_plan.c.
. "$TOP/tests/lib.sh"

G=$TOP/tests/plan
R=$SHARED/corpus/rendered
T=$TMPDIR_T/plan
mkdir -p "$T"

# steps FILE.json PHASE: the names of PHASE's steps, space-separated.
steps() {
	python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(" ".join(s["name"] for p in d["phases"] if p["name"] == sys.argv[2] for s in p["steps"]))' "$1" "$2"
}

# golden NAME DIR CMD...: runs CMD in DIR (so paths in the output are short);
# stdout must equal tests/plan/NAME, and the run must exit 0.
golden() {
	n=$1 d=$2; shift 2
	(cd "$d" && "$@") > "$T/$n" 2> "$T/$n.err"
	r=$?
	if [ $r -ne 0 ]; then
		fail "golden $n" "exit $r: $(head -n 3 "$T/$n.err" | tr '\n' '|')"
		return
	fi
	case $n in
	*.json)
		# one line on stdout, as every -o json output; the golden file is
		# the same JSON indented, for reading
		if [ "$(wc -l < "$T/$n")" -ne 1 ]; then
			fail "golden $n" "not one line: $(wc -l < "$T/$n") lines"
			return
		fi
		python3 -c 'import json, sys; print(json.dumps(json.load(open(sys.argv[1])), indent=1))' \
			"$T/$n" > "$T/$n.indented"
		check_file_eq "golden $n" "$G/$n" "$T/$n.indented" ;;
	*)
		check_file_eq "golden $n" "$G/$n" "$T/$n" ;;
	esac
}

# --- golden text and JSON outputs
golden demo-install.txt "$TOP/examples" "$HOOKCTL" plan install -f demo.yaml
golden demo-install.json "$TOP/examples" "$HOOKCTL" plan install -f demo.yaml -o json
golden demo-uninstall.txt "$TOP/examples" "$HOOKCTL" plan uninstall -f demo.yaml
golden demo-test.txt "$TOP/examples" "$HOOKCTL" plan test -f demo.yaml
golden object-order-install.txt "$R" "$HOOKCTL" plan install -f helm-testdata-object-order.yaml
golden object-order-install.json "$R" "$HOOKCTL" plan install -f helm-testdata-object-order.yaml -o json
golden testhooks-test.txt "$R" "$HOOKCTL" plan test -f helm-testdata-template-subchart-testhooks.yaml
golden testhooks-test.json "$R" "$HOOKCTL" plan test -f helm-testdata-template-subchart-testhooks.yaml -o json
golden ingress-nginx-install.txt "$R" "$HOOKCTL" plan install -f ingress-nginx-4.0.15-cloud-deploy-hooks.yaml
golden istio-1.1.7-uninstall.txt "$R" "$HOOKCTL" plan uninstall -f istio-1.1.7-knative-istio-hooks.yaml
golden cert-manager-uninstall.json "$R" "$HOOKCTL" plan uninstall -f cert-manager-v1.19.4-static-upstream-kubeflow.yaml -o json
for op in install upgrade uninstall rollback test; do
	golden "edge-$op.txt" "$G" "$HOOKCTL" plan $op -f edge.yaml
done
golden edge-upgrade.json "$G" "$HOOKCTL" plan upgrade -f edge.yaml -o json
golden edge-lint.txt "$G" "$HOOKCTL" lint -f edge.yaml

# --- every rendered chart of the corpus plans; Helm 2's crd-install is the documented error
for f in "$R"/*.yaml; do
	b=$(basename "$f")
	case $b in
	gloo-0.17.0-*|istio-1.0.3-*)
		"$HOOKCTL" plan install -f "$f" > "$T/out" 2> "$T/err"
		r=$?
		# (yaml_min refuses istio-1.0.3's duplicate "ports" key: docs/yaml.md)
		other=$(grep -v -e 'unknown hook event "crd-install" in helm.sh/hook "crd-install"' \
			-e '^hookctl: plan: [0-9]* errors*, nothing planned$' \
			-e 'istio-1.0.3-knative-istio-hooks.yaml:2900:9: error: found duplicate key "ports"' \
			"$T/err" | grep -c -v ': warning: ')
		if [ $r -eq 2 ] && [ "$other" -eq 0 ] && [ ! -s "$T/out" ]; then
			pass "corpus $b: crd-install refused, exit 2"
		else
			fail "corpus $b: crd-install refused, exit 2" "exit $r, $other other lines: $(head -n 2 "$T/err" | tr '\n' '|')"
		fi
		"$HOOKCTL" plan install -f "$f" --skip-unknown-hooks > "$T/out" 2> "$T/err"
		r=$?
		errs=$(grep ': error: ' "$T/err")
		case $r:$b:$errs in
		0:*:)
			pass "corpus $b: plans with --skip-unknown-hooks" ;;
		2:istio-1.0.3-*:*':2900:9: error: found duplicate key "ports", expected unique keys in a mapping')
			# yaml_min refuses duplicate keys (docs/yaml.md); Helm keeps the last one
			pass "corpus $b: --skip-unknown-hooks stops only at the duplicate key yaml_min refuses" ;;
		*)
			fail "corpus $b: plans with --skip-unknown-hooks" "exit $r: $(printf '%s' "$errs" | head -n 2 | tr '\n' '|')" ;;
		esac
		;;
	*)
		for op in install uninstall; do
			if "$HOOKCTL" plan $op -f "$f" -o json > "$T/out" 2> "$T/err" &&
				! grep -q ': error: ' "$T/err"; then
				pass "corpus $b: plan $op"
			else
				fail "corpus $b: plan $op" "$(head -n 3 "$T/err" | tr '\n' '|')"
			fi
		done
		;;
	esac
done
# the crd-install error names file:line:col and the token; 6 CRDs, 6 errors
n=$(cd "$R" && "$HOOKCTL" plan install -f gloo-0.17.0-knative-crd-install-pre-install-hooks.yaml 2>&1 |
	grep -c '^gloo-0.17.0-knative-crd-install-pre-install-hooks.yaml:[0-9]*:21: error: gloo/templates/100-gloo-crds.yaml: unknown hook event "crd-install"')
check_eq "crd-install: one error per CRD at line:21" 6 "$n"

# --- the sanitizer build over the same paths: no leak, no undefined behaviour
for f in "$TOP/examples/demo.yaml" "$G/edge.yaml" "$R/helm-testdata-object-order.yaml" \
	"$R/kong-golden-test2-values-migrations-hooks.yaml"; do
	check "asan plan install $(basename "$f")" "$HOOKCTL_ASAN" plan install -f "$f" -o json
	check "asan plan uninstall $(basename "$f")" "$HOOKCTL_ASAN" plan uninstall -f "$f"
	check "asan lint $(basename "$f")" "$HOOKCTL_ASAN" lint -f "$f"
done
check_exit "asan plan of crd-install: exit 2 without a leak" 2 \
	"$HOOKCTL_ASAN" plan install -f "$R/gloo-0.17.0-knative-crd-install-pre-install-hooks.yaml"

# --- stdin and directories
"$HOOKCTL" plan install -f - < "$TOP/examples/demo.yaml" > "$T/stdin.txt" 2>&1
check_file_eq "stdin plans like the file" "$G/demo-install.txt" "$T/stdin.txt"
"$HOOKCTL" plan install -f - -o json < "$TOP/examples/demo.yaml" > "$T/stdin.json" 2>&1
check_eq "stdin: the file is <stdin>, the source the template's" \
	"<stdin> demo/templates/serviceaccount.yaml" \
	"$(python3 -c 'import json, sys
s = json.load(open(sys.argv[1]))["phases"][1]["steps"][0]
print(s["file"], s["source"])' "$T/stdin.json")"

# D8 as files: byte-wise path order across templates and subcharts; partials skipped
d=$T/mychart
mkdir -p "$d/templates" "$d/charts/sub/templates"
for x in b a A; do
	n=$x; [ $x = A ] && n=upper-a   # (names are lower case: from-A would be refused)
	printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-%s\n' $n > "$d/templates/$x.yaml"
done
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-sub\n' > "$d/charts/sub/templates/z.yaml"
printf '{{ define "x" }}: [unclosed\n' > "$d/templates/_helpers.yaml"
printf 'not a manifest\n' > "$d/templates/NOTES.txt"
(cd "$T" && "$HOOKCTL" plan install -f mychart -o json > "$T/d8.json" 2> "$T/err")
check_eq "D8 directory: generic order by template path" "from-sub from-upper-a from-a from-b" \
	"$(steps "$T/d8.json" resources)"
check "D8 directory: the partial is skipped with a warning" \
	grep -q '^mychart/templates/_helpers.yaml: warning: skipped: a partial template' "$T/err"
out=$(cd "$T" && "$HOOKCTL" plan install -f mychart/templates/b.yaml -f mychart/charts/sub/templates/z.yaml 2>&1 |
	grep -o 'ConfigMap/from-[a-z]*' | tr '\n' ' ')
check_eq "D8 files: path order, not argument order" "ConfigMap/from-sub ConfigMap/from-b " "$out"

# --- A10: splitting a stream (Helm 4.2.4+ SplitManifests), one file per case
a10() {
	n=$1 want=$2; shift 2
	printf "$@" > "$T/a10-$n.yaml"
	"$HOOKCTL" plan install -f "$T/a10-$n.yaml" -o json > "$T/a10-$n.json" 2>/dev/null
	check_eq "A10 case $n: documents" "$want" "$(steps "$T/a10-$n.json" resources)"
}
a10 1 "" '\n\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: finding-nemo\n  annotations:\n    "helm.sh/hook": test\nspec:\n  containers:\n  - name: nemo-test\n    image: fake-image\n    cmd: fake-command\n'
"$HOOKCTL" plan test -f "$T/a10-1.yaml" -o json > "$T/a10-1t.json" 2>/dev/null
check_eq "A10 case 1: the test hook is in plan test" "finding-nemo" "$(steps "$T/a10-1t.json" test)"
a10 2 "" ''
a10 3 "" '  \n\n  \n'
a10 4 "cm1" -- '---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm1\n---\n  \n'
a10 5 "cm1 cm2" '\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm1\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm2\n'
a10 6 "test1 test2" 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: test1\ndata:\n  key: |+\n    hello\n\n\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: test2\n'
# Helm splits "---apiVersion: v1" (legacy leniency); YAML does not: hookctl refuses it, naming the line
printf '\n---apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm1\n' > "$T/a10-7.yaml"
check_eq "A10 case 7: a glued separator is an error at its line" \
	'a10-7.yaml:2:1: error: "---apiVersion": a document separator with text glued to it; Helm splits the document there, YAML does not: put a line break after ---' \
	"$(cd "$T" && "$HOOKCTL" lint -f a10-7.yaml)"
check_exit "A10 case 7: exit 2" 2 "$HOOKCTL" plan install -f "$T/a10-7.yaml"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm1\n---apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm2\n' > "$T/a10-8.yaml"
check_exit "A10 case 8: glued separators refused, exit 2" 2 "$HOOKCTL" plan install -f "$T/a10-8.yaml"

# --- unknown and empty events: file:line:col of the token, exit 2; --skip-unknown-hooks drops
printf 'apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: j\n  annotations:\n    helm.sh/hook: "pre-install, bogus"\n' > "$T/bogus.yaml"
check_eq "unknown event: column of the token in a quoted value" \
	'bogus.yaml:6:33: error: unknown hook event "bogus" in helm.sh/hook "pre-install, bogus" (Helm would drop the whole document silently; --skip-unknown-hooks does that)' \
	"$(cd "$T" && "$HOOKCTL" lint -f bogus.yaml)"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: e\n  annotations:\n    helm.sh/hook: ""\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: kept\n' > "$T/empty.yaml"
check_eq "empty hook value: an error at the value" \
	'empty.yaml:6:20: error: empty hook event in helm.sh/hook "" (Helm would drop the whole document silently; --skip-unknown-hooks does that)' \
	"$(cd "$T" && "$HOOKCTL" lint -f empty.yaml)"
check_exit "empty hook value: plan exits 2" 2 "$HOOKCTL" plan install -f "$T/empty.yaml"
"$HOOKCTL" plan install -f "$T/empty.yaml" --skip-unknown-hooks -o json > "$T/skip.json" 2> "$T/err"
check_eq "--skip-unknown-hooks: the document is dropped, as Helm does" "resources: kept; pre-install: " \
	"resources: $(steps "$T/skip.json" resources); pre-install: $(steps "$T/skip.json" pre-install)"
check "--skip-unknown-hooks: with a warning" grep -q 'warning: empty hook event' "$T/err"

# --- lint exit codes
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: clean\n' > "$T/clean.yaml"
check_exit "lint: clean exits 0" 0 "$HOOKCTL" lint -f "$T/clean.yaml"
check_eq "lint: clean prints nothing" "" "$("$HOOKCTL" lint -f "$T/clean.yaml" 2>&1)"
check_exit "lint: warnings only exit 0" 0 "$HOOKCTL" lint -f "$G/edge.yaml"
check_exit "lint --strict: warnings only exit 1" 1 "$HOOKCTL" lint --strict -f "$G/edge.yaml"
check_exit "lint: errors exit 2" 2 "$HOOKCTL" lint -f "$T/bogus.yaml"
check_exit "lint --strict: errors exit 2" 2 "$HOOKCTL" lint --strict -f "$T/bogus.yaml"
printf 'kind: ConfigMap\nmetadata:\n  labels: {}\n' > "$T/head.yaml"
check_eq "lint: missing apiVersion and metadata.name" \
	"head.yaml:1:1: error: no apiVersion: the Kubernetes API needs one|head.yaml:2:1: error: no metadata.name: the Kubernetes API needs one" \
	"$(cd "$T" && "$HOOKCTL" lint -f head.yaml | tr '\n' '|' | sed 's/|$//')"
printf 'a: [1\n' > "$T/yamlerr.yaml"
check_exit "plan: a YAML error exits 2" 2 "$HOOKCTL" plan install -f "$T/yamlerr.yaml"

# --- usage
check_exit "plan without an operation: usage, exit 2" 2 "$HOOKCTL" plan -f "$G/edge.yaml"
check_exit "plan with an unknown operation: exit 2" 2 "$HOOKCTL" plan delete -f "$G/edge.yaml"
check_exit "plan without -f: exit 2" 2 "$HOOKCTL" plan install
check_exit "plan refuses cluster flags" 2 "$HOOKCTL" plan install -f "$G/edge.yaml" -n prod
check_exit "plan of a missing file: exit 2" 2 "$HOOKCTL" plan install -f "$T/nope.yaml"

# --- Helm itself as the oracle for Helm's order: `helm template` output, regrouped by
# template path in reverse, must plan back into the order helm printed (paths sorted
# byte-wise, then kinds in InstallOrder, stable), for resources and for rel.Hooks.
helm=
for h in ${HELM:-} /var/cache/hookctl/*/helm; do
	[ -x "$h" ] && { helm=$h; break; }
done
if [ -z "$helm" ]; then
	echo "SKIP helm template oracle: no helm binary (tests/cluster/setup.sh puts it in /var/cache/hookctl)"
else
	for chart in "$TOP/examples/demo" "$G/chart" "$TOP"/tests/exec/charts/*; do
		[ -f "$chart/Chart.yaml" ] || continue
		c=$(basename "$chart")
		if ! "$helm" template rel "$chart" > "$T/ht-$c.yaml" 2> "$T/ht.err"; then
			fail "helm oracle $c" "helm template failed: $(head -n 2 "$T/ht.err" | tr '\n' '|')"
			continue
		fi
		python3 "$G/helm_oracle.py" "$T/ht-$c.yaml" "$T/sh-$c.yaml" "$T/want-$c.txt"
		"$HOOKCTL" plan install -f "$T/sh-$c.yaml" -o json > "$T/sh-$c.json" 2> "$T/ht.err"
		python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
r = [p for p in d["phases"] if p["name"] == "resources"][0]["steps"]
print("resources: " + " ".join(s["kind"] + "/" + s["name"] for s in r))
print("hooks: " + " ".join(h["kind"] + "/" + h["name"] for h in d["hooks"]))' "$T/sh-$c.json" > "$T/got-$c.txt"
		check_file_eq "helm oracle $c: regrouped helm template output plans in helm's order" \
			"$T/want-$c.txt" "$T/got-$c.txt"
	done
fi
