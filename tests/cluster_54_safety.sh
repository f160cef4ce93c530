#!/bin/sh
# Issue 20 against the local control plane: nothing a manifest says can
# reach a request it was not meant for; install never takes over an object
# that is not its release's own, and finds conflicts before any hook runs;
# a refused hook create cleans up nothing (as Helm); one stuck object holds
# back no other deletion; v1 Lists and CRDs with their objects install; an
# uninstall in the wrong namespace runs nothing.  What was sent is read
# from the API server's audit log.
. "$TOP/tests/lib.sh"
. "${CLUSTER_DIR:-$TOP/.cluster}/env"
export KUBECONFIG AUDIT_LOG AUDIT_SEQ
. "$TOP/tests/exec/oracle.sh"
S=$TOP/tests/safety
O=$TMPDIR_T/safety54
mkdir -p "$O"
K=$HOOKCTL
D=$TOP/examples/demo.yaml

# every request of hookctl's since MARK (any verb, any namespace; the
# simulated kubelet's subresource writes left out)
all_requests() {
	"$AUDIT_SEQ" --after "$1" -a hookctl -u admin --all --dry-run "$AUDIT_LOG" | awk '$2 !~ /\//'
}
writes() { "$AUDIT_SEQ" --after "$1" -a hookctl -u admin "$AUDIT_LOG" | awk '$2 !~ /\//'; }

ns=$(fresh_ns s54) || { fail "safety" "cannot create a namespace"; exit 0; }
victim=$(fresh_ns s54v) || { fail "safety" "cannot create a namespace"; exit 0; }

# 1. A name or apiVersion that carries a second request: refused, nothing sent.
"$KUBECTL" create configmap victim -n "$victim" --from-literal=a=1 >/dev/null
sed "s/victimns/$victim/; s/victim-ns/$victim/" "$S/inject.yaml" > "$O/inject.yaml"
m=$(audit_mark)
for i in 1 2 3; do
	$K install inj -f "$O/inject.yaml" -n "$ns" > "$O/1.out" 2>&1
	r=$?
done
check_eq "injection: exit 2" 2 $r
wait_audit
check_eq "injection: not one request reached the server" "" "$(all_requests "$m")"
check_eq "injection: the victim is still there" victim \
	"$("$KUBECTL" get cm victim -n "$victim" -o 'jsonpath={.metadata.name}')"

# 2. install over an object made by hand: refused before any hook, as Helm.
"$KUBECTL" create configmap demo-config -n "$ns" --from-literal=mine=1 >/dev/null
m=$(audit_mark)
$K install demo -f "$D" -n "$ns" > "$O/2.out" 2> "$O/2.err"
check_eq "take-over: exit 1" 1 $?
wait_audit
check_eq "take-over: nothing was written (no hook ran, nothing applied)" "" "$(writes "$m")"
check "take-over: the message names the object and why" grep -q \
	"ConfigMap/demo-config: exists in namespace $ns and cannot be imported into release demo: no meta.helm.sh/release-name annotation" "$O/2.err"
check "take-over: the summary says nothing was run or changed" grep -q \
	'nothing was run or changed' "$O/2.out"
check_eq "take-over: the object is untouched (no Helm label)" "" \
	"$("$KUBECTL" get cm demo-config -n "$ns" -o 'jsonpath={.metadata.labels}')"
"$HELM" install demo "$TOP/examples/demo" -n "$ns" > "$O/2h.out" 2>&1
check_eq "take-over: helm refuses it too" 1 $?
"$KUBECTL" delete configmap demo-config -n "$ns" >/dev/null

# 3. Two releases that render the same object: the second is refused.
$K install demo -f "$D" -n "$ns" > "$O/3a.out" 2>&1
check_eq "second release: the first installs" 0 $?
m=$(audit_mark)
$K install demo2 -f "$D" -n "$ns" > "$O/3.out" 2> "$O/3.err"
check_eq "second release: exit 1" 1 $?
wait_audit
check_eq "second release: nothing was written" "" "$(writes "$m")"
check "second release: names the owner" grep -q \
	"owned by release demo in namespace $ns" "$O/3.err"

# 4. A field-manager conflict is found by a server-side dry run, before any hook.
"$KUBECTL" patch configmap demo-config -n "$ns" --type merge \
	-p '{"data":{"LOG_LEVEL":"debug"}}' --field-manager=someone-else >/dev/null
m=$(audit_mark)
$K upgrade demo -f "$D" -n "$ns" > "$O/4.out" 2> "$O/4.err"
check_eq "conflict: exit 1" 1 $?
wait_audit
check_eq "conflict: no hook ran, nothing was written" "" "$(writes "$m")"
check "conflict: the server's words, said to come from its dry run" grep -q \
	'ConfigMap/demo-config: the server refuses it (server-side dry run): Conflict: .*someone-else' "$O/4.err"
