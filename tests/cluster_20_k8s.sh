#!/bin/sh
# cluster_20_k8s.sh: k8s_min against the real control plane (tests/k8sctl.c
# drives the client): authentication (token, client certificate, exec
# plugins v1/v1beta1, in-cluster under unshare), server names (IP SAN, DNS,
# tls-server-name), refusals (wrong CA, wrong name, expired, IP mismatch),
# objects (create, apply, get, delete, list, CRDs), watches and logs, and
# every fault of the fault proxy.
. "$TOP/tests/lib.sh"
set -u
CLUSTER_DIR=${CLUSTER_DIR:-$TOP/.cluster}
. "$CLUSTER_DIR/env"
T=$TMPDIR_T/k8s
mkdir -p "$T"
K=$T/k8sctl
FAULT=$TOP/tests/cluster/fault
ADMIN_TOKEN=$(cat "$ADMIN_TOKEN_FILE")
NS=k8s-test-$$
ALL=$T/all-output    # every byte k8sctl printed, for the secrets check
: > "$ALL"

if ! clang -std=c11 -g -O1 -D_DEFAULT_SOURCE -fno-omit-frame-pointer \
	-fsanitize=address,undefined -fno-sanitize-recover=all -I"$TOP" \
	-I/usr/include/cjson -o "$K" "$TOP/tests/k8sctl.c" "$TOP/build/asan/libhk.a" \
	-lbearssl -lcjson -lm > "$T/cc.out" 2>&1; then
	cat "$T/cc.out"
	fail k8sctl-build "tests/k8sctl.c does not compile"
	exit 1
fi

# k OUT [k8sctl args...]: runs k8sctl -v; stdout+stderr to OUT; sets $rc.
k() {
	out=$1
	shift
	"$K" -v "$@" > "$out" 2>&1
	rc=$?
	cat "$out" >> "$ALL"
	return 0
}
# expect NAME RC GREP-PATTERN OUT: rc must be RC and OUT must match.
expect() {
	if [ "$rc" -ne "$2" ]; then
		fail "$1" "exit $rc, expected $2: $(tail -n 3 "$4" | tr '\n' ' ')"
	elif [ -n "$3" ] && ! grep -q -- "$3" "$4"; then
		fail "$1" "no '$3' in: $(tail -n 3 "$4" | tr '\n' ' ')"
	else
		pass "$1"
	fi
}
# kc FILE SERVER CLUSTER-EXTRA USER-LINES...: writes a kubeconfig.
kc() {
	f=$1 s=$2 extra=$3
	shift 3
	{
		printf 'apiVersion: v1\nkind: Config\ncurrent-context: t\n'
		printf 'contexts:\n- name: t\n  context: {cluster: c, user: u, namespace: %s}\n' "$NS"
		printf 'clusters:\n- name: c\n  cluster:\n    server: %s\n' "$s"
		[ -n "$extra" ] && printf '%s\n' "$extra"
		printf 'users:\n- name: u\n  user:\n'
		for l in "$@"; do printf '    %s\n' "$l"; done
	} > "$f"
}
json() { printf '%s\n' "$1" > "$T/obj.json"; echo "$T/obj.json"; }

# ---- authentication and objects ----
k "$T/o" apply "$(json '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"'$NS'"}}')"
expect k8s-apply-namespace 0 "\"name\":\"$NS\"" "$T/o"
k "$T/o" -n "$NS" get v1 Namespace "$NS"
expect k8s-token-get 0 '"phase":"Active"' "$T/o"
k "$T/o" --kubeconfig "$KUBECONFIG_CERT" -n "$NS" list v1 Namespace
expect k8s-client-cert 0 "^$NS\$" "$T/o"
k "$T/o" --kubeconfig "$KUBECONFIG_INVALID" get v1 Namespace default
expect k8s-invalid-token-exit3 3 "Unauthorized" "$T/o"
k "$T/o" --kubeconfig "$KUBECONFIG_LIMITED" get v1 Namespace default
expect k8s-forbidden-exit1 1 "Forbidden: namespaces \"default\" is forbidden" "$T/o"

