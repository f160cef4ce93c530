#!/bin/sh
# suite_safety.sh: issue 20's offline checks.  Values that would leave their
# request path segment are refused before anything is sent; a flag value
# that looks like a flag is a usage error; dry runs never show Secret data.
. "$TOP/tests/lib.sh"
set -u
T=$TMPDIR_T/safety
mkdir -p "$T"
S=$TOP/tests/safety
# a kubeconfig that points nowhere: any request would fail with exit 3, so
# exit 2 proves that the input was refused before the first request
cat > "$T/kc" <<KC
apiVersion: v1
kind: Config
current-context: c
contexts: [{name: c, context: {cluster: c, user: u}}]
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: t}}]
KC

# --- injection through names, apiVersion, kind, namespace: refused with file:line:col
(cd "$TOP/tests" && "$HOOKCTL" lint -f safety/inject.yaml) > "$T/lint" 2>&1
check_eq "lint refuses names that leave their path segment: exit 2" 2 $?
check_file_eq "lint names each bad value with file:line:col, control bytes escaped" \
	"$S/inject-lint.txt" "$T/lint"
for op in "plan install" "install demo" "upgrade demo" "uninstall demo" "run pre-install" \
	"test demo"; do
	k="--kubeconfig $T/kc"
	[ "$op" = "plan install" ] && k=
	# shellcheck disable=SC2086
	"$HOOKCTL" $op -f "$S/inject.yaml" $k > "$T/out" 2> "$T/err"
	r=$?
	if [ $r -eq 2 ] && grep -q 'inject.yaml:6:9: error: metadata.name "x HTTP/1.1\\x0d\\x0aHost' "$T/err" &&
		! grep -q "$(printf '\r')" "$T/err"; then
		pass "$op: injected name refused before any request (exit 2)"
	else
		fail "$op: injected name refused before any request (exit 2)" "exit $r: $(head -n 2 "$T/err" | tr '\n' '|')"
	fi
done

# --- flags: a value that looks like a flag, release and namespace rules
D=$TOP/examples/demo.yaml
check_exit "-n --dry-run is a usage error, not namespace --dry-run" 2 \
	"$HOOKCTL" install demo -n --dry-run -f "$D" --kubeconfig "$T/kc"
"$HOOKCTL" install demo -n --dry-run -f "$D" --kubeconfig "$T/kc" > /dev/null 2> "$T/err"
check "-n --dry-run: the message names the flag" grep -q -- '-n expects a value, not the flag "--dry-run"' "$T/err"
for f in --kubeconfig --kube-context --timeout -o -f --filter --namespace; do
	check_exit "$f -x: usage error" 2 "$HOOKCTL" test demo -f "$D" $f -x
done
check_exit "-f - is stdin, not a flag" 0 sh -c "\"$HOOKCTL\" plan install -f - < \"$D\""
check_exit "release name with upper case: exit 2" 2 "$HOOKCTL" install Demo -f "$D" --dry-run
check_exit "release name of 54 characters: exit 2" 2 "$HOOKCTL" install \
	"$(printf 'a%.0s' $(seq 1 54))" -f "$D" --dry-run
check_exit "release name of 53 characters: dry run works" 0 "$HOOKCTL" install \
	"$(printf 'a%.0s' $(seq 1 53))" -f "$D" --dry-run
check_exit "-n ../kube-system: exit 2" 2 "$HOOKCTL" install demo -n ../kube-system -f "$D" --dry-run
sed 's/^users:.*/&\n/; s/user: u}}\]/user: u, namespace: "..\/x"}}]/' "$T/kc" > "$T/kc-ns"
check_exit "a kubeconfig namespace that is not a DNS label: exit 2" 2 \
	"$HOOKCTL" install demo -f "$D" --kubeconfig "$T/kc-ns"

