#!/bin/sh
# certs.sh DIR: the control plane's PKI, made with openssl into DIR.
#
#   ca.crt ca.key              the cluster CA (RSA 2048, 10 years)
#   apiserver.crt/.key         serving cert: DNS kubernetes, kubernetes.default,
#                              kubernetes.default.svc, kubernetes.default.svc.cluster.local,
#                              localhost; IP 127.0.0.1, 10.0.0.1
#   kubelet.crt/.key           the simulated kubelet's serving cert (IP 127.0.0.1, localhost)
#   apiserver-kubelet-client.crt/.key   the API server's client cert towards the kubelet
#   admin.crt/.key             client cert CN=admin, O=system:masters
#   limited.crt/.key           client cert CN=limited (no group: least privilege)
#   sa.key sa.pub              service-account token signing key pair
#
# Existing files are kept (a second run does nothing), so a restarted cluster
# keeps its CA and clients' kubeconfigs stay valid.
set -eu
dir=$1
mkdir -p "$dir"
cd "$dir"
umask 077

if [ -f ca.crt ] && [ -f sa.pub ] && [ -f limited.crt ]; then
	exit 0
fi
rm -f ./*.crt ./*.key ./*.pub ./*.csr ./*.srl ./*.cnf

key() { openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" 2>/dev/null; }

# sign NAME SUBJECT EXT...: NAME.key + NAME.crt signed by the CA.
sign() {
	name=$1 subj=$2
	shift 2
	key "$name.key"
	{
		echo "[ext]"
		echo "basicConstraints=critical,CA:FALSE"
		echo "keyUsage=critical,digitalSignature,keyEncipherment"
		for e in "$@"; do echo "$e"; done
	} > "$name.cnf"
	openssl req -new -key "$name.key" -subj "$subj" -out "$name.csr" 2>/dev/null
	openssl x509 -req -in "$name.csr" -CA ca.crt -CAkey ca.key -CAcreateserial \
		-days 3650 -sha256 -extfile "$name.cnf" -extensions ext -out "$name.crt" 2>/dev/null
	rm -f "$name.csr" "$name.cnf"
}

key ca.key
openssl req -x509 -new -key ca.key -subj "/CN=hookctl-test-ca" -days 3650 -sha256 \
	-addext "basicConstraints=critical,CA:TRUE" \
	-addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
	-out ca.crt 2>/dev/null

sign apiserver "/CN=kube-apiserver" "extendedKeyUsage=serverAuth" \
	"subjectAltName=DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,DNS:localhost,IP:127.0.0.1,IP:10.0.0.1"
sign kubelet "/CN=hookctl-node" "extendedKeyUsage=serverAuth" \
	"subjectAltName=DNS:localhost,DNS:hookctl-node,IP:127.0.0.1"
sign apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" \
	"extendedKeyUsage=clientAuth"
sign admin "/O=system:masters/CN=admin" "extendedKeyUsage=clientAuth"
sign limited "/CN=limited" "extendedKeyUsage=clientAuth"

key sa.key
openssl pkey -in sa.key -pubout -out sa.pub 2>/dev/null
rm -f ca.srl
chmod 644 ./*.crt sa.pub