CM='{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm1"},"data":{"k":"v1"}}'
k "$T/o" -n "$NS" create "$(json "$CM")"
expect k8s-create 0 '"k":"v1"' "$T/o"
k "$T/o" -n "$NS" create "$(json "$CM")"
expect k8s-create-already-exists 1 "AlreadyExists" "$T/o"
k "$T/o" -n "$NS" apply "$(json '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm1"},"data":{"k":"v2"}}')"
expect k8s-apply-conflict-refused 1 "Conflict" "$T/o"
k "$T/o" -n "$NS" apply "$(json '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm1"},"data":{"k":"v2"}}')" force
expect k8s-apply-force 0 '"k":"v2"' "$T/o"
grep -q 'fieldManager=hookctl&force=true' "$T/o" && pass k8s-apply-query || fail k8s-apply-query "no fieldManager/force in the request path"
k "$T/o" -n "$NS" list v1 ConfigMap "" "metadata.name=cm1"
expect k8s-list-field-selector 0 '^cm1$' "$T/o"
k "$T/o" -n "$NS" delete v1 ConfigMap cm1 Foreground
expect k8s-delete 0 '^deleted$' "$T/o"
k "$T/o" -n "$NS" delete v1 ConfigMap cm1 Background
expect k8s-delete-notfound 0 '^notfound$' "$T/o"
k "$T/o" -n "$NS" get v1 ConfigMap cm1
expect k8s-get-notfound 1 'NotFound: configmaps "cm1" not found' "$T/o"
k "$T/o" -n "$NS" get example.com/v1 Widget w
expect k8s-unknown-group 1 "no API group version example.com/v1" "$T/o"

# CRDs: a kind created during the run is found (discovery refreshes once).
k "$T/o" apply "$(json '{"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"widgets'$$'.k8stest.example.com"},"spec":{"group":"k8stest.example.com","names":{"kind":"Widget'$$'","plural":"widgets'$$'","singular":"widget'$$'"},"scope":"Namespaced","versions":[{"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":{"type":"object","x-kubernetes-preserve-unknown-fields":true}}}]}}')"
expect k8s-crd-apply 0 '"kind":"CustomResourceDefinition"' "$T/o"
n=0
until "$K" resource k8stest.example.com/v1 "Widget$$" > "$T/o" 2>&1 || [ $n -ge 50 ]; do
	sleep 0.2; n=$((n + 1))
done
check_eq k8s-crd-discovery "/apis/k8stest.example.com/v1/widgets$$ 1" "$(cat "$T/o")"
k "$T/o" -n "$NS" apply "$(json '{"apiVersion":"k8stest.example.com/v1","kind":"Widget'$$'","metadata":{"name":"w1"},"spec":{"size":3}}')"
expect k8s-crd-object 0 '"size":3' "$T/o"

# ---- server names and refusals ----
PORT=$CLUSTER_PORT
kc "$T/kc-dns" "https://localhost:$PORT" "    certificate-authority: $CLUSTER_CA" "token: $ADMIN_TOKEN"
k "$T/o" --kubeconfig "$T/kc-dns" get v1 Namespace "$NS"
expect k8s-dns-name 0 '"phase":"Active"' "$T/o"
kc "$T/kc-tsn" "https://127.0.0.1:$PORT" "    certificate-authority: $CLUSTER_CA
    tls-server-name: kubernetes.default.svc" "token: $ADMIN_TOKEN"
k "$T/o" --kubeconfig "$T/kc-tsn" get v1 Namespace "$NS"
expect k8s-tls-server-name 0 '"phase":"Active"' "$T/o"
sh "$TOP/tests/k8s/mkcerts.sh" "$T/pki"
kc "$T/kc-ca" "https://127.0.0.1:$PORT" "    certificate-authority: $T/pki/other-ca.crt" "token: $ADMIN_TOKEN"
k "$T/o" --kubeconfig "$T/kc-ca" get v1 Namespace "$NS"
expect k8s-wrong-ca-exit3 3 "not signed by a trusted CA" "$T/o"
kc "$T/kc-name" "https://127.0.0.1:$PORT" "    certificate-authority: $CLUSTER_CA
    tls-server-name: wrong.example" "token: $ADMIN_TOKEN"
