#!/bin/sh
# cluster_20_k8s_fake.sh: k8s_min against a scripted API server
# (tests/k8s/fake_api.py, plain HTTP on loopback) for what a real server does
# rarely: watch bookmarks, a stream that ends, 410 Gone as an ERROR event and
# the relist after it, events split across chunks, 429 with Retry-After on a
# create; and the bounds of issue 20: Retry-After past the deadline, SIGINT
# and SIGTERM during a retry wait, a silent watch and a watch reconnection
# wait, answers that would cost gigabytes as cJSON trees.  Needs no control
# plane; it runs with the cluster suites because it shares their driver
# (tests/k8sctl.c).  LIBHK: the ASan library to link (build/asan/libhk.a).
. "$TOP/tests/lib.sh"
set -u
T=$TMPDIR_T/k8s-fake
mkdir -p "$T"
K=$T/k8sctl
if ! clang -std=c11 -g -O1 -D_DEFAULT_SOURCE -fno-omit-frame-pointer \
	-fsanitize=address,undefined -fno-sanitize-recover=all -I"$TOP" \
	-I/usr/include/cjson -o "$K" "$TOP/tests/k8sctl.c" "${LIBHK:-$TOP/build/asan/libhk.a}" \
	-lbearssl -lcjson -lm > "$T/cc.out" 2>&1; then
	cat "$T/cc.out"
	fail k8s-fake-build "tests/k8sctl.c does not compile"
	exit 1
fi
: > "$T/log"
rm -f "$T/port" # a port file of an earlier run is not this server's
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

# ms NAME MAX CMD...: runs CMD (at most 20 s), sets rc and el (its time in
# ms) and checks that it took less than MAX ms.
ms() {
	n=$1 max=$2; shift 2
	t0=$(date +%s%3N)
	timeout -k 1 20 "$@" > "$T/o" 2>&1
	rc=$?
	el=$(($(date +%s%3N) - t0))
	[ "$el" -lt "$max" ] && pass "$n" || fail "$n" "took $el ms (rc $rc)"
}
# signal_after NAME SIG DELAY_S MAX_MS CMD...: sends SIG to CMD after
# DELAY_S seconds; CMD must end within MAX_MS of it; sets rc.
signal_after() {
	n=$1 sig=$2 delay=$3 max=$4; shift 4
	"$@" > "$T/o" 2>&1 &
	p=$!
	sleep "$delay"
	t0=$(date +%s%3N)
	kill -"$sig" "$p"
	k=0
	while kill -0 "$p" 2>/dev/null && [ $k -lt 200 ]; do sleep 0.05; k=$((k + 1)); done
	el=$(($(date +%s%3N) - t0))
	kill -KILL "$p" 2>/dev/null
	wait "$p"
	rc=$?
	[ "$el" -lt "$max" ] && pass "$n" || fail "$n" "ended $el ms after SIG$sig"
}
R=/api/v1/namespaces/ns/configmaps
KC="--kubeconfig $T/kc"

# Retry-After past the deadline, or past 60 s without one: no sleep.
ms k8s-fake-retry-after-huge-quick 2000 "$K" $KC --timeout 5 raw GET $R/retry-huge
check_eq k8s-fake-retry-after-huge-exit 4 "$rc"
grep -q "retry after 99999999 s, which is past the deadline" "$T/o" &&
	pass k8s-fake-retry-after-huge-said || fail k8s-fake-retry-after-huge-said "$(cat "$T/o")"
ms k8s-fake-retry-after-huge-no-deadline 2000 "$K" $KC --timeout 0 raw GET $R/retry-huge
check_eq k8s-fake-retry-after-huge-no-deadline-exit 4 "$rc"
# A signal ends a retry wait, a silent watch and a reconnection wait.
signal_after k8s-fake-sigterm-retry-wait TERM 0.5 500 "$K" $KC --timeout 20 raw GET $R/retry-3
check_eq k8s-fake-sigterm-retry-wait-exit 143 "$rc"
grep -q "stopped by a signal" "$T/o" && pass k8s-fake-sigterm-said ||
	fail k8s-fake-sigterm-said "$(cat "$T/o")"
signal_after k8s-fake-sigint-watch INT 0.5 500 "$K" $KC --timeout 20 watch v1 ConfigMap hang 1
check_eq k8s-fake-sigint-watch-exit 130 "$rc"
signal_after k8s-fake-sigint-watch-backoff INT 2 500 "$K" $KC --timeout 20 watch v1 ConfigMap flap 1
check_eq k8s-fake-sigint-watch-backoff-exit 130 "$rc"
# Server text reaches the terminal without control characters.
"$K" $KC raw GET $R/esc > "$T/o" 2>&1
check_eq k8s-fake-status-exit 1 "$?"
if LC_ALL=C grep -q "$(printf '[\001-\011\013-\037\177]')" "$T/o" ||
	LC_ALL=C grep -q "$(printf '\302[\200-\237]')" "$T/o"; then
	fail k8s-fake-status-no-controls "$(od -c "$T/o" | head -n 5 | tr '\n' ' ')"
else
	pass k8s-fake-status-no-controls
fi
# Answers within the byte limit that would cost gigabytes decoded.
for b in flat deep; do
	ms k8s-fake-big-$b-quick 15000 "$K" $KC raw GET /big-$b
	check_eq k8s-fake-big-$b-exit 1 "$rc"
	grep -q "too large to decode" "$T/o" && pass k8s-fake-big-$b-said ||
		fail k8s-fake-big-$b-said "$(head -c 300 "$T/o")"
done
"$K" $KC raw GET /big-ok > "$T/o" 2>&1
check_eq k8s-fake-big-ok 0 "$?"
"$K" $KC --timeout 20 watch v1 ConfigMap bigev 1 > "$T/o" 2>&1
check_eq k8s-fake-big-event-exit 1 "$?"
grep -q "too large to decode" "$T/o" && pass k8s-fake-big-event-said ||
	fail k8s-fake-big-event-said "$(head -c 300 "$T/o")"
# Peak memory of the plain (not ASan) build on the 40 MB answers.
P=$T/k8sctl-plain
if [ -x /usr/bin/time ] && cc -std=c11 -O2 -D_DEFAULT_SOURCE -I"$TOP" \
	-I/usr/include/cjson -o "$P" "$TOP/tests/k8sctl.c" "$TOP/k8s_min.c" \
	"$TOP/http_min.c" "$TOP/yaml_min.c" "$TOP/json_min.c" -lbearssl -lcjson -lm > "$T/cc.out" 2>&1; then
	for b in flat deep; do
		/usr/bin/time -v "$P" $KC raw GET /big-$b > "$T/o" 2>&1
		kb=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$T/o")
		[ "${kb:-999999}" -lt 160000 ] && pass k8s-fake-big-$b-rss ||
			fail k8s-fake-big-$b-rss "peak RSS ${kb:-?} KB"
	done
else
	fail k8s-fake-big-rss "the plain build failed: $(head -n 3 "$T/cc.out")"
fi
kill "$fp" 2>/dev/null
wait "$fp" 2>/dev/null
exit 0
