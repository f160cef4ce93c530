#!/bin/sh
# yaml_min through `hookctl json`: the resolution table (golden), error
# messages and limits, the fuzz regression inputs (sanitizer build), and
# every file of ../shared/corpus against PyYAML with go-yaml v2's resolver
# (tests/yaml/corpus_oracle.py).  The YAML test suite is run by
# tests/unit/test_yaml_suite.c.
. "$TOP/tests/lib.sh"
Y=$TOP/tests/yaml
T=$TMPDIR_T/yaml
mkdir -p "$T"

# json prints one compact line per non-null document; errors are
# path:line:col: msg with exit 2.
"$HOOKCTL" json -f "$Y/resolve.yaml" > "$T/resolve.json" 2>&1
check_file_eq "yaml: resolution table (go-yaml v2 rules)" "$Y/resolve.json" "$T/resolve.json"

err() { # err NAME INPUT EXPECTED_STDERR
	printf '%b' "$2" > "$T/in.yaml"
	"$HOOKCTL" json -f "$T/in.yaml" > /dev/null 2> "$T/err"; rc=$?
	check_eq "yaml: $1" "2 $T/in.yaml:$3" "$rc $(cat "$T/err")"
}
err "duplicate key" 'a: 1\nb:\n  c: 1\n  c: 2\n' \
	'4:3: found duplicate key "c", expected unique keys in a mapping'
err "bad indentation" 'a:\n  b:\n    c: 1\n   d: 2\n' \
	'4:4: found "d" at column 4, expected a key at column 3'
err "unclosed flow" 'a: [1, 2\n' '2:1: found end of input, expected "," or "]"'
err "undefined alias" 'a: *x\n' \
	'1:4: found undefined alias "x", expected an anchor defined before it'
err "local tag unsupported" 'a: !foo x\n' '1:4: unsupported: tag !foo'
err "complex key unsupported" '? a\n: b\n' '1:1: unsupported: complex mapping key ("?")'
err "%TAG unsupported" '%TAG ! tag:x,2000:\n--- a\n' '1:1: unsupported: %TAG directive'
err "tab indentation" 'a:\n\tb: 1\n' '2:2: found a tab in indentation, expected spaces'
err "NUL escape" 'a: "x\\0"\n' '1:6: unsupported: NUL in a string'
err "control byte" 'a: b\001\n' '1:5: found a byte that is not printable UTF-8, expected text'
err "bad UTF-8" 'a: \303\050\n' '1:4: found a byte that is not printable UTF-8, expected text'
err "mapping on a value line" 'a: b: c\n' \
	'1:5: found ":", expected a value (a block mapping must start on a new line)'
err ".inf has no JSON" 'a: .inf\n' '1:4: unsupported: .inf has no JSON form'

# stdin, BOM, CRLF, null documents skipped
printf '\357\273\277# c\r\n---\r\na: 1\r\n---\r\n# only a comment\r\n...\r\n--- |\r\n  x\r\n' |
	"$HOOKCTL" json -f - > "$T/out" 2>&1
check_eq "yaml: BOM, CRLF, null documents, stdin" '{"a":1}
"x\n"' "$(cat "$T/out")"

# Billion laughs: nine levels of nine aliases fail fast, with a message.
{
	echo 'a: &a [x, x, x, x, x, x, x, x, x]'
	prev=a
	for l in b c d e f g h i j; do
		printf '%s: &%s [*%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s]\n' \
			$l $l $prev $prev $prev $prev $prev $prev $prev $prev $prev
		prev=$l
	done
} > "$T/laughs.yaml"
start=$(date +%s)
"$HOOKCTL" json -f "$T/laughs.yaml" > /dev/null 2> "$T/err"; rc=$?
secs=$(( $(date +%s) - start ))
case "$rc $(cat "$T/err")" in
"2 $T/laughs.yaml:"*"unsupported: aliases expand to more than"*) pass "yaml: billion laughs rejected" ;;
*) fail "yaml: billion laughs rejected" "exit $rc: $(cat "$T/err")" ;;
esac
check "yaml: billion laughs fails within 3 s (${secs}s)" [ "$secs" -le 3 ]

# Deep nesting is refused, not a stack overflow (sanitizer build).
/usr/bin/python3 -c 'print("a: " + "[" * 5000 + "]" * 5000)' > "$T/deep.yaml"
"$HOOKCTL_ASAN" json -f "$T/deep.yaml" > /dev/null 2> "$T/err"; rc=$?
check_eq "yaml: nesting bound" "2 $T/deep.yaml:1:203: unsupported: nesting deeper than 200" \
	"$rc $(cat "$T/err")"

# Fuzz regression inputs: no crash, no sanitizer report.
n=0; bad=
for f in "$TOP"/tests/fuzz-regress/yaml/*; do
	[ -f "$f" ] || continue
	n=$((n + 1))
	"$HOOKCTL_ASAN" json -f "$f" > /dev/null 2> "$T/err"; rc=$?
	[ $rc -eq 0 ] || [ $rc -eq 2 ] || bad="$bad $(basename "$f"):$rc"
done
check_eq "yaml: $n fuzz regression inputs replay cleanly" "" "$bad"

# The corpus against PyYAML (go-yaml v2 resolver).
if /usr/bin/python3 -c 'import yaml._yaml' 2> /dev/null; then
	/usr/bin/python3 "$Y/corpus_oracle.py" "$HOOKCTL" "$Y/corpus-expect.txt" \
		"$SHARED/corpus" > "$T/corpus.out" 2>&1
	cat "$T/corpus.out"
	check "yaml: corpus oracle ran over all files" \
		[ "$(grep -c '^PASS corpus ' "$T/corpus.out")" -ge 100 ]
else
	fail "yaml: corpus oracle" "/usr/bin/python3 lacks python3-yaml (libyaml)"
fi

# json's own writer prints what cJSON_PrintUnformatted prints ("%1.15g",
# else "%1.17g" when that reads back more than an epsilon away, so that
# 0.30000000000000004 is 0.3 as in cJSON; exact integers; escapes), also for
# numbers no integer holds (the sanitizer build fails on an out-of-range
# conversion).
printf '%s\n' 'a: 1e300' 'b: -1.5e308' 'c: 123456789012345' 'd: -0.0' 'e: 0.1' \
	'f: 1e15' 'g: 12345678901234567890' 'h: 2.5e-7' 'i: 0.30000000000000004' \
	'j: -7' 'k: "t\tq\"b\\c\x01\u00e9/"' > "$T/nums.yaml"
want='{"a":1e+300,"b":-1.5e+308,"c":123456789012345,"d":-0,"e":0.1,"f":1e+15,"g":12345678901234567890,"h":2.5e-07,"i":0.3,"j":-7,"k":"t\tq\"b\\c\u0001é/"}'
check_eq "yaml: json prints numbers and escapes as cJSON does" "$want" \
	"$("$HOOKCTL" json -f "$T/nums.yaml" 2>&1)"
check_eq "yaml: the same from the sanitizer build" "$want" \
	"$("$HOOKCTL_ASAN" json -f "$T/nums.yaml" 2>&1)"
