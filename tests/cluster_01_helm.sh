#!/bin/sh
# cluster_01_helm.sh: the real helm (v4.1.4, from the npm package) against the
# local control plane: install, test, upgrade and uninstall of examples/demo
# run their hooks (the simulated kubelet runs the hook Jobs and Pods), a
# failing pre-install hook fails the install, and audit-seq turns the audit
# log into helm's sequence of hook operations.
TOP=${TOP:-$(cd "$(dirname "$0")/.." && pwd)}
. "$TOP/tests/lib.sh"
CLUSTER_DIR=${CLUSTER_DIR:-$TOP/.cluster}
. "$CLUSTER_DIR/env"
T=${TMPDIR_T:-$(mktemp -d)}/c01
mkdir -p "$T"
K=$KUBECTL
ns=c01-$$
H() { "$HELM" --kubeconfig "$KUBECONFIG" "$@"; }

# The chart, as helm would install it.  Kubernetes 1.20's server-side apply
# (helm 4 applies server-side) refuses a Service port without "protocol";
# a copy gets "protocol: TCP" if the example lacks it.
chart=$T/demo
rm -rf "$chart"
cp -r "$TOP/examples/demo" "$chart"
svc=$chart/templates/service.yaml
if [ -f "$svc" ] && ! grep -q 'protocol:' "$svc"; then
	echo "note: examples/demo/templates/service.yaml has no 'protocol: TCP' (1.20 SSA needs it); patched in a copy"
	sed -i 's/^\( *\)targetPort: \(.*\)$/\1targetPort: \2\n\1protocol: TCP/' "$svc"
fi

"$K" create namespace "$ns" >/dev/null
mark=$("$AUDIT_SEQ" --mark)
# hooks NAMES...: audit-seq of helm's requests since $mark, hook objects only.
hooks() {
	"$AUDIT_SEQ" --after "$mark" -n "$ns" -a helm -x Secret |
		grep -E " $ns demo-(migration|db-migrate|smoke|backup|test-connection)\$"
}

# install: pre-install ConfigMap (weight -10), Job (weight -5), post-install Pod.
H install demo "$chart" -n "$ns" > "$T/install.out" 2>&1
check_eq "helm-install-exit" 0 "$?"
check "helm-install-deployed" grep -q '^STATUS: deployed' "$T/install.out"
check_eq "helm-status-deployed" deployed \
	"$(H status demo -n "$ns" -o json | sed -n 's/.*"status":"\([a-z-]*\)".*/\1/p' | head -n 1)"
hooks > "$T/install.seq"
cat > "$T/install.want" <<EOF
delete ConfigMap $ns demo-migration
patch ConfigMap $ns demo-migration
delete Job $ns demo-db-migrate
patch Job $ns demo-db-migrate
delete Job $ns demo-db-migrate
delete Pod $ns demo-smoke
patch Pod $ns demo-smoke
delete Pod $ns demo-smoke
EOF
check_file_eq "helm-install-hook-sequence" "$T/install.want" "$T/install.seq"
# The release's own objects, besides the hooks.
"$AUDIT_SEQ" --after "$mark" -n "$ns" -a helm -x Secret | grep -v -E ' demo-(migration|db-migrate|smoke)$' |
	sort > "$T/release.seq"
printf '%s\n' "patch ConfigMap $ns demo-config" "patch Deployment $ns demo-web" \
	"patch Service $ns demo-web" "patch ServiceAccount $ns demo" > "$T/release.want"
check_file_eq "helm-install-release-objects" "$T/release.want" "$T/release.seq"
# The hook Job really ran and succeeded: the kubelet reported it, and it was deleted (hook-succeeded).
check "helm-install-hook-pod-succeeded" sh -c "grep '\"verb\":\"patch\"' '$AUDIT_LOG' |
	grep 'namespaces/$ns/pods/demo-db-migrate-' | grep -q 'hookctl-sim-kubelet'"
check_eq "helm-install-hooks-deleted" "" "$("$K" -n "$ns" get job,pod -o name 2>/dev/null | grep -E 'db-migrate|smoke')"
check_eq "helm-install-migration-cm-kept" "configmap/demo-migration" \
	"$("$K" -n "$ns" get configmap demo-migration -o name 2>&1)"

# helm test: the test Pod runs and succeeds.
mark=$("$AUDIT_SEQ" --mark)
H test demo -n "$ns" > "$T/test.out" 2>&1
check_eq "helm-test-exit" 0 "$?"
check "helm-test-succeeded" grep -q 'Phase: *Succeeded' "$T/test.out"
check_eq "helm-test-log" "connecting to demo-web:80
connected" "$("$K" -n "$ns" logs demo-test-connection 2>&1)"

# upgrade: pre-upgrade ConfigMap and Job, post-upgrade Pod.
mark=$("$AUDIT_SEQ" --mark)
H upgrade demo "$chart" -n "$ns" --set replicas=2 > "$T/upgrade.out" 2>&1
check_eq "helm-upgrade-exit" 0 "$?"
check "helm-upgrade-deployed" grep -q '^STATUS: deployed' "$T/upgrade.out"
check "helm-upgrade-revision-2" grep -q '^REVISION: 2' "$T/upgrade.out"
hooks > "$T/upgrade.seq"
check_file_eq "helm-upgrade-hook-sequence" "$T/install.want" "$T/upgrade.seq"

# uninstall: pre-delete backup Job, created, waited for, deleted.
mark=$("$AUDIT_SEQ" --mark)
H uninstall demo -n "$ns" > "$T/uninstall.out" 2>&1
check_eq "helm-uninstall-exit" 0 "$?"
hooks > "$T/uninstall.seq"
printf '%s\n' "patch Job $ns demo-backup" "delete Job $ns demo-backup" > "$T/uninstall.want"
check_file_eq "helm-uninstall-hook-sequence" "$T/uninstall.want" "$T/uninstall.seq"
check_eq "helm-uninstall-gone" "" "$("$K" -n "$ns" get deploy,svc,sa,cm -o name 2>/dev/null |
	grep -E 'demo-(web|config)|serviceaccount/demo$')"

# A failing pre-install hook fails the install; its Job and log stay.
H install bad "$chart" -n "$ns" --set migration.script='echo failing migration; exit 1' \
	--timeout 60s > "$T/bad.out" 2>&1
check_eq "helm-install-failing-hook-exit" 1 "$?"
check "helm-install-failing-hook-message" grep -q 'pre-install' "$T/bad.out"
check_eq "helm-install-failing-hook-status" failed \
	"$(H status bad -n "$ns" -o json | sed -n 's/.*"status":"\([a-z-]*\)".*/\1/p' | head -n 1)"
check_eq "helm-install-failing-hook-job-failed" BackoffLimitExceeded \
	"$("$K" -n "$ns" get job bad-db-migrate -o 'jsonpath={.status.conditions[?(@.type=="Failed")].reason}')"
check_eq "helm-install-failing-hook-log" "failing migration" "$("$K" -n "$ns" logs job/bad-db-migrate 2>&1)"
check_eq "helm-install-failing-hook-no-release-objects" "" \
	"$("$K" -n "$ns" get deploy -o name 2>/dev/null | grep bad-web)"
H uninstall bad -n "$ns" --no-hooks >/dev/null 2>&1

"$K" delete namespace "$ns" --wait=false >/dev/null 2>&1
