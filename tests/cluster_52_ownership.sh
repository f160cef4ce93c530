#!/bin/sh
# uninstall checks ownership before deleting, as Helm 4 (main) does
# (verifyOwnershipBeforeDelete, pkg/action/validate.go): one GET per
# resource before the first DELETE; a resource owned by another release,
# or by none (no Helm metadata), is not deleted, with a warning naming its
# owner, and listed; a missing one gets no DELETE; kept ones are not read.
# (The oracle's helm, v4.1.4, predates the check: this suite checks the
# rules of Helm's source, not a run of helm.)
. "$TOP/tests/lib.sh"
. "${CLUSTER_DIR:-$TOP/.cluster}/env"
export KUBECONFIG AUDIT_LOG AUDIT_SEQ
. "$TOP/tests/exec/oracle.sh"
D=$TOP/tests/exec
O=$TMPDIR_T/exec52
mkdir -p "$O"
K=$HOOKCTL

ns=$(fresh_ns x52) || { fail "ownership" "cannot create a namespace"; exit 0; }
cm() { "$KUBECTL" get cm "$1" -n "$ns" -o 'jsonpath={.metadata.name}' 2>/dev/null; }

# prepare: install, then give o-other to release "other", make o-bare a
# plain object without Helm's metadata, delete o-gone.
prepare() {
	"$KUBECTL" delete cm o-mine o-other o-bare o-gone o-keep -n "$ns" --ignore-not-found >/dev/null 2>&1
	$K install rel -f "$D/own.yaml" -n "$ns" > "$O/install.out" 2>&1 || return 1
	"$KUBECTL" annotate --overwrite cm o-other -n "$ns" meta.helm.sh/release-name=other >/dev/null &&
	"$KUBECTL" delete cm o-bare o-gone -n "$ns" >/dev/null &&
	"$KUBECTL" create cm o-bare -n "$ns" --from-literal=a=1 >/dev/null
}

# 1. --dry-run: the GETs it would send (not the kept one), nothing sent.
prepare || fail "ownership: prepare" "$(tail -n 3 "$O/install.out")"
m=$(audit_mark)
$K uninstall rel -f "$D/own.yaml" -n "$ns" --dry-run > "$O/dry.out" 2>&1
check_eq "dry run: exit 0" 0 $?
check_eq "dry run: one GET per resource but the kept one, before the DELETEs" \
	"GET o-mine|GET o-other|GET o-bare|GET o-gone|DELETE o-mine|DELETE o-other|DELETE o-bare|DELETE o-gone" \
	"$(sed -n 's|^    \([A-Z]*\) /api/v1/namespaces/[^/]*/configmaps/\([a-z-]*\).*|\1 \2|p' "$O/dry.out" | paste -sd'|')"
check "dry run: the GET says why" grep -q "# ownership check: deleted only if owned by release rel in namespace $ns" "$O/dry.out"
wait_audit
check_eq "dry run: no request in the audit log" "" \
	"$("$AUDIT_SEQ" --after "$m" -a hookctl -u admin -n "$ns" --all "$AUDIT_LOG")"

# 2. The uninstall.
m=$(audit_mark)
$K uninstall rel -f "$D/own.yaml" -n "$ns" > "$O/un.out" 2> "$O/un.err"
check_eq "uninstall: exit 0 (skipping is not a failure, as Helm)" 0 $?
check_eq "uninstall: its own resource is deleted" "" "$(cm o-mine)"
check_eq "uninstall: the one owned by another release is not" "o-other" "$(cm o-other)"
check_eq "uninstall: the one no release owns is not" "o-bare" "$(cm o-bare)"
check_eq "uninstall: the kept one is not" "o-keep" "$(cm o-keep)"
check "uninstall: a warning naming the other release" grep -q \
	"^hookctl: warning: resources ConfigMap/o-other not deleted: owned by release other in namespace $ns$" "$O/un.err"
check "uninstall: a warning saying no release owns o-bare" grep -q \
	"^hookctl: warning: resources ConfigMap/o-bare not deleted: no meta.helm.sh/release-name annotation: no Helm release owns it" "$O/un.err"
check "uninstall: the step lines" sh -c "grep -q '^resources \[[0-9]/5\] ConfigMap/o-other \.\.\. not deleted .*(not owned by this release: owned by release other' '$O/un.out' &&
	grep -q '^resources \[[0-9]/5\] ConfigMap/o-gone \.\.\. not found' '$O/un.out'"
check "uninstall: Helm's list of what was not deleted" sh -c "grep -q '^2 resource(s) were not deleted because they are not owned by this release' '$O/un.out' &&
	grep -q '^\[ConfigMap\] o-bare: no meta.helm.sh' '$O/un.out'"
check "uninstall: the summary lists them" grep -q \
	"^  not deleted, not owned by this release: ConfigMap/o-other (owned by release other in namespace $ns), ConfigMap/o-bare (no meta" "$O/un.out"
wait_audit
# (the first GET is the check, before any hook, that the release is there at all)
check_eq "uninstall: every GET before the first DELETE, one DELETE (the owned one; none for the missing one)" \
	"get o-mine 200|get o-mine 200|get o-other 200|get o-bare 200|get o-gone 404|delete o-mine 200" \
	"$("$AUDIT_SEQ" --after "$m" -a hookctl -u admin -n "$ns" --all -c "$AUDIT_LOG" | awk '$2 == "ConfigMap" { print $1, $4, $5 }' | paste -sd'|')"

# 3. -o json: the summary's not_owned.
prepare || fail "ownership: prepare again" "$(tail -n 3 "$O/install.out")"
$K uninstall rel -f "$D/own.yaml" -n "$ns" -o json > "$O/json.out" 2>&1
check_eq "json: exit 0" 0 $?
check_eq "json: the summary's not_owned" \
	"ConfigMap/o-other (owned by release other in namespace $ns), ConfigMap/o-bare (no meta.helm.sh/release-name annotation: no Helm release owns it; no label app.kubernetes.io/managed-by: Helm)" \
	"$(/usr/bin/python3 -c 'import json, sys
print(", ".join("%s/%s (%s)" % (o["kind"], o["name"], o["why"]) for o in [e for e in map(json.loads, open(sys.argv[1])) if e["event"] == "summary"][0].get("not_owned")))' "$O/json.out")"
check "json: a warning event per skipped resource" sh -c "[ \$(grep -c '\"event\":\"warning\".*not deleted' '$O/json.out') -eq 2 ]"

# 4. The sanitizer build through the same path.
if [ -x "${HOOKCTL_ASAN:-}" ]; then
	prepare || fail "ownership: prepare for asan" "$(tail -n 3 "$O/install.out")"
	"$HOOKCTL_ASAN" uninstall rel -f "$D/own.yaml" -n "$ns" > "$O/asan.out" 2>&1
	if grep -q 'AddressSanitizer\|LeakSanitizer\|runtime error' "$O/asan.out"; then
		fail "sanitizers: uninstall with the ownership check" "$(grep -m 3 'Sanitizer\|runtime error' "$O/asan.out" | tr '\n' '|')"
	else
		pass "sanitizers: uninstall with the ownership check"
	fi
else
	echo "SKIP sanitizers: no $HOOKCTL_ASAN (make asan)"
fi

"$KUBECTL" delete namespace "$ns" --wait=false >/dev/null 2>&1
exit 0
