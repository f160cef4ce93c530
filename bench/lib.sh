# bench/lib.sh: sourced by bench/bench_*.sh.

# budget NAME FIGURE TEST BUDGET: prints "BUDGET NAME: FIGURE (BUDGET) ok|OVER";
# TEST is a test(1) expression such as "5 -lt 7".
budget() {
	if eval "[ $3 ]"; then v=ok; else v=OVER; fi
	printf 'BUDGET %s: %s (%s) %s\n' "$1" "$2" "$4" "$v"
}

# wall_ms N CMD...: the mean wall time of N runs of CMD, in milliseconds.
wall_ms() {
	n=$1; shift
	s=$(date +%s%N)
	i=0
	while [ $i -lt "$n" ]; do "$@" >/dev/null 2>&1; i=$((i + 1)); done
	e=$(date +%s%N)
	awk -v s="$s" -v e="$e" -v n="$n" 'BEGIN { printf "%.2f", (e - s) / n / 1e6 }'
}

# peak_kb CMD...: the peak resident set of CMD in KiB.
peak_kb() {
	/usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -n 1
}

# The helm binary the test set-up placed, if any.
find_helm() {
	if [ -f "$TOP/.cluster/env" ]; then
		( . "$TOP/.cluster/env"; [ -n "${HELM:-}" ] && [ -x "$HELM" ] && echo "$HELM" )
		return
	fi
	for h in /var/cache/hookctl/*/helm /var/cache/hookctl/*/*/helm; do
		[ -x "$h" ] && { echo "$h"; return; }
	done
}
