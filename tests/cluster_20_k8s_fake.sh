#!/bin/sh
# cluster_20_k8s_fake.sh: k8s_min against a scripted API server
# (tests/k8s/fake_api.py, plain HTTP on loopback) for what a real server does
# rarely: watch bookmarks, a stream that ends, 410 Gone as an ERROR event and
# the relist after it, events split across chunks, 429 with Retry-After on a
# create.  Needs no control plane; it runs with the cluster suites because it
# shares their driver (tests/k8sctl.c).
. "$TOP/tests/lib.sh"
set -u
T=$TMPDIR_T/k8s-fake
mkdir -p "$T"
K=$T/k8sctl
if ! clang -std=c11 -g -O1 -D_DEFAULT_SOURCE -fno-omit-frame-pointer \
	-fsanitize=address,undefined -fno-sanitize-recover=all -I"$TOP" \
	-I/usr/include/cjson -o "$K" "$TOP/tests/k8sctl.c" "$TOP/build/asan/libhk.a" \
	-lbearssl -lcjson -lm > "$T/cc.out" 2>&1; then
	cat "$T/cc.out"
	fail k8s-fake-build "tests/k8sctl.c does not compile"
	exit 1
fi
: > "$T/log"
python3 "$TOP/tests/k8s/fake_api.py" "$T/port" "$T/log" &
fp=$!
n=0
until [ -s "$T/port" ] || [ $n -ge 50 ]; do sleep 0.1; n=$((n + 1)); done
cat > "$T/kc" <<KC
apiVersion: v1
kind: Config
current-context: f
contexts: [{name: f, context: {cluster: f, user: f, namespace: ns}}]
clusters: [{name: f, cluster: {server: "http://127.0.0.1:$(cat "$T/port")"}}]
users: [{name: f, user: {token: fake-token-123}}]
KC

"$K" --kubeconfig "$T/kc" --timeout 20 wait v1 ConfigMap w data.n done > "$T/o" 2>&1
rc=$?
check_eq k8s-fake-watch-ends 0 "$rc"
grep -q "plain http: credentials and data travel unencrypted" "$T/o" &&
	pass k8s-fake-plain-http-warned || fail k8s-fake-plain-http-warned "no warning"
grep -q "^MODIFIED data.n=done$" "$T/o" && pass k8s-fake-watch-result ||
	fail k8s-fake-watch-result "$(tail -n 2 "$T/o" | tr '\n' ' ')"
C=/api/v1/namespaces/ns/configmaps?fieldSelector=metadata.name=w
cat > "$T/want" <<W
GET /api/v1 HTTP/1.1 auth
GET $C HTTP/1.1 auth
GET $C&watch=1&resourceVersion=10&allowWatchBookmarks=true HTTP/1.1 auth
GET $C&watch=1&resourceVersion=15&allowWatchBookmarks=true HTTP/1.1 auth
GET $C HTTP/1.1 auth
GET $C&watch=1&resourceVersion=30&allowWatchBookmarks=true HTTP/1.1 auth
W
check_file_eq k8s-fake-bookmark-resume-410-relist "$T/want" "$T/log"

: > "$T/log"
printf '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"}}\n' > "$T/cm.json"
t0=$(date +%s%3N)
"$K" --kubeconfig "$T/kc" create "$T/cm.json" > "$T/o" 2>&1
rc=$?
t1=$(date +%s%3N)
check_eq k8s-fake-create-429-retried 0 "$rc"
check_eq k8s-fake-create-429-posts 2 "$(grep -c '^POST' "$T/log")"
[ $((t1 - t0)) -ge 950 ] && pass k8s-fake-create-retry-after ||
	fail k8s-fake-create-retry-after "second POST after $((t1 - t0)) ms"
grep -q fake-token-123 "$T/o" && fail k8s-fake-no-token "token printed" || pass k8s-fake-no-token
kill "$fp" 2>/dev/null
wait "$fp" 2>/dev/null
exit 0