k "$T/o" --kubeconfig "$T/kc-name" get v1 Namespace "$NS"
expect k8s-wrong-name-exit3 3 "does not match the server name" "$T/o"
kc "$T/kc-insecure" "https://127.0.0.1:$PORT" "    insecure-skip-tls-verify: true" "token: $ADMIN_TOKEN"
k "$T/o" --kubeconfig "$T/kc-insecure" get v1 Namespace "$NS"
expect k8s-insecure-warns 0 "WARNING: the server certificate of .* is NOT verified" "$T/o"

# Expired and IP-mismatched certificates: openssl s_server with our PKI.
SPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
USER_LINE="token: $ADMIN_TOKEN"
tls_case() { # NAME CERT SERVER-URL PATTERN [S_SERVER-ARGS...]
	name=$1 cert=$2 url=$3 pat=$4
	shift 4
	openssl s_server -quiet -accept "127.0.0.1:$SPORT" -cert "$T/pki/$cert.crt" \
		-key "$T/pki/$cert.key" -www "$@" > /dev/null 2>&1 &
	sp=$!
	n=0
	until python3 -c "import socket; socket.create_connection(('127.0.0.1',$SPORT),1)" 2>/dev/null || [ $n -ge 50 ]; do
		sleep 0.1; n=$((n + 1))
	done
	kc "$T/kc-s" "$url" "    certificate-authority: $T/pki/ca.crt" "$USER_LINE"
	k "$T/o" --kubeconfig "$T/kc-s" --timeout 5 raw GET /version
	kill "$sp" 2>/dev/null
	wait "$sp" 2>/dev/null
	if [ "$pat" = ok ]; then
		expect "$name" 1 "not JSON" "$T/o"  # the handshake passed
	else
		expect "$name" 3 "$pat" "$T/o"
	fi
}
tls_case k8s-tls-ip-san-ok good "https://127.0.0.1:$SPORT" ok
tls_case k8s-tls-ec-server ec "https://127.0.0.1:$SPORT" ok
tls_case k8s-tls-ip-mismatch dnsonly "https://127.0.0.1:$SPORT" "does not name this IP address"
tls_case k8s-tls-dns-only-by-name dnsonly "https://localhost:$SPORT" ok
tls_case k8s-tls-expired expired "https://localhost:$SPORT" "has expired or is not yet valid"
tls_case k8s-tls-wrong-name wrongname "https://localhost:$SPORT" "does not match the server name"
# The suites and curves kept in the trimmed BearSSL, one by one.
tls_case k8s-tls-chacha20-x25519 good "https://127.0.0.1:$SPORT" ok \
	-cipher ECDHE-RSA-CHACHA20-POLY1305 -curves X25519
tls_case k8s-tls-aes256-p384 good "https://127.0.0.1:$SPORT" ok \
	-cipher ECDHE-RSA-AES256-GCM-SHA384 -curves P-384
tls_case k8s-tls-ecdsa-aes128-p256 ec "https://127.0.0.1:$SPORT" ok \
	-cipher ECDHE-ECDSA-AES128-GCM-SHA256 -curves P-256
tls_case k8s-tls-ecdsa-chacha20 ec "https://127.0.0.1:$SPORT" ok \
	-cipher ECDHE-ECDSA-CHACHA20-POLY1305
tls_case k8s-tls-no-common-suite good "https://127.0.0.1:$SPORT" "no common TLS version or cipher suite\|refused the handshake\|TLS alert" \
	-cipher AES128-SHA -no_tls1_3
# A bracketed IPv6 server, its address checked against the IP SANs.
if python3 -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("::1",0))' 2>/dev/null; then
	openssl s_server -quiet -accept "[::1]:$SPORT" -cert "$T/pki/good.crt" \
		-key "$T/pki/good.key" -www > /dev/null 2>&1 &
	sp=$!
	n=0
	until python3 -c "import socket; socket.create_connection(('::1',$SPORT),1)" 2>/dev/null || [ $n -ge 50 ]; do
		sleep 0.1; n=$((n + 1))
	done
	kc "$T/kc-s" "https://[::1]:$SPORT" "    certificate-authority: $T/pki/ca.crt" "$USER_LINE"
	k "$T/o" --kubeconfig "$T/kc-s" --timeout 5 raw GET /version
	expect k8s-tls-ipv6-ip-san 1 "not JSON" "$T/o"
	kill "$sp" 2>/dev/null
	wait "$sp" 2>/dev/null
