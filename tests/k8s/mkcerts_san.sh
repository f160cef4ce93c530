#!/bin/sh
# mkcerts_san.sh DIR: the PKI of test_http_net's name checks (EC P-256,
# fast to make).  Every leaf has CN=localhost; they differ in the SAN:
#   ca.crt/.key          the trusted CA
#   cnonly.crt/.key      no subjectAltName at all (legacy CN only)
#   dns.crt/.key         DNS:localhost
#   iponly.crt/.key      IP:127.0.0.1 (a SAN, but no DNS name)
set -eu
d=$1
mkdir -p "$d"
cd "$d"
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
key ca.key
openssl req -x509 -new -key ca.key -subj "/CN=test-ca" -days 2 -sha256 \
	-addext "basicConstraints=critical,CA:TRUE" \
	-addext "keyUsage=critical,keyCertSign,cRLSign" -out ca.crt 2>/dev/null
# leaf NAME SAN SERIAL (SAN "" for none)
leaf() {
	key "$1.key"
	printf '[x]\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n' > "$1.ext"
	[ -z "${2:-}" ] || printf 'subjectAltName=%s\n' "$2" >> "$1.ext"
	openssl req -new -key "$1.key" -subj "/CN=localhost" -out "$1.csr" 2>/dev/null
	openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -set_serial "$3" \
		-days 2 -sha256 -extfile "$1.ext" -extensions x -out "$1.crt" 2>/dev/null
	rm -f "$1.csr" "$1.ext"
}
leaf cnonly "" 101
leaf dns "DNS:localhost" 102
leaf iponly "IP:127.0.0.1" 103
