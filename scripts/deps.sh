#!/bin/sh
# deps.sh: install what hookctl's build and tests need on Debian bookworm, and
# build BearSSL and cJSON from Debian's source packages with musl-gcc into
# $DEPS (default .deps). Idempotent: a second run checks and says so.
#
# usage: scripts/deps.sh [build|test]
#   build  packages for the static binary and the sanitizer build (default)
#   test   also the packages the test suite needs (oracles, control plane)
set -eu

what=${1:-build}
DEPS=${DEPS:-.deps}
stamp=$DEPS/stamp

BUILD_PKGS="musl-tools dpkg-dev make clang libbearssl-dev libcjson-dev file"
TEST_PKGS="libyaml-dev python3 python3-yaml openssl curl unzip rsync golang-go \
etcd-server golang-github-modern-go-reflect2-dev procps psmisc util-linux \
libclang-rt-14-dev hyperfine time zlib1g-dev"

say() { printf 'deps: %s\n' "$*"; }
die() { printf 'deps: %s\n' "$*" >&2; exit 1; }

missing() {
	m=
	for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' ||
			m="$m $p"
	done
	printf '%s' "$m"
}

pkgs=$BUILD_PKGS
[ "$what" = test ] && pkgs="$pkgs $TEST_PKGS"
need=$(missing $pkgs)
if [ -n "$need" ]; then
	if [ "$(id -u)" != 0 ]; then
		die "missing Debian packages:$need; run as root: apt-get install$need"
	fi
	say "installing:$need"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need >/dev/null
else
	say "packages: all present"
fi

# A deb-src entry from the machine's own deb entry.
. "$(dirname "$0")/debsrc.sh"

# No unwind tables: a static C binary never unwinds, and they are a tenth of its size.
DEP_CFLAGS='-Os -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables -fno-unwind-tables'
src_version() { dpkg-query -W -f='${Version}' "$1"; }
want="bearssl=$(src_version libbearssl-dev) cjson=$(src_version libcjson-dev)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] &&
   [ "$(cat "$DEPS/cflags" 2>/dev/null)" = "$DEP_CFLAGS" ] &&
   [ -f "$DEPS/lib/libbearssl.a" ] && [ -f "$DEPS/lib/libcjson.a" ]; then
	say "musl builds of BearSSL and cJSON: cached in $DEPS ($want)"
	exit 0
fi

add_deb_src
rm -rf "$DEPS/src" "$DEPS/lib" "$DEPS/include"
mkdir -p "$DEPS/src" "$DEPS/lib" "$DEPS/include"
top=$(pwd)
cd "$DEPS/src"
say "fetching Debian sources of bearssl and cjson"
apt-get source -qq bearssl cjson >/dev/null 2>&1 ||
	die "apt-get source bearssl cjson failed (is there a deb-src entry? is dpkg-dev installed?)"
bdir=$(ls -d bearssl-*/ | head -n 1)
cdir=$(ls -d cjson-*/ | head -n 1)

say "building BearSSL with musl-gcc"
# BearSSL's own build: only the static library, with musl.
make -C "$bdir" -s CC=musl-gcc LD=musl-gcc LDDLL=musl-gcc CFLAGS="$DEP_CFLAGS" \
	build/libbearssl.a >/dev/null
cp "$bdir/build/libbearssl.a" ../lib/
cp "$bdir"/inc/*.h ../include/

say "building cJSON with musl-gcc"
musl-gcc $DEP_CFLAGS -c "$cdir/cJSON.c" -o cJSON.o
ar rcs ../lib/libcjson.a cJSON.o
cp "$cdir/cJSON.h" ../include/

cd "$top"
printf '%s\n' "$want" > "$stamp"
printf '%s\n' "$DEP_CFLAGS" > "$DEPS/cflags"
say "done: $DEPS/lib/libbearssl.a $DEPS/lib/libcjson.a ($want)"
