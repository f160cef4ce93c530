#!/bin/sh
# cluster_02_faults.sh: the fault-injecting TLS proxy in front of the API
# server does what each rule says, and nothing when there is none.
TOP=${TOP:-$(cd "$(dirname "$0")/.." && pwd)}
. "$TOP/tests/lib.sh"
CLUSTER_DIR=${CLUSTER_DIR:-$TOP/.cluster}
. "$CLUSTER_DIR/env"
T=${TMPDIR_T:-$(mktemp -d)}/c02
mkdir -p "$T"
K=$KUBECTL
KP="$KUBECTL --kubeconfig $KUBECONFIG_PROXY"
ns=c02-$$
TOK=$(cat "$ADMIN_TOKEN_FILE")
# pcurl ARGS...: curl through the proxy as admin.
pcurl() { curl -s --cacert "$CLUSTER_CA" -H "Authorization: Bearer $TOK" "$@"; }
cm() { printf '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"%s"}}' "$1"; }

"$FAULT" clear
"$K" create namespace "$ns" >/dev/null
check "proxy-passes-through" $KP get namespace "$ns"
check "proxy-tls-verifies-localhost" pcurl -f -o /dev/null "https://localhost:$PROXY_PORT/version"

# 429 with Retry-After: client-go waits and retries; the log shows both.
"$FAULT" clear
"$FAULT" add "{\"action\":\"status\",\"code\":429,\"retry_after\":1,\"method\":\"GET\",\"path\":\"/namespaces/$ns\$\"}"
t0=$(date +%s%N)
check "fault-429-kubectl-retries" $KP get namespace "$ns"
t1=$(date +%s%N)
check_eq "fault-429-waited-retry-after" yes "$([ $(( (t1 - t0) / 1000000 )) -ge 900 ] && echo yes)"
"$FAULT" log | grep "/namespaces/$ns\"" | sed 's/.*"action": "\([a-z-]*\)", "status": \([0-9]*\).*/\1 \2/' > "$T/429.log"
printf '%s\n' "status 429" "pass 200" > "$T/429.want"
check_file_eq "fault-429-log" "$T/429.want" "$T/429.log"
"$FAULT" add '{"action":"status","code":429,"retry_after":1}'
check "fault-429-retry-after-header" sh -c "curl -s -D - -o /dev/null --cacert '$CLUSTER_CA' \
	-H 'Authorization: Bearer $TOK' '$PROXY_SERVER/api/v1/namespaces/default' | grep -qi '^retry-after: 1'"
"$FAULT" clear

# 500 on every matching request: kubectl fails with the server's Status.
"$FAULT" add "{\"action\":\"status\",\"code\":500,\"times\":0,\"path\":\"/namespaces/$ns\$\"}"
$KP get namespace "$ns" > "$T/500.out" 2>&1
check_eq "fault-500-kubectl-fails" 1 "$?"
check "fault-500-message" grep -q 'InternalError.*injected' "$T/500.out"
"$FAULT" clear

# 503 answered with a Kubernetes Status body.
"$FAULT" add '{"action":"status","code":503}'
check_eq "fault-503-code" 503 "$(pcurl -o "$T/503.json" -w '%{http_code}' "$PROXY_SERVER/api/v1/namespaces/default")"
check "fault-503-status-body" grep -q '"reason": "ServiceUnavailable"' "$T/503.json"
check_eq "fault-503-once" 200 "$(pcurl -o /dev/null -w '%{http_code}' "$PROXY_SERVER/api/v1/namespaces/default")"

# Connection reset before the request: nothing reaches the API server.
"$FAULT" add '{"action":"reset-before","method":"POST"}'
pcurl -o /dev/null -H 'Content-Type: application/json' -d "$(cm rb)" \
	"$PROXY_SERVER/api/v1/namespaces/$ns/configmaps"
check_eq "fault-reset-before-curl-error" 56 "$?"
check_eq "fault-reset-before-not-created" 1 "$("$K" -n "$ns" get configmap rb >/dev/null 2>&1; echo $?)"

# Connection reset after the request: the change is made, the answer lost.
"$FAULT" add '{"action":"reset-after","method":"POST"}'
pcurl -o /dev/null -H 'Content-Type: application/json' -d "$(cm ra)" \
	"$PROXY_SERVER/api/v1/namespaces/$ns/configmaps"
check_eq "fault-reset-after-curl-error" 56 "$?"
check "fault-reset-after-created" "$K" -n "$ns" get configmap ra

# A delayed response runs past the client's timeout.
"$FAULT" add '{"action":"delay","seconds":3}'
pcurl -o /dev/null --max-time 1 "$PROXY_SERVER/api/v1/namespaces/default"
check_eq "fault-delay-client-timeout" 28 "$?"
sleep 2.5

# skip: the first matching request passes, the second fails.
"$FAULT" add '{"action":"status","code":500,"skip":1,"path":"/version"}'
c1=$(pcurl -o /dev/null -w '%{http_code}' "$PROXY_SERVER/version")
c2=$(pcurl -o /dev/null -w '%{http_code}' "$PROXY_SERVER/version")
c3=$(pcurl -o /dev/null -w '%{http_code}' "$PROXY_SERVER/version")
check_eq "fault-skip-then-times" "200 500 200" "$c1 $c2 $c3"

# Watch streams: cut after 2 events, answered with an expired ERROR event, or 410.
for n in w1 w2 w3; do "$K" -n "$ns" create configmap "$n" >/dev/null; done
"$FAULT" add '{"action":"watch-cut","events":2}'
pcurl --max-time 20 "$PROXY_SERVER/api/v1/namespaces/$ns/configmaps?watch=1" > "$T/cut.out"
rc=$?
check_eq "fault-watch-cut-events" 2 "$(grep -c '"type":"ADDED"' "$T/cut.out")"
check_eq "fault-watch-cut-abrupt" 18 "$rc"
"$FAULT" add '{"action":"watch-expired","watch":true}'
check "fault-watch-expired-event" sh -c "curl -s --max-time 20 --cacert '$CLUSTER_CA' \
	-H 'Authorization: Bearer $TOK' '$PROXY_SERVER/api/v1/namespaces/$ns/configmaps?watch=1' |
	grep -q '\"type\": \"ERROR\".*\"reason\": \"Expired\".*\"code\": 410'"
"$FAULT" add '{"action":"gone","watch":true}'
check_eq "fault-watch-gone-410" 410 "$(pcurl -o /dev/null -w '%{http_code}' --max-time 20 \
	"$PROXY_SERVER/api/v1/namespaces/$ns/configmaps?watch=1&resourceVersion=1")"
# watch: true leaves other requests alone.
"$FAULT" add '{"action":"gone","watch":true}'
check_eq "fault-watch-rule-spares-get" 200 "$(pcurl -o /dev/null -w '%{http_code}' \
	"$PROXY_SERVER/api/v1/namespaces/$ns/configmaps")"

# The control endpoint refuses a rule it does not understand.
check_eq "fault-bad-rule-refused" 1 "$("$FAULT" add '{"action":"explode"}' >/dev/null 2>&1 && echo 0 || echo 1)"
"$FAULT" clear
check_eq "fault-clear-empties" "[]" "$("$FAULT" rules | tr -d ' \n')"
check "proxy-after-clear" $KP get namespace "$ns"

"$K" delete namespace "$ns" --wait=false >/dev/null 2>&1