else
	echo "k8s-tls-ipv6-ip-san: not run: this machine has no IPv6 loopback"
fi
# An EC client certificate (PKCS#8 key) that the server requires.
USER_LINE="client-certificate: $T/pki/client.crt
    client-key: $T/pki/client.key"
tls_case k8s-tls-ec-client-cert good "https://127.0.0.1:$SPORT" ok \
	-Verify 1 -CAfile "$T/pki/ca.crt"
USER_LINE="token: $ADMIN_TOKEN"
tls_case k8s-tls-client-cert-required good "https://127.0.0.1:$SPORT" "does it require a client certificate" \
	-Verify 1 -CAfile "$T/pki/ca.crt"

# ---- proxies: proxy-url and HTTPS_PROXY through HTTP CONNECT ----
: > "$T/proxy.log"
python3 "$TOP/tests/k8s/connect_proxy.py" "$T/proxy.port" "$T/proxy.log" &
pp=$!
n=0
until [ -s "$T/proxy.port" ] || [ $n -ge 50 ]; do sleep 0.1; n=$((n + 1)); done
PXP=$(cat "$T/proxy.port")
kc "$T/kc-px" "https://localhost:$PORT" "    certificate-authority: $CLUSTER_CA
    proxy-url: http://user:pw@127.0.0.1:$PXP" "token: $ADMIN_TOKEN"
k "$T/o" --kubeconfig "$T/kc-px" get v1 Namespace "$NS"
expect k8s-proxy-url 0 '"phase":"Active"' "$T/o"
check_eq k8s-proxy-connect "CONNECT localhost:$PORT HTTP/1.1 Basic dXNlcjpwdw==" "$(head -n 1 "$T/proxy.log")"
# HTTPS_PROXY: for names (never for loopback, Go's rule); NO_PROXY wins.
: > "$T/proxy.log"
kc "$T/kc-px" "https://kubernetes.default.svc:$PORT" "    certificate-authority: $CLUSTER_CA" "token: $ADMIN_TOKEN"
HTTPS_PROXY=http://127.0.0.1:$PXP k "$T/o" --kubeconfig "$T/kc-px" get v1 Namespace "$NS"
expect k8s-https-proxy-env 0 '"phase":"Active"' "$T/o"
check_eq k8s-https-proxy-env-connect "CONNECT kubernetes.default.svc:$PORT HTTP/1.1 -" "$(head -n 1 "$T/proxy.log")"
: > "$T/proxy.log"
NO_PROXY=.svc HTTPS_PROXY=http://127.0.0.1:$PXP k "$T/o" --kubeconfig "$T/kc-px" get v1 Namespace "$NS"
expect k8s-no-proxy 3 "cannot resolve kubernetes.default.svc" "$T/o"
check_eq k8s-no-proxy-direct "" "$(cat "$T/proxy.log")"
kill "$pp" 2>/dev/null
wait "$pp" 2>/dev/null

# ---- exec credential plugins ----
for v in v1 v1beta1; do
	cat > "$T/plugin-$v" <<EOF
#!/bin/sh
[ "\$PLUGIN_ENV" = set ] || { echo "env not passed" >&2; exit 1; }
[ "\$1 \$2" = "one two words" ] || { echo "args not passed: \$*" >&2; exit 1; }
case \$KUBERNETES_EXEC_INFO in *'"apiVersion":"client.authentication.k8s.io/$v"'*) ;; *) exit 1;; esac
if [ $v = v1 ]; then
	case \$KUBERNETES_EXEC_INFO in *'"cluster":{"server":"$CLUSTER_SERVER","certificate-authority-data":"'*'"config":{"audience":"hookctl"}},"interactive":false'*) ;;
	*) echo "no cluster info: \$KUBERNETES_EXEC_INFO" >&2; exit 1;; esac