check "conflict: dry-run applies were sent" sh -c \
	"\"$AUDIT_SEQ\" --after $m -a hookctl --dry-run \"$AUDIT_LOG\" | grep -q '^patch+dryrun ConfigMap $ns demo-config'"
$K uninstall demo -f "$D" -n "$ns" > /dev/null 2>&1

# 5. A hook create the server refuses: nothing is cleaned up, as Helm.
$K run pre-install -f "$S/hooks-refused.yaml" -n "$ns" > "$O/5.out" 2>&1
check_eq "refused create: exit 1" 1 $?
check_eq "refused create: the earlier hook-succeeded hook is not deleted" refused-first \
	"$("$KUBECTL" get cm refused-first -n "$ns" -o 'jsonpath={.metadata.name}' 2>/dev/null)"
check "refused create: the step says create failed" grep -q \
	'^pre-install \[2/2\] Job/refused-second \.\.\. failed' "$O/5.out"

# 6. A finalizer nobody removes: every other deletion and the post-delete hook go on.
$K install stuck -f "$S/stuck.yaml" -n "$ns" > "$O/6a.out" 2>&1
"$KUBECTL" patch configmap stuck-a -n "$ns" --type merge \
	-p '{"metadata":{"finalizers":["example.com/never"]}}' >/dev/null
$K uninstall stuck -f "$S/stuck.yaml" -n "$ns" --timeout 2s > "$O/6.out" 2> "$O/6.err"
check_eq "stuck: exit 4 (the deletion did not finish within --timeout)" 4 $?
check_eq "stuck: the other resources are gone" "" \
	"$("$KUBECTL" get cm stuck-b -n "$ns" --ignore-not-found -o name; "$KUBECTL" get sa stuck-sa -n "$ns" --ignore-not-found -o name)"
check_eq "stuck: the post-delete hook ran" stuck-post \
	"$("$KUBECTL" get cm stuck-post -n "$ns" -o 'jsonpath={.metadata.name}' 2>/dev/null)"
check "stuck: the finalizer is named" grep -q \
	'deleted but still there: ConfigMap/stuck-a (finalizers example.com/never)' "$O/6.out"
"$KUBECTL" patch configmap stuck-a -n "$ns" --type merge -p '{"metadata":{"finalizers":null}}' >/dev/null

# 7. A v1 List: its items are applied and deleted, as kubectl and Helm do.
$K install lists -f "$S/list.yaml" -n "$ns" > "$O/7.out" 2>&1
check_eq "List: install exits 0" 0 $?
check_eq "List: both items exist" "configmap/list-a service/list-svc" \
	"$("$KUBECTL" get cm/list-a svc/list-svc -n "$ns" -o name | paste -sd' ')"
$K uninstall lists -f "$S/list.yaml" -n "$ns" > "$O/7u.out" 2>&1
check_eq "List: uninstall exits 0 and deletes the items" "0:" \
	"$?:$("$KUBECTL" get cm/list-a svc/list-svc -n "$ns" --ignore-not-found -o name)"

# 8. A CRD and an object of its kind in one render (helm template --include-crds).
$K install widgets -f "$S/crd-and-cr.yaml" -n "$ns" > "$O/8.out" 2>&1
check_eq "CRD and its object: install exits 0" 0 $?
check_eq "CRD and its object: the object exists" w1 \
	"$("$KUBECTL" get widgets.example.hookctl.dev w1 -n "$ns" -o 'jsonpath={.metadata.name}' 2>/dev/null)"
$K uninstall widgets -f "$S/crd-and-cr.yaml" -n "$ns" > "$O/8u.out" 2>&1
check_eq "CRD and its object: uninstall exits 0" 0 $?

# 9. uninstall in the wrong namespace: nothing runs.
other=$(fresh_ns s54o) || other=default
$K install demo -f "$D" -n "$ns" > /dev/null 2>&1
m=$(audit_mark)
$K uninstall demo -f "$D" -n "$other" > "$O/9.out" 2> "$O/9.err"
check_eq "wrong -n: exit 1" 1 $?
wait_audit
check_eq "wrong -n: no pre-delete hook, no write at all" "" "$(writes "$m")"
check "wrong -n: says so" grep -q "none of release demo's 4 resources exists in namespace $other" "$O/9.err"
$K uninstall demo -f "$D" -n "$ns" > /dev/null 2>&1

# 9b. A failed Job hook: the message carries its container's exit code.
$K run pre-install -f "$TOP/tests/exec/fail.yaml" -n "$ns" > "$O/9b.out" 2>&1
check_eq "failed Job: exit 1" 1 $?
check "failed Job: the error names the container and its exit code" grep -q \
	'^  error: pre-install hook Job/b-fail failed: BackoffLimitExceeded: .*pod b-fail-[a-z0-9]*: container work exited 3' "$O/9b.out"

