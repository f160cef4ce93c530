#!/bin/sh
# The binary itself: static, small, self-contained; version and help say
# what they must; usage errors exit 2.
. "$TOP/tests/lib.sh"

info=$(file -b "$HOOKCTL")
case $info in
*"statically linked"*) pass "file says statically linked" ;;
*) fail "file says statically linked" "$info" ;;
esac
check_eq "ldd says not a dynamic executable" "not a dynamic executable" \
	"$(ldd "$HOOKCTL" 2>&1 | sed 's/^[[:space:]]*//')"
size=$(wc -c < "$HOOKCTL")
check "stripped binary under 300 KB ($size bytes)" [ "$size" -lt 307200 ]

# An empty root holding only the binary: no loader, no libc, no /etc.
if [ "$(id -u)" = 0 ]; then
	root=$TMPDIR_T/chroot
	mkdir -p "$root"
	cp "$HOOKCTL" "$root/hookctl"
	printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n' > "$root/cm.yaml"
	check_eq "runs in an empty chroot" '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"}}' \
		"$(chroot "$root" /hookctl json -f /cm.yaml 2>&1)"
else
	echo "SKIP runs in an empty chroot: needs root"
fi

v=$("$HOOKCTL" version)
case $v in
*"hookctl "*"commit "*"static musl"*"BearSSL"*"bearssl="*"cjson="*) pass "version names build, TLS and libraries" ;;
*) fail "version names build, TLS and libraries" "$v" ;;
esac
check_eq "--version is version" "$v" "$("$HOOKCTL" --version)"
check "version -o json is JSON" sh -c "'$HOOKCTL' version -o json | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); assert d[\"tls\"]==\"BearSSL\"'"

h=$("$HOOKCTL" --help)
for c in plan lint json run install upgrade uninstall rollback test version; do
	case $h in
	*"  $c "*) pass "help lists $c" ;;
	*) fail "help lists $c" "not in --help" ;;
	esac
done
check_exit "no command exits 2" 2 "$HOOKCTL"
check_exit "unknown command exits 2" 2 "$HOOKCTL" frobnicate
check_exit "unknown flag exits 2" 2 "$HOOKCTL" json --frobnicate -f /dev/null
check_exit "json without -f exits 2" 2 "$HOOKCTL" json
check_exit "missing file exits 2" 2 "$HOOKCTL" json -f "$TMPDIR_T/does-not-exist.yaml"
check_exit "bad --timeout exits 2" 2 "$HOOKCTL" json --timeout 5 -f /dev/null
check_exit "bad -o exits 2" 2 "$HOOKCTL" version -o yaml
check_exit "command --help exits 0" 0 "$HOOKCTL" json --help
for d in 5m 90s 1h30m 1.5h 300ms 0; do
	check_exit "--timeout $d accepted" 0 "$HOOKCTL" json --timeout "$d" -f /dev/null
done

# A write error on stdout is an error, not a silent success.
if [ -w /dev/full ]; then
	check_exit "write error on stdout exits non-zero" 1 sh -c "'$HOOKCTL' version > /dev/full"
fi

# -f: a directory is read recursively in byte-wise path order; - is stdin.
d=$TMPDIR_T/dir
mkdir -p "$d/b" "$d/a"
printf 'k: 2\n' > "$d/b/x.yaml"
printf 'k: 1\n' > "$d/a/y.yml"
printf 'k: 3\n' > "$d/c.json"
printf 'k: 0\n' > "$d/B.yaml"
printf 'not: read\n' > "$d/notes.txt"
check_eq "a directory in path order" '{"k":0} {"k":1} {"k":2} {"k":3}' \
	"$("$HOOKCTL" json -f "$d" | tr '\n' ' ' | sed 's/ $//')"
check_eq "stdin with -f -" '{"k":5}' "$(printf 'k: 5\n' | "$HOOKCTL" json -f -)"
