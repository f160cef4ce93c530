#!/bin/sh
# bench/run.sh: make bench.  Every figure is a ratio against a peer measured
# in the same run, as DESIGN.md's budgets are written.  Each bench_*.sh
# prints "BUDGET name: figure (budget) ok|OVER" lines; this exits non-zero
# if any is OVER.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"
SHARED=${SHARED:-$(cd "$TOP/../shared" && pwd)}
HOOKCTL=$TOP/hookctl
export TOP SHARED HOOKCTL
out=$(mktemp)
for b in bench/bench_*.sh; do
	[ -f "$b" ] || continue
	echo "== $b"
	sh "$b" 2>&1 | tee -a "$out"
done
over=$(grep -c '^BUDGET .* OVER$' "$out")
total=$(grep -c '^BUDGET ' "$out")
rm -f "$out"
echo "bench: $total budgets checked, $over over"
[ "$over" -eq 0 ]