# 9c. A signal while a hook runs: the wait ends within a second, the step
#     gets its line, and the summary says the hook is still running.
for o in text json; do
	$K run pre-upgrade -f "$TOP/tests/exec/slow.yaml" -n "$ns" -o $o > "$O/9c$o.out" 2> "$O/9c$o.err" &
	pid=$!
	sleep 2
	t0=$(date +%s%N)
	kill -INT $pid
	wait $pid
	rc=$?
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	check_eq "SIGINT -o $o: exit 130" 130 $rc
	if [ "$ms" -lt 1000 ]; then pass "SIGINT -o $o: ends within a second ($ms ms)"
	else fail "SIGINT -o $o: ends within a second" "$ms ms"; fi
done
check "SIGINT: the step line says interrupted, still running" grep -q \
	'^pre-upgrade \[1/1\] Job/slow \.\.\. interrupted .*(still running in the cluster)' "$O/9ctext.out"
check "SIGINT: the error says which signal" grep -q 'run failed: stopped by SIGINT' "$O/9ctext.err"
check "SIGINT: the summary names the hook left running" grep -q \
	'^  still running in the cluster (not waited for, not deleted): Job/slow (pre-upgrade hook)' "$O/9ctext.out"
check_eq "SIGINT -o json: an interrupted step event, then a summary with still_running" \
	"interrupted|130 Job/slow" "$(python3 -c 'import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
st = [e["result"] for e in ev if e["event"] == "step"]
s = ev[-1]
print("%s|%s %s" % (",".join(st), s["exit"], " ".join(o["kind"] + "/" + o["name"] for o in s.get("still_running", []))))' "$O/9cjson.out")"

# 10. -o json against the cluster: every line of every run is an event of
#     docs/events.md (success, a failing hook, a timeout, a stuck deletion,
#     a refused take-over, a cluster-scoped object).
E=$O/events
mkdir -p "$E"
cp "$O/9cjson.out" "$E/sigint"
X=$TOP/tests/exec
$K install demo -f "$D" -n "$ns" -o json > "$E/install" 2>/dev/null
$K test demo -f "$D" -n "$ns" -o json --logs > "$E/test" 2>/dev/null
$K install demo2 -f "$D" -n "$ns" -o json > "$E/takeover" 2>/dev/null
$K uninstall demo -f "$D" -n "$ns" -o json > "$E/uninstall" 2>/dev/null
$K run pre-install -f "$X/fail.yaml" -n "$ns" -o json > "$E/fail" 2>/dev/null
$K run pre-install -f "$X/slow.yaml" -n "$ns" -o json --timeout 1s > "$E/timeout" 2>/dev/null
$K install stuck -f "$S/stuck.yaml" -n "$ns" -o json > "$E/stuck-install" 2>/dev/null
"$KUBECTL" patch configmap stuck-a -n "$ns" --type merge \
	-p '{"metadata":{"finalizers":["example.com/never"]}}' >/dev/null
$K uninstall stuck -f "$S/stuck.yaml" -n "$ns" -o json --timeout 1s > "$E/stuck" 2>/dev/null
"$KUBECTL" patch configmap stuck-a -n "$ns" --type merge -p '{"metadata":{"finalizers":null}}' >/dev/null
$K install widgets -f "$S/crd-and-cr.yaml" -n "$ns" -o json > "$E/crd" 2>/dev/null
$K uninstall widgets -f "$S/crd-and-cr.yaml" -n "$ns" -o json > "$E/crd-uninstall" 2>/dev/null
check "-o json: every event of every run matches tests/events/schema.json" \
	python3 "$TOP/tests/events/check.py" "$TOP/tests/events/schema.json" "$E"/*
for f in "$E"/*; do
	[ "$(tail -n 1 "$f" | cut -c1-19)" = '{"event":"summary",' ] || { fail "-o json $(basename "$f"): ends in a summary" "$(tail -n 1 "$f")"; continue; }
	pass "-o json $(basename "$f"): ends in a summary"
done
check_eq "-o json: a cluster-scoped object has no namespace" "" \
	"$(grep '"kind":"CustomResourceDefinition"' "$E/crd" | grep '"namespace"')"
check_eq "-o json: the stuck object in the summary, with its finalizers" "ConfigMap/stuck-a example.com/never" \
	"$(tail -n 1 "$E/stuck" | python3 -c 'import json, sys
print(" ".join("%s/%s %s" % (o["kind"], o["name"], o["finalizers"].split()[-1]) for o in json.load(sys.stdin)["still_deleting"]))')"

"$KUBECTL" delete namespace "$ns" "$victim" "$other" --wait=false >/dev/null 2>&1
