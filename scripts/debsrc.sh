# debsrc.sh: sourced by scripts/deps.sh and tests/cluster/setup.sh, which
# define say and die.  add_deb_src makes a deb-src entry from the machine's
# own deb entry (no mirror is named here) for `apt-get source`.

have_deb_src() {
	grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ ||
		grep -rqs '^deb-src' /etc/apt/sources.list /etc/apt/sources.list.d/
}

add_deb_src() {
	have_deb_src && return 0
	[ "$(id -u)" = 0 ] || die "no deb-src entry; as root, add one for your deb entry and run apt-get update"
	if [ -f /etc/apt/sources.list.d/debian.sources ]; then
		sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources \
			> /etc/apt/sources.list.d/hookctl-src.sources
	elif [ -f /etc/apt/sources.list ]; then
		grep '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' \
			> /etc/apt/sources.list.d/hookctl-src.list
	else
		die "cannot find the machine's deb entry to derive a deb-src entry from"
	fi
	say "added a deb-src entry; apt-get update"
	apt-get update -qq >&2
}
