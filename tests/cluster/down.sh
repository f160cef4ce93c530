#!/bin/sh
# down.sh: stop the local control plane (make cluster-down).
#
# Stops exactly the processes up.sh started, by the PIDs in $CLUSTER_DIR/pids
# (each checked against its recorded start time, so a reused PID is never
# touched), then checks that none of them, and no container process of the
# simulated kubelet (marked HOOKCTL_CLUSTER_MARK=<cluster dir> in its
# environment), is left.  Exit 1 if something could not be stopped.
#
# down.sh --status: exit 0 when every recorded process runs and the API
# server answers /readyz; 1 when nothing is up or a recorded process is gone;
# 2 when all run but /readyz does not answer ok (within 3 tries of 5 s).
# Changes nothing.
set -u

here=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$here/../.." && pwd)
C=${CLUSTER_DIR:-$TOP/.cluster}

say() { printf 'cluster-down: %s\n' "$*" >&2; }

starttime() { # PID -> field 22 of /proc/PID/stat (the comm field may hold spaces)
	sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f20
}
alive() { # PID START
	[ -d "/proc/$1" ] && [ "$(starttime "$1")" = "$2" ] &&
		! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null
}

if [ "${1:-}" = --status ]; then
	[ -f "$C/pids" ] && [ -f "$C/env" ] || exit 1
	while read -r name pid st; do
		alive "$pid" "$st" || { echo "$name ($pid) is not running"; exit 1; }
	done < "$C/pids"
	. "$C/env"
	for try in 1 2 3; do
		if curl -sf --max-time 5 --cacert "$CLUSTER_CA" \
			-H "Authorization: Bearer $(cat "$ADMIN_TOKEN_FILE")" \
			-A hookctl-cluster-status "$CLUSTER_SERVER/readyz" | grep -qx ok; then
			echo "up: $CLUSTER_SERVER"
			exit 0
		fi
		sleep 1
	done
	echo "running, but $CLUSTER_SERVER/readyz does not answer ok"
	exit 2
fi

# Marked container processes (the kubelet's children), by exact marker.
marked() {
	grep -lzxF "HOOKCTL_CLUSTER_MARK=$C" /proc/[0-9]*/environ 2>/dev/null |
		sed 's|^/proc/\([0-9]*\)/environ$|\1|'
}

if [ ! -f "$C/pids" ]; then
	say "not up (no $C/pids): nothing to stop"
	exit 0
fi

# " name(pid)" of each recorded process still running, in reverse start order.
recorded_left() {
	while read -r name pid st; do
		alive "$pid" "$st" && printf ' %s(%s)' "$name" "$pid"
	done < "$C/pids.rev"
	:
}

# signal_recorded SIG: to each recorded process still running.
signal_recorded() {
	while read -r name pid st; do
		alive "$pid" "$st" && kill "-$1" "$pid" 2>/dev/null
	done < "$C/pids.rev"
	:
}

# Stop in reverse start order: TERM, then KILL after 5 s.
tac "$C/pids" > "$C/pids.rev"
signal_recorded TERM
n=0
while :; do
	left=$(recorded_left)
	[ -z "$left" ] && break
	n=$((n + 1))
	if [ $n -eq 50 ]; then
		say "still running after 5 s:$left; sending KILL"
		signal_recorded KILL
	fi
	[ $n -ge 150 ] && break
	sleep 0.1
done

# A container's shell may fork a child between the listing and the kill,
# and a process seen gone above has been seen alive again a moment later
# (etcd, once in about ten cluster_zz runs under load): list and kill
# again until none is left, for up to 3 s, before saying so.
i=0
while :; do
	left=$(recorded_left)
	m=$(marked | tr '\n' ' ')
	[ -z "$left" ] && [ -z "$m" ] && break
	[ $i -ge 30 ] && break
	signal_recorded KILL
	for p in $m; do
		kill -KILL "$p" 2>/dev/null
	done
	sleep 0.1
	i=$((i + 1))
done

rc=0
if [ -n "$left" ] || [ -n "$m" ]; then
	states=
	for p in $(printf '%s\n' $left | sed 's/.*(\(.*\))/\1/') $m; do
		states="$states $p:$(sed -n 's/^State:[[:space:]]*//p' "/proc/$p/status" 2>/dev/null | cut -c1)"
	done
	say "error: could not stop:$left ${m:+container processes: $m} (states:$states)"
	rc=1
else
	say "stopped: $(cut -d' ' -f1,2 "$C/pids" | tr '\n' ' ')"
	rm -f "$C/pids" "$C/env"
fi
rm -f "$C/pids.rev"
if [ -f "$C/etcd-dir" ] && [ $rc -eq 0 ]; then
	d=$(cat "$C/etcd-dir")
	case $d in
	/dev/shm/hookctl-etcd.*|"$C"/etcd) rm -rf "$d" ;;
	esac
	rm -f "$C/etcd-dir"
fi
exit $rc
