#!/bin/sh
# mkcerts.sh DIR: test PKI for the TLS refusal tests (made fresh each run).
#   ca.crt/.key        the trusted CA          other-ca.crt  an untrusted CA
#   good.crt/.key      DNS:localhost, IP:127.0.0.1, IP:::1
#   dnsonly.crt/.key   DNS:localhost only (reached by IP: must be refused)
#   wrongname.crt/.key DNS:wrong.example, IP:10.9.9.9
#   expired.crt/.key   like good, valid 2020-2021
#   ec.crt/.key        P-256 key, DNS:localhost, IP:127.0.0.1
#   client.crt/.key    a client certificate (EC, PKCS#8 key)
set -eu
d=$1
mkdir -p "$d"
cd "$d"
rsa() { openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" 2>/dev/null; }
ca() {
	rsa "$1.key"
	openssl req -x509 -new -key "$1.key" -subj "/CN=$1" -days 30 -sha256 \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" -out "$1.crt" 2>/dev/null
}
ca ca
ca other-ca
cat > ca.cnf <<'CNF'
[ ca ]
default_ca = d
[ d ]
dir = .
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = p
copy_extensions = none
unique_subject = no
[ p ]
commonName = supplied
CNF
: > index.txt
echo 1000 > serial
# leaf NAME SAN [keyalg] [startdate enddate]
leaf() {
	name=$1 san=$2 alg=${3:-rsa}
	if [ "$alg" = ec ]; then
		openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$name.key" 2>/dev/null
	else
		rsa "$name.key"
	fi
	printf '[x]\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=%s\n' "$san" > "$name.ext"
	openssl req -new -key "$name.key" -subj "/CN=$name" -out "$name.csr" 2>/dev/null
	if [ $# -ge 5 ]; then
		dates="-startdate $4 -enddate $5"
	else
		dates="-days 30"
	fi
	openssl ca -batch -config ca.cnf -cert ca.crt -keyfile ca.key -in "$name.csr" \
		-extfile "$name.ext" -extensions x $dates -out "$name.crt" -notext 2>/dev/null
	rm -f "$name.csr" "$name.ext"
}
leaf good "DNS:localhost,IP:127.0.0.1,IP:::1"
leaf dnsonly "DNS:localhost"
leaf wrongname "DNS:wrong.example,IP:10.9.9.9"
leaf expired "DNS:localhost,IP:127.0.0.1" rsa 20200101000000Z 20210101000000Z
leaf ec "DNS:localhost,IP:127.0.0.1" ec
leaf client "DNS:client" ec
openssl pkcs8 -topk8 -nocrypt -in client.key -out client.p8 && mv client.p8 client.key
rm -f ./*.pem index.txt* serial* ca.cnf
