#!/bin/sh
# Peak RSS of `hookctl plan`: the largest rendered chart of the corpus
# (3.1 MB) and the example chart, next to `helm template` of the example
# chart when a helm binary is at hand (DESIGN.md: under 16 MB and 2 MB).
set -u
. "$TOP/bench/lib.sh"

big=$SHARED/corpus/rendered/kuberay-operator-1.3.2-resources-kubeflow.yaml
small=$TOP/examples/demo.yaml
mid=$SHARED/corpus/rendered/istio-1.1.7-knative-istio-hooks.yaml   # about 100 KB

for f in "$big" "$mid" "$small"; do
	if ! "$HOOKCTL" plan install -f "$f" > /dev/null 2>&1; then
		echo "BUDGET plan peak RSS: plan install -f $f fails ($("$HOOKCTL" plan install -f "$f" 2>&1 | head -n 1)) (must plan) OVER"
		exit 0
	fi
done

kb=$(peak_kb "$HOOKCTL" plan install -f "$big")
budget "plan peak RSS, $(basename "$big") ($(wc -c < "$big") bytes)" "$kb KiB" \
	"$kb -lt 16384" "under 16 MB"
kb=$(peak_kb "$HOOKCTL" plan install -f "$big" -o json)
budget "plan -o json peak RSS, same file" "$kb KiB" "$kb -lt 16384" "under 16 MB"
kb=$(peak_kb "$HOOKCTL" plan install -f "$mid")
budget "plan peak RSS, $(basename "$mid") ($(wc -c < "$mid") bytes)" "$kb KiB" \
	"$kb -lt 2048" "under 2 MB"
skb=$(peak_kb "$HOOKCTL" plan install -f "$small")
budget "plan peak RSS, examples/demo.yaml ($(wc -c < "$small") bytes)" "$skb KiB" \
	"$skb -lt 2048" "under 2 MB"

helm=$(find_helm)
if [ -z "$helm" ]; then
	echo "SKIP helm template peak RSS: no helm binary (make cluster-up puts one in its cache; see docs/cluster.md)"
	exit 0
fi
hkb=$(peak_kb "$helm" template demo "$TOP/examples/demo")
if [ -z "$hkb" ] || ! "$helm" template demo "$TOP/examples/demo" > /dev/null 2>&1; then
	echo "SKIP helm template peak RSS: $helm template failed"
	exit 0
fi
ratio=$(awk -v h="$hkb" -v k="$skb" 'BEGIN { printf "%.1f", h / (k > 0 ? k : 1) }')
echo "INFO helm template examples/demo: $hkb KiB peak RSS; hookctl plan of its output: $skb KiB (${ratio}x less)"
echo "INFO helm cannot template the 3.1 MB corpus file: it is already rendered output, not a chart"
