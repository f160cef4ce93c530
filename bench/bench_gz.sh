#!/bin/sh
# gz_min against zlib (Debian's zlib1g-dev, linked into the test-only
# tests/gz/gztool.c, never into hookctl), same files, same run:
#  - inflate: the corpus gzipped by zlib at level 9, decoded by both;
#  - deflate: output size and time against zlib level 6, on the corpus and
#    on release records shaped as Helm's (JSON with the manifest and the
#    chart's templates in base64), made here from the corpus's renders;
#  - the size gz_min adds to a static musl program, and gz_min.o's size.
# gz_min.c is built with the binary's flags (-Os), the driver with -O2.
# Budgets (issue 14, DESIGN.md): inflate at least 0.5x zlib's throughput;
# deflate output at most 1.10x zlib -6's size, at least 0.25x its speed;
# at most 8 KB added to the binary.
set -u
. "$TOP/bench/lib.sh"
B=$TOP/build/bench/gz
mkdir -p "$B/release"
rounds=${GZ_ROUNDS:-7}
if ! { cc -std=c11 -Os -D_DEFAULT_SOURCE -c -o "$B/gz_min.o" "$TOP/gz_min.c" &&
	cc -std=c11 -Os -D_DEFAULT_SOURCE -c -o "$B/http_min.o" "$TOP/http_min.c" &&
	cc -std=c11 -O2 -D_DEFAULT_SOURCE -I"$TOP" -c -o "$B/gztool.o" "$TOP/tests/gz/gztool.c" &&
	cc -o "$B/gztool" "$B/gztool.o" "$B/gz_min.o" "$B/http_min.o" -lz -lbearssl; } 2> "$B/cc.out"; then
	echo "SKIP gzip: cannot build the zlib peer (apt-get install zlib1g-dev)"
	cat "$B/cc.out"
	exit 0
fi

# Release records as Helm writes them before gzip: one per render.
/usr/bin/python3 - "$SHARED/corpus/rendered" "$B/release" <<'EOF'
import base64, json, os, sys
src, out = sys.argv[1], sys.argv[2]
for f in sorted(os.listdir(src)):
    text = open(os.path.join(src, f), 'rb').read()
    name = f.rsplit('.', 1)[0][:53].lower()
    rel = {
        'name': name,
        'info': {'first_deployed': '2025-01-01T00:00:00Z', 'last_deployed':
                 '2025-01-01T00:00:00Z', 'deleted': '', 'description':
                 'Install complete', 'status': 'deployed'},
        'chart': {'metadata': {'name': name, 'version': '1.0.0',
                               'apiVersion': 'v2'},
                  'templates': [{'name': 'templates/' + f,
                                 'data': base64.b64encode(text).decode()}],
                  'values': {'replicaCount': 1, 'image': {'tag': 'v1'}}},
        'manifest': text.decode('utf-8', 'replace'),
        'version': 1, 'namespace': 'default',
    }
    open(os.path.join(out, name + '.json'), 'w').write(json.dumps(rel))
EOF

corpus=$(find "$SHARED/corpus" -name '*.y*ml' | sort)
releases=$(find "$B/release" -name '*.json' | sort)
"$B/gztool" bench "$rounds" $corpus > "$B/corpus.out" || { echo "FAIL gztool bench corpus"; exit 1; }
"$B/gztool" bench "$rounds" $releases > "$B/release.out" || { echo "FAIL gztool bench releases"; exit 1; }
v() { awk -v k="$2" '$1 == k { print $2 }' "$B/$1.out"; }

mb=$(awk -v b="$(v corpus bytes)" 'BEGIN { printf "%.1f", b / 1048576 }')
mi=$(awk -v b="$(v corpus bytes)" -v t="$(v corpus inflate_ms)" 'BEGIN { printf "%.0f", b / 1048576 / (t / 1000) }')
zi=$(awk -v b="$(v corpus bytes)" -v t="$(v corpus zlib_inflate_ms)" 'BEGIN { printf "%.0f", b / 1048576 / (t / 1000) }')
r=$(awk -v m="$(v corpus inflate_ms)" -v z="$(v corpus zlib_inflate_ms)" 'BEGIN { printf "%.2f", z / m }')
echo "corpus: $mb MB in $(v corpus files) files, $(v corpus gz9_bytes) bytes at zlib -9"
budget "gzip inflate throughput vs zlib (corpus at -9)" "${r}x ($mi vs $zi MB/s)" \
	"$(awk -v r="$r" 'BEGIN { print (r >= 0.5) ? 1 : 0 }') -eq 1" "at least 0.5x"

