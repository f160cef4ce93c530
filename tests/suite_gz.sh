#!/bin/sh
# gz_min against other implementations (docs/gzip.md "Tests"):
#  - every gzip file under tests/gz/ (Python's zlib, Go's compress/gzip,
#    and any added there, such as Helm's records: *.gz, or *.b64 for
#    base64 of them, once or twice) decodes to zlib's bytes, and to the
#    corpus files tests/gz/SOURCES names;
#  - bit flips, truncations, bad CRCs and ISIZEs of them: both refuse, or
#    both give the same bytes;
#  - gz_deflate of the corpus and the YAML test suite: zlib, gunzip,
#    Python and Go's reader give the input back;
#  - the fuzz regression inputs replay cleanly; the unit's size budget.
# tests/gz/gztool.c links zlib (zlib1g-dev), for the tests only.  The unit
# tests of tests/unit/test_gz.c need no zlib.
. "$TOP/tests/lib.sh"
G=$TOP/tests/gz
T=$TMPDIR_T/gz
mkdir -p "$T"
ASANCC="clang -std=c11 -g -O1 -D_DEFAULT_SOURCE -fno-omit-frame-pointer \
	-fsanitize=address,undefined -fno-sanitize-recover=all -Wall \
	-I$TOP -I/usr/include/cjson"

if ! $ASANCC -o "$T/gztool" "$G/gztool.c" "$TOP/build/asan/libhk.a" \
	-lbearssl -lcjson -lz -lm > "$T/cc.out" 2>&1; then
	fail "gz: tests/gz/gztool.c builds with zlib (zlib1g-dev)" \
		"$(head -n 5 "$T/cc.out" | tr '\n' '|')"
	exit 1
fi
tool=$T/gztool

# The differential over every gzip file kept, and Helm's when added.
files=$(find "$G" \( -name '*.gz' -o -name '*.b64' \) -type f | sort)
check "gz: tests/gz/ holds gzip files" [ -n "$files" ]
"$tool" check $files

# Files that decode to corpus files must decode to exactly them.
while read -r name src; do
	[ -n "$name" ] && [ "$src" != - ] || continue
	: > "$T/want"
	for s in $src; do cat "$SHARED/corpus/$s" >> "$T/want"; done
	if "$tool" inflate "$G/$name" > "$T/got" 2> "$T/err" &&
		cmp -s "$T/want" "$T/got"; then
		pass "gz: $name decodes to $src"
	else
		fail "gz: $name decodes to $src" "$(cat "$T/err")"
	fi
done < "$G/SOURCES"

# Corruptions of each gzip file: gz_min refuses what zlib refuses.
"$tool" corrupt $(find "$G" -name '*.gz' -type f | sort)

# gz_deflate: zlib reads back the corpus file by file, the YAML suite in all.
"$tool" roundtrip $(find "$SHARED/corpus" -type f | sort)
"$tool" roundtrip -q $(find "$SHARED/yaml-test-suite" -type f | sort)

# Other readers of gz_deflate's output: gunzip, Python, Go (Helm's reader).
printf '' > "$T/empty"
printf 'x' > "$T/one"
big=$SHARED/corpus/rendered/kuberay-operator-1.3.2-resources-kubeflow.yaml
pairs=
for f in "$T/empty" "$T/one" "$big" "$SHARED/corpus/kubeconfig/java-kubeconfig-https-x509-certdata.yaml"; do
	b=$T/$(basename "$f").mine.gz
	"$tool" deflate "$f" > "$b" || fail "gz: gz_deflate $f" "exit $?"
	pairs="$pairs $b $f"
	check "gz: gunzip reads gz_deflate's $(basename "$f")" \
		sh -c "gzip -dc < '$b' | cmp -s - '$f'"
	check "gz: Python's gzip reads gz_deflate's $(basename "$f")" \
		/usr/bin/python3 -c "import gzip,sys; sys.exit(gzip.decompress(open('$b','rb').read()) != open('$f','rb').read())"
done
if command -v go > /dev/null 2>&1; then
	# offline: standard library only, no module lookups
	(cd "$T" && HOME=${HOME:-$T} GO111MODULE=off GOPROXY=off GOFLAGS= \
		go run "$G/goread.go" $pairs) 2>&1
else
	fail "gz: Go's gzip reader" "go is missing (golang-go)"
fi

# Fuzz regression inputs through the fuzz harnesses (they use zlib).
if $ASANCC -o "$T/fuzz_replay" "$G/fuzz_replay.c" "$TOP/build/asan/libhk.a" \
	-lbearssl -lcjson -lz -lm > "$T/cc.out" 2>&1; then
	"$T/fuzz_replay" "$TOP/tests/fuzz-regress/gz_inflate" \
		"$TOP/tests/fuzz-regress/gz_roundtrip"
else
	fail "gz: tests/gz/fuzz_replay.c builds" "$(head -n 5 "$T/cc.out" | tr '\n' '|')"
fi

# The size the unit adds to the static binary (issue 14: at most 8 KB):
# gz_min.o with the binary's flags; bench/bench_gz.sh also links it.
if command -v musl-gcc > /dev/null 2>&1; then
	musl-gcc -std=c11 -Os -D_DEFAULT_SOURCE -ffunction-sections -fdata-sections \
		-fno-asynchronous-unwind-tables -fno-unwind-tables \
		-c -o "$T/gz_min.o" "$TOP/gz_min.c"
	sz=$(size "$T/gz_min.o" | awk 'NR == 2 { print $1 + $2 }')
	check "gz: gz_min.o is under 8 KB with the binary's flags ($sz bytes)" \
		[ "${sz:-99999}" -lt 8192 ]
fi