# --- --dry-run hides Secret data (hooks and resources, text and JSON)
for o in text json; do
	"$HOOKCTL" install demo -f "$S/secret.yaml" --dry-run -o $o > "$T/out" 2>&1
	r=$?
	n=$(grep -c -e hunter2 -e aHVudGVyMg== "$T/out")
	k=$(grep -o '"\(password\|token\)":"REDACTED"' "$T/out" | wc -l)
	if [ $r -eq 0 ] && [ "$n" -eq 0 ] && [ "$k" -eq 3 ]; then
		pass "--dry-run -o $o: Secret data and stringData values are REDACTED, keys kept"
	else
		fail "--dry-run -o $o: Secret data and stringData values are REDACTED, keys kept" \
			"exit $r, $n secret values shown, $k redacted"
	fi
done
"$HOOKCTL" install demo -f "$S/secret.yaml" --dry-run --show-secrets > "$T/out" 2>&1
check_eq "--dry-run --show-secrets shows them" 3 "$(grep -o -e hunter2 -e aHVudGVyMg== "$T/out" | wc -l)"

# --- -o json: every line of every offline command is an event of docs/events.md
E=$T/events
mkdir -p "$E"
"$HOOKCTL" install demo -f "$S/secret.yaml" --dry-run -o json > "$E/dry-secret" 2>/dev/null
"$HOOKCTL" install demo -f "$TOP/examples/demo.yaml" --dry-run -o json > "$E/dry-install" 2>/dev/null
"$HOOKCTL" uninstall demo -f "$TOP/examples/demo.yaml" --dry-run -o json > "$E/dry-uninstall" 2>/dev/null
"$HOOKCTL" lint -f "$S/inject.yaml" -o json > "$E/lint-bad" 2>/dev/null
"$HOOKCTL" lint -f "$TOP/examples/demo.yaml" -o json > "$E/lint-ok" 2>/dev/null
"$HOOKCTL" install demo -f "$S/inject.yaml" -o json --kubeconfig "$T/kc" > "$E/invalid" 2>/dev/null
"$HOOKCTL" install demo -f "$TOP/examples/demo.yaml" -o json --kubeconfig /nonexistent > "$E/noconfig" 2>/dev/null
check "-o json: every event matches tests/events/schema.json" \
	python3 "$TOP/tests/events/check.py" "$TOP/tests/events/schema.json" "$E"/*
for f in invalid noconfig lint-bad; do
	check_eq "-o json $f: the last line is the summary, exit 2" "summary 2" \
		"$(tail -n 1 "$E/$f" | python3 -c 'import json, sys; e = json.load(sys.stdin); print(e["event"], e["exit"])')"
done
check_eq "-o json: plan is one line" 1 "$("$HOOKCTL" plan install -f "$TOP/examples/demo.yaml" -o json | wc -l)"

# --- smaller: COMMAND --help lists the flags; a chart directory is not manifests
"$HOOKCTL" install --help > "$T/help" 2>&1
check_eq "install --help: exit 0" 0 $?
check "install --help lists the command's flags" sh -c "grep -q -- '--kube-context NAME' '$T/help' &&
	grep -q -- '--wait ' '$T/help' && grep -q -- '--show-secrets' '$T/help'"
"$HOOKCTL" test --help > "$T/help" 2>&1
check "test --help lists --logs and --filter" sh -c "grep -q -- '--logs' '$T/help' && grep -q -- '--filter' '$T/help'"
"$HOOKCTL" plan install -f "$TOP/examples/demo" > "$T/out" 2> "$T/err"
check_eq "-f on a chart directory: exit 2" 2 $?
check "-f on a chart directory: suggests helm template" grep -q \
	'is a Helm chart (it has Chart.yaml), not rendered manifests: render it first, e.g. helm template' "$T/err"
check_eq "plan uninstall counts only the hooks it runs" "plan uninstall: 1 hook, 4 resources" \
	"$("$HOOKCTL" plan uninstall -f "$TOP/examples/demo.yaml" | head -n 1)"
"$HOOKCTL" install demo -f "$TOP/examples/demo.yaml" --kubeconfig "$T/kc" --kube-context nope > /dev/null 2> "$T/err"
check_eq "unknown --kube-context: exit 2" 2 $?
check "unknown --kube-context: lists the known ones" grep -q 'context "nope" not found (known: "c")' "$T/err"