fi
echo '{"apiVersion":"client.authentication.k8s.io/$v","kind":"ExecCredential","status":{"token":"$ADMIN_TOKEN","expirationTimestamp":"2099-01-01T00:00:00Z"}}'
EOF
	chmod +x "$T/plugin-$v"
	kc "$T/kc-exec" "$CLUSTER_SERVER" "    certificate-authority: $CLUSTER_CA
    extensions: [{name: client.authentication.k8s.io/exec, extension: {audience: hookctl}}]" "exec:" \
		"  apiVersion: client.authentication.k8s.io/$v" "  command: $T/plugin-$v" \
		"  args: [one, two words]" "  env: [{name: PLUGIN_ENV, value: set}]" \
		"  provideClusterInfo: $([ $v = v1 ] && echo true || echo false)"
	k "$T/o" --kubeconfig "$T/kc-exec" get v1 Namespace "$NS"
	expect "k8s-exec-token-$v" 0 '"phase":"Active"' "$T/o"
done
python3 -c 'import json,sys; print(json.dumps({"apiVersion":"client.authentication.k8s.io/v1",
	"kind":"ExecCredential","status":{"clientCertificateData":open(sys.argv[1]).read(),
	"clientKeyData":open(sys.argv[2]).read()}}))' "$ADMIN_CERT" "$ADMIN_KEY" > "$T/cred.json"
printf '#!/bin/sh\ncat "%s"\n' "$T/cred.json" > "$T/plugin-cert"
chmod +x "$T/plugin-cert"
kc "$T/kc-exec" "$CLUSTER_SERVER" "    certificate-authority: $CLUSTER_CA" "exec:" \
	"  apiVersion: client.authentication.k8s.io/v1" "  command: $T/plugin-cert"
k "$T/o" --kubeconfig "$T/kc-exec" get v1 Namespace "$NS"
expect k8s-exec-client-cert 0 '"phase":"Active"' "$T/o"
printf '#!/bin/sh\necho nope >&2\nexit 7\n' > "$T/plugin-fail"
chmod +x "$T/plugin-fail"
kc "$T/kc-exec" "$CLUSTER_SERVER" "    certificate-authority: $CLUSTER_CA" "exec:" \
	"  apiVersion: client.authentication.k8s.io/v1" "  command: $T/plugin-fail"
k "$T/o" --kubeconfig "$T/kc-exec" get v1 Namespace "$NS"
expect k8s-exec-failure-exit3 3 "exec plugin .* failed (exit status 7)" "$T/o"

# ---- token files are re-read when they change (bound tokens rotate) ----
printf '%s\n' "$ADMIN_TOKEN" > "$T/token"
kc "$T/kc-tf" "$CLUSTER_SERVER" "    certificate-authority: $CLUSTER_CA" "tokenFile: $T/token"
"$K" --kubeconfig "$T/kc-tf" getloop 3 1500 v1 Namespace "$NS" > "$T/o" 2>&1 &
lp=$!
sleep 0.7
cat "$INVALID_TOKEN_FILE" > "$T/token.new" && mv "$T/token.new" "$T/token"
sleep 1.5
printf '%s\n' "$ADMIN_TOKEN" > "$T/token.new" && mv "$T/token.new" "$T/token"
wait "$lp"
cat "$T/o" >> "$ALL"
check_eq k8s-token-file-reread "ok|error 3|ok" "$(sed 's/:.*//' "$T/o" | tr '\n' '|' | sed 's/|$//')"

# ---- in-cluster, for real: unshare, bind-mounted ServiceAccount files ----
if unshare --mount true 2>/dev/null; then
	unshare --mount sh -c '
		mount --make-rprivate / 2>/dev/null
		mount -t tmpfs tmpfs /var/run &&
		mkdir -p /var/run/secrets/kubernetes.io/serviceaccount &&
		mount --bind "$1" /var/run/secrets/kubernetes.io/serviceaccount &&
		ls /var/run/secrets/kubernetes.io/serviceaccount/token >/dev/null &&
		env -u KUBECONFIG HOME=/nonexistent KUBERNETES_SERVICE_HOST=127.0.0.1 \
			KUBERNETES_SERVICE_PORT="$2" "$3" -v config &&
		env -u KUBECONFIG HOME=/nonexistent KUBERNETES_SERVICE_HOST=127.0.0.1 \
			KUBERNETES_SERVICE_PORT="$2" "$3" -v apply "$4" &&
		env -u KUBECONFIG HOME=/nonexistent KUBERNETES_SERVICE_HOST=127.0.0.1 \
			KUBERNETES_SERVICE_PORT="$2" "$3" -v get v1 Namespace default
		' sh "$SA_DIR" "$CLUSTER_PORT" "$K" \
		"$(json '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"from-pod"},"data":{"a":"b"}}')" \
		> "$T/o" 2>&1
	rc=$?
	cat "$T/o" >> "$ALL"
	grep -q '^namespace=hookctl-sa$' "$T/o" && grep -q '^context=in-cluster$' "$T/o" &&
		grep -q '"name":"from-pod","namespace":"hookctl-sa"' "$T/o" &&
		pass k8s-in-cluster-apply || fail k8s-in-cluster-apply "$(tail -n 3 "$T/o" | tr '\n' ' ')"
	grep -q 'User "system:serviceaccount:hookctl-sa:hookctl" cannot get resource "namespaces"' "$T/o" &&
		[ "$rc" -eq 1 ] && pass k8s-in-cluster-identity ||
		fail k8s-in-cluster-identity "rc $rc: $(tail -n 1 "$T/o")"
