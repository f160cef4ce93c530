# tests/exec/oracle.sh: sourced by the executor's cluster suites.  Runs the
# same chart with helm and with hookctl in two fresh namespaces of the same
# control plane and compares what each did, from the API server's audit log.
#
# Needs: $TOP, .cluster/env sourced (KUBECTL, HELM, AUDIT_LOG, AUDIT_SEQ).

# fresh_ns PREFIX: creates and prints a new namespace name.
fresh_ns() {
	_n=$1-$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
	"$KUBECTL" create namespace "$_n" >/dev/null 2>&1 || return 1
	echo "$_n"
}

audit_mark() { "$AUDIT_SEQ" --mark "$AUDIT_LOG"; }

# seq_of AGENT NS MARK: the writes AGENT made in NS after MARK, one line each,
# "verb Kind name code" (helm's release records, Secrets named
# sh.helm.release.*, and Events left out; subresources are other clients').
seq_of() {
	"$AUDIT_SEQ" --after "$3" -a "$1" -u admin -n "$2" -x Event -c "$AUDIT_LOG" |
		awk '$2 !~ /\// && !($2 == "Secret" && $4 ~ /^sh\.helm\.release\./) { print $1, $2, $4, $5 }'
}

# waits_of AGENT NS MARK: the watches AGENT opened in NS ("watch Kind name").
waits_of() {
	"$AUDIT_SEQ" --after "$3" -a "$1" -u admin -n "$2" --all "$AUDIT_LOG" |
		awk '$1 == "watch" { print $1, $2, $4 }'
}

# normalize: sorts runs of consecutive lines with the same verb and kind
# (Helm creates and deletes objects of one kind concurrently, so their
# order inside such a run is not defined).
normalize() {
	awk '{ k = $1 " " $2; if (k != prev && n) { flush() } prev = k; buf[n++] = $0 }
	     function flush() { cmd = "sort"; for (i = 0; i < n; i++) print buf[i] | cmd; close(cmd); n = 0 }
	     END { if (n) flush() }'
}

# wait_audit: the audit log is written asynchronously; give it a moment.
wait_audit() { sleep "${1:-1}"; }
