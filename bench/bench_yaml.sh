#!/bin/sh
# YAML to JSON: `hookctl json` over ../shared/corpus against libyaml's event
# parser alone (bench/yaml_events.c, Debian's libyaml-dev), same files, same
# run; and hookctl's peak RSS on each file against its size.
# Budgets (DESIGN.md): at least 2x libyaml's throughput; peak RSS under
# 4x the largest input + 1 MB.
set -u
. "$TOP/bench/lib.sh"
B=$TOP/build/bench
mkdir -p "$B"
if ! cc -O2 -o "$B/yaml_events" "$TOP/bench/yaml_events.c" -lyaml 2> "$B/cc.out"; then
	echo "SKIP yaml throughput: cannot build the libyaml peer (apt-get install libyaml-dev)"
	cat "$B/cc.out"
	exit 0
fi
# Every corpus file that parses (the few rejected on purpose are listed in
# tests/yaml/corpus-expect.txt).
skip=$(grep -v '^#' "$TOP/tests/yaml/corpus-expect.txt" | cut -d' ' -f1)
files=
fargs=
bytes=0
largest=0
for f in $(cd "$SHARED/corpus" && find . -name '*.y*ml' | sort); do
	f=${f#./}
	case " $(echo $skip) " in *" $f "*) continue ;; esac
	files="$files $SHARED/corpus/$f"
	fargs="$fargs -f $SHARED/corpus/$f"
	s=$(wc -c < "$SHARED/corpus/$f")
	bytes=$((bytes + s))
	[ "$s" -gt "$largest" ] && { largest=$s; lfile=$f; }
done
"$HOOKCTL" json $fargs > /dev/null || { echo "FAIL hookctl json on the corpus"; exit 1; }
"$B/yaml_events" $files > /dev/null || { echo "FAIL yaml_events on the corpus"; exit 1; }
# best of 5, alternating
h=999999; l=999999
for i in 1 2 3 4 5; do
	t=$(wall_ms 1 "$HOOKCTL" json $fargs)
	h=$(awk -v a="$h" -v b="$t" 'BEGIN { print (b < a) ? b : a }')
	t=$(wall_ms 1 "$B/yaml_events" $files)
	l=$(awk -v a="$l" -v b="$t" 'BEGIN { print (b < a) ? b : a }')
done
# CPU time (user + sys) too: wall time on a shared 2-core machine is noisy
cpu() { /usr/bin/time -f '%U %S' "$@" 2>&1 >/dev/null | tail -n 1 | awk '{ printf "%.0f", ($1 + $2) * 1000 }'; }
hc=$(cpu "$HOOKCTL" json $fargs)
lc=$(cpu "$B/yaml_events" $files)
echo "cpu (user+sys): hookctl json ${hc} ms, libyaml events ${lc} ms: $(awk -v h="$hc" -v l="$lc" 'BEGIN { printf "%.2f", l / (h > 0 ? h : 1) }')x"
mb=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1048576 }')
hs=$(awk -v b="$bytes" -v t="$h" 'BEGIN { printf "%.0f", b / 1048576 / (t / 1000) }')
ls=$(awk -v b="$bytes" -v t="$l" 'BEGIN { printf "%.0f", b / 1048576 / (t / 1000) }')
ratio=$(awk -v h="$h" -v l="$l" 'BEGIN { printf "%.2f", l / h }')
echo "corpus: $mb MB in $(echo $files | wc -w) files; hookctl json ${h} ms (${hs} MB/s), libyaml events ${l} ms (${ls} MB/s)"
budget "yaml to json throughput vs libyaml events" "${ratio}x (${hs} vs ${ls} MB/s)" \
	"$(awk -v r="$ratio" 'BEGIN { print (r >= 2) ? 1 : 0 }') -eq 1" "at least 2x"
# peak RSS, file by file: the worst margin against 4x size + 1 MB
worst=; wr=0
for f in $files; do
	kb=$(peak_kb "$HOOKCTL" json -f "$f")
	s=$(wc -c < "$f")
	r=$(awk -v k="$kb" -v s="$s" 'BEGIN { printf "%.3f", k * 1024 / (4 * s + 1048576) }')
	if awk -v r="$r" -v w="$wr" 'BEGIN { exit !(r > w) }'; then
		wr=$r; worst="$(basename "$f") ($s B): $kb KiB"
	fi
done
lkb=$(peak_kb "$HOOKCTL" json -f "$SHARED/corpus/$lfile")
lim=$(( (4 * largest + 1048576) / 1024 ))
budget "peak RSS on the largest input ($lfile, $largest B)" "$lkb KiB" "$lkb -lt $lim" "under $lim KiB"
budget "peak RSS per file, worst share of 4x size + 1 MB" "$worst, $wr" \
	"$(awk -v r="$wr" 'BEGIN { print (r < 1) ? 1 : 0 }') -eq 1" "under 1"
