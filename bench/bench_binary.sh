#!/bin/sh
# The binary's size, and `hookctl version` against `helm version`.
set -u
. "$TOP/bench/lib.sh"

size=$(wc -c < "$HOOKCTL")
budget "static stripped binary" "$size bytes" "$size -lt 307200" "under 300 KB"

helm=$(find_helm)
if [ -z "$helm" ]; then
	echo "SKIP version speed: no helm binary (run make cluster-up or scripts set-up first)"
	exit 0
fi
h=$(wall_ms 20 "$helm" version)
k=$(wall_ms 20 "$HOOKCTL" version)
ratio=$(awk -v h="$h" -v k="$k" 'BEGIN { printf "%.1f", h / (k > 0 ? k : 0.001) }')
budget "version wall time vs helm" "hookctl ${k} ms, helm ${h} ms: ${ratio}x" \
	"$(awk -v r="$ratio" 'BEGIN { print (r >= 30) ? 1 : 0 }') -eq 1" "at least 30x faster"