else
	fail k8s-in-cluster "unshare --mount is not permitted here (needs root)"
fi

# ---- watch, wait, logs ----
JOB='{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"j1"},"spec":{"backoffLimit":0,"template":{"spec":{"restartPolicy":"Never","containers":[{"name":"c","image":"busybox","command":["sh","-c","echo hello-from-job; echo line2"]}]}}}}'
k "$T/o" -n "$NS" create "$(json "$JOB")"
expect k8s-job-create 0 '"name":"j1"' "$T/o"
k "$T/o" -n "$NS" --timeout 60 wait batch/v1 Job j1 status.succeeded 1
expect k8s-watch-job-succeeded 0 "status.succeeded=1" "$T/o"
POD=$("$K" -n "$NS" list v1 Pod "job-name=j1" 2>/dev/null | head -n 1)
k "$T/o" -n "$NS" logs "$POD" c 1
expect k8s-logs-tail 0 '^line2$' "$T/o"
grep -q hello-from-job "$T/o" && fail k8s-logs-tail-lines "tailLines=1 returned more" || pass k8s-logs-tail-lines
k "$T/o" -n "$NS" logs "$POD"
expect k8s-logs 0 '^hello-from-job$' "$T/o"
k "$T/o" -n "$NS" --timeout 2 wait batch/v1 Job j1 status.failed 1
expect k8s-wait-timeout-exit4 4 "timed out" "$T/o"

# ---- the fault proxy ----
kc "$T/kc-proxy" "$PROXY_SERVER" "    certificate-authority: $CLUSTER_CA" "token: $ADMIN_TOKEN"
P="--kubeconfig $T/kc-proxy -n $NS"
"$FAULT" clear
"$FAULT" add '{"action":"reset-before","method":"GET","times":2}'
k "$T/o" $P get v1 Namespace "$NS"
expect k8s-fault-reset-get-retried 0 '"phase":"Active"' "$T/o"
"$FAULT" clear
"$FAULT" add '{"action":"status","code":503,"method":"GET","times":2}'
k "$T/o" $P get v1 Namespace "$NS"
expect k8s-fault-503-retried 0 '"phase":"Active"' "$T/o"
"$FAULT" clear
"$FAULT" add '{"action":"status","code":429,"retry_after":1,"method":"GET","times":1}'
t0=$(date +%s%3N)
k "$T/o" $P get v1 Namespace "$NS"
t1=$(date +%s%3N)
expect k8s-fault-429-retried 0 '"phase":"Active"' "$T/o"
[ $((t1 - t0)) -ge 950 ] && pass k8s-fault-429-retry-after ||
	fail k8s-fault-429-retry-after "retried after $((t1 - t0)) ms, Retry-After was 1 s"
"$FAULT" clear
"$FAULT" add '{"action":"status","code":500,"method":"GET","times":0}'
k "$T/o" $P --timeout 3 get v1 Namespace "$NS"
[ "$rc" -ne 0 ] && grep -q "InternalError" "$T/o" && pass k8s-fault-500-gives-up ||
	fail k8s-fault-500-gives-up "rc $rc: $(tail -n 1 "$T/o")"
