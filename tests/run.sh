#!/bin/sh
# tests/run.sh: the whole test suite (make check).  Unit tests under the
# sanitizers, offline suites, then suites against the local control plane.
# Ends with one line "N passed, N failed"; exits non-zero on any failure.
#
# HOOKCTL_NO_CLUSTER=1 skips the cluster suites (said so in the output).
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"
SHARED=${SHARED:-$(cd "$TOP/../shared" 2>/dev/null && pwd)}
HOOKCTL=$TOP/hookctl
HOOKCTL_ASAN=$TOP/build/asan/hookctl
TMPDIR_T=$(mktemp -d "${TMPDIR:-/tmp}/hookctl-tests.XXXXXX")
export TOP SHARED HOOKCTL HOOKCTL_ASAN TMPDIR_T
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
log=$TMPDIR_T/all.log
: > "$log"

[ -n "$SHARED" ] || { echo "tests: ../shared is missing" >&2; exit 2; }

# run_part LABEL CMD...: runs CMD, shows and records its lines; a non-zero
# exit with no FAIL line still counts as one failure.
run_part() {
	label=$1; shift
	out=$TMPDIR_T/part.out
	"$@" > "$out" 2>&1
	rc=$?
	cat "$out"
	cat "$out" >> "$log"
	if [ $rc -ne 0 ] && ! grep -q '^FAIL ' "$out"; then
		echo "FAIL $label: exited $rc without a FAIL line" | tee -a "$log"
	fi
}

echo "== unit tests (clang, ASan+UBSan)"
for src in tests/unit/test_*.c; do
	[ -f "$src" ] || continue
	t=build/asan/$(basename "$src" .c)
	if clang -std=c11 -g -O1 -D_DEFAULT_SOURCE -fno-omit-frame-pointer \
		-fsanitize=address,undefined -fno-sanitize-recover=all \
		-Wall -Werror=unused-function \
		-I. -I/usr/include/cjson -o "$t" "$src" build/asan/libhk.a \
		-lbearssl -lcjson -lm > "$TMPDIR_T/cc.out" 2>&1; then
		run_part "$t" "$t"
	else
		cat "$TMPDIR_T/cc.out"
		echo "FAIL $src: does not compile" | tee -a "$log"
	fi
done

echo "== offline suites"
for s in tests/suite_*.sh; do
	[ -f "$s" ] || continue
	echo "-- $s"
	run_part "$s" sh "$s"
done

if [ -n "${HOOKCTL_NO_CLUSTER:-}" ]; then
	echo "== cluster suites: not run (HOOKCTL_NO_CLUSTER is set)"
else
	echo "== cluster suites"
	if ls tests/cluster_*.sh >/dev/null 2>&1; then
		if make -s cluster-up > "$TMPDIR_T/up.out" 2>&1; then
			for s in tests/cluster_*.sh; do
				echo "-- $s"
				run_part "$s" sh "$s"
			done
		else
			tail -n 30 "$TMPDIR_T/up.out"
			echo "FAIL cluster-up: the control plane did not start" | tee -a "$log"
		fi
		make -s cluster-down >/dev/null 2>&1
	fi
fi

passed=$(grep -c '^PASS ' "$log")
failed=$(grep -c '^FAIL ' "$log")
rm -rf "$TMPDIR_T"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