for set in corpus release; do
	s=$(awk -v m="$(v $set deflate_bytes)" -v z="$(v $set zlib6_bytes)" 'BEGIN { printf "%.4f", m / z }')
	budget "gzip deflate size vs zlib -6 ($set: $(v $set files) files, $(v $set bytes) bytes)" \
		"${s}x ($(v $set deflate_bytes) vs $(v $set zlib6_bytes) bytes)" \
		"$(awk -v s="$s" 'BEGIN { print (s <= 1.10) ? 1 : 0 }') -eq 1" "at most 1.10x"
done
dm=$(awk -v a="$(v corpus deflate_ms)" -v b="$(v release deflate_ms)" 'BEGIN { print a + b }')
dz=$(awk -v a="$(v corpus zlib6_deflate_ms)" -v b="$(v release zlib6_deflate_ms)" 'BEGIN { print a + b }')
r=$(awk -v m="$dm" -v z="$dz" 'BEGIN { printf "%.2f", z / m }')
budget "gzip deflate speed vs zlib -6 (corpus and releases)" "${r}x ($dm vs $dz ms)" \
	"$(awk -v r="$r" 'BEGIN { print (r >= 0.25) ? 1 : 0 }') -eq 1" "at least 0.25x"

# The size a caller links: a static musl program calling gz_inflate_alloc,
# gz_deflate and gz_strerror, against the same program with stubs, both
# with the binary's flags (--gc-sections keeps only what is called).
if command -v musl-gcc > /dev/null 2>&1; then
	cat > "$B/link.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gz_min.h"
/* what hookctl links anyway */
void *volatile keep[] = { (void *)malloc, (void *)realloc, (void *)free,
	(void *)memchr, (void *)memcpy, (void *)memset, (void *)strlen };
#ifndef GZ
int gz_inflate_alloc(const void *in, size_t len, size_t limit,
    unsigned char **out, size_t *outlen, gz_err *e) { return keep[0] != 0; }
int gz_deflate(const void *in, size_t len, void *out, size_t cap,
    size_t *outlen, gz_err *e) { return keep[1] != 0; }
const char *gz_strerror(int c) { return keep[2]; }
#endif
int main(int argc, char **argv)
{
	unsigned char *o, out[1024];
	size_t n;
	gz_err e;

	gz_inflate_alloc(argv[0], strlen(argv[0]), 100, &o, &n, &e);
	gz_deflate(argv[0], strlen(argv[0]), out, sizeof out, &n, &e);
	puts(gz_strerror(e.code));
	puts(keep[argc]);
	return 0;
}
EOF
	F="-std=c11 -Os -D_DEFAULT_SOURCE -ffunction-sections -fdata-sections \
		-fno-asynchronous-unwind-tables -fno-unwind-tables -static -s \
		-Wl,--gc-sections -Wl,--build-id=none -Wl,-z,noseparate-code \
		-Wl,-z,norelro -I$TOP -w"
	musl-gcc $F -o "$B/link0" "$B/link.c" &&
	musl-gcc $F -DGZ -o "$B/link1" "$B/link.c" "$TOP/gz_min.c" &&
	musl-gcc -std=c11 -Os -D_DEFAULT_SOURCE -ffunction-sections -fdata-sections \
		-fno-asynchronous-unwind-tables -fno-unwind-tables -c -o "$B/gz_min.musl.o" "$TOP/gz_min.c"
	t0=$(size "$B/link0" | awk 'NR == 2 { print $1 + $2 }')
	t1=$(size "$B/link1" | awk 'NR == 2 { print $1 + $2 }')
	f0=$(wc -c < "$B/link0")
	f1=$(wc -c < "$B/link1")
	o=$(size "$B/gz_min.musl.o" | awk 'NR == 2 { print $1 + $2 }')
	d=$((t1 - t0))
	echo "gz_min.o: $o bytes (text+data); file size added: $((f1 - f0)) bytes (in whole pages)"
	budget "gzip code added to a static binary (inflate, deflate, messages)" \
		"$d bytes" "$d -le 8192" "at most 8 KB"
fi
