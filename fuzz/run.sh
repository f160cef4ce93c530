#!/bin/sh
# fuzz/run.sh: make fuzz.  Builds each fuzz/fuzz_*.c with libFuzzer, ASan
# and UBSan and runs it for FUZZ_SECONDS (default 120) from its seeds; a
# crasher is left in fuzz/crash-* to be kept as a regression input under
# tests/fuzz-regress/<target>/.
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"
secs=${FUZZ_SECONDS:-120}
mkdir -p build/fuzz
for src in fuzz/fuzz_*.c; do
	[ -f "$src" ] || continue
	t=$(basename "$src" .c)
	echo "== $t ($secs s)"
	clang -std=c11 -g -O1 -D_DEFAULT_SOURCE -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all -I. -I/usr/include/cjson \
		-o "build/fuzz/$t" "$src" yaml_min.c plan.c k8s_min.c http_min.c json_min.c \
		gz_min.c -lbearssl -lcjson -lz -lm
	corpus=fuzz/corpus-${t#fuzz_}
	mkdir -p "$corpus"
	seeds=
	[ -d "fuzz/seeds/${t#fuzz_}" ] && seeds=fuzz/seeds/${t#fuzz_}
	dict=
	[ -f "fuzz/${t#fuzz_}.dict" ] && dict=-dict=fuzz/${t#fuzz_}.dict
	"build/fuzz/$t" -max_total_time="$secs" -artifact_prefix=fuzz/crash-"${t#fuzz_}"- \
		$dict "$corpus" $seeds
done
