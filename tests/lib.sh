# tests/lib.sh: sourced by every tests/suite_*.sh and tests/cluster_*.sh.
# Each check prints one line, "PASS name" or "FAIL name: why"; tests/run.sh counts them.

pass() { printf 'PASS %s\n' "$1"; }
fail() { n=$1; shift; printf 'FAIL %s: %s\n' "$n" "$*"; }

# check NAME CMD...: passes when CMD exits 0; its output is shown on failure.
check() {
	n=$1; shift
	if out=$("$@" 2>&1); then pass "$n"
	else fail "$n" "exit $?: $(printf '%s' "$out" | tail -n 5 | tr '\n' '|')"; fi
}

# check_eq NAME EXPECTED ACTUAL
check_eq() {
	if [ "$2" = "$3" ]; then pass "$1"
	else fail "$1" "expected [$2], got [$3]"; fi
}

# check_file_eq NAME EXPECTED_FILE ACTUAL_FILE: a unified diff on failure.
check_file_eq() {
	if d=$(diff -u "$2" "$3" 2>&1); then pass "$1"
	else fail "$1" "$(printf '%s' "$d" | head -n 20 | tr '\n' '|')"; fi
}

# check_exit NAME CODE CMD...: passes when CMD exits with CODE.
check_exit() {
	n=$1; c=$2; shift 2
	"$@" >/dev/null 2>&1; r=$?
	check_eq "$n" "$c" "$r"
}