"$FAULT" clear
"$FAULT" add '{"action":"reset-after","method":"POST","path":"configmaps","times":1}'
k "$T/o" $P create "$(json '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"lost"},"data":{"x":"1"}}')"
expect k8s-fault-create-answer-lost 0 '"name":"lost"' "$T/o"
posts=$("$FAULT" log | grep -c '"POST"' || true)
check_eq k8s-fault-create-once 1 "$posts"
"$FAULT" clear
"$FAULT" add '{"action":"reset-before","method":"POST","path":"configmaps","times":1}'
k "$T/o" $P create "$(json '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"lost2"},"data":{"x":"1"}}')"
expect k8s-fault-create-reset-before 0 '"name":"lost2"' "$T/o"
"$FAULT" clear
"$FAULT" add '{"action":"status","code":503,"method":"POST","path":"configmaps","times":1}'
k "$T/o" $P create "$(json '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c503"},"data":{"x":"1"}}')"
expect k8s-fault-create-503 0 '"name":"c503"' "$T/o"
"$FAULT" clear
"$FAULT" add '{"action":"reset-after","method":"PATCH","times":1}'
k "$T/o" $P apply "$(json '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"ap"},"data":{"x":"2"}}')"
expect k8s-fault-apply-reset-after 0 '"x":"2"' "$T/o"
"$FAULT" clear
"$FAULT" add '{"action":"reset-after","method":"DELETE","times":1}'
k "$T/o" $P delete v1 ConfigMap ap
[ "$rc" -eq 0 ] && grep -Eq '^(deleted|notfound)$' "$T/o" && pass k8s-fault-delete-reset-after ||
	fail k8s-fault-delete-reset-after "rc $rc: $(tail -n 2 "$T/o" | tr '\n' ' ')"
"$FAULT" clear
"$FAULT" add '{"action":"delay","seconds":4,"method":"GET","times":1}'
t0=$(date +%s%3N)
k "$T/o" $P --timeout 1 get v1 Namespace "$NS"
t1=$(date +%s%3N)
expect k8s-fault-slow-timeout-exit4 4 "timed out" "$T/o"
[ $((t1 - t0)) -lt 2500 ] && pass k8s-fault-slow-timeout-prompt ||
	fail k8s-fault-slow-timeout-prompt "took $((t1 - t0)) ms for a 1 s deadline"

# Watches cut mid-stream and expired (410): the wait still ends right.
"$FAULT" clear
k "$T/o" $P apply "$(json '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"w"},"data":{"n":"0"}}')"
for rule in '{"action":"watch-cut","events":1,"times":1}' '{"action":"watch-cut","events":0,"rst":true,"times":2}' \
	'{"action":"watch-expired","times":1}'; do
	"$FAULT" clear
	"$FAULT" add "$rule"
	"$K" $P --timeout 20 wait v1 ConfigMap w data.n 3 > "$T/w" 2>&1 &
	wp=$!
	sleep 0.7
	for i in 1 2 3; do
		"$K" $P apply "$(json '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"w"},"data":{"n":"'$i'"}}')" > /dev/null 2>&1
		sleep 0.3
	done
	wait "$wp"
	rc=$?
	cat "$T/w" >> "$ALL"
	name=k8s-watch-$(printf '%s' "$rule" | sed 's/.*"action":"\([a-z-]*\)".*/\1/')
	expect "$name" 0 "data.n=3" "$T/w"
	"$FAULT" rules | grep -q '"_applied": *[1-9]' && pass "$name-applied" || fail "$name-applied" "the fault did not fire"
	"$K" $P apply "$(json '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"w"},"data":{"n":"0"}}')" > /dev/null 2>&1
done
"$FAULT" clear

# ---- secrets never printed ----
if grep -qF "$ADMIN_TOKEN" "$ALL"; then
	fail k8s-no-token-in-output "the admin token appears in k8sctl's output"
else
	pass k8s-no-token-in-output
fi
grep -q "BEGIN" "$ALL" && fail k8s-no-key-in-output "PEM data in the output" || pass k8s-no-key-in-output

"$K" delete v1 Namespace "$NS" > /dev/null 2>&1
"$K" delete apiextensions.k8s.io/v1 CustomResourceDefinition "widgets$$.k8stest.example.com" > /dev/null 2>&1
exit 0
