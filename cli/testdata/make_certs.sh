#!/bin/sh
# Makes the test PKI of commands_test's TLS tests: a CA, a server certificate
# for "plaitd.test" and a client certificate, valid from 2000 to 2125 so that
# the tests pass whatever the build machine's clock says. Run from this folder;
# the outputs are checked in (the test does not need openssl).
set -eu
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/certs"
: > "$work/index.txt"
echo 1000 > "$work/serial"
cat > "$work/ca.cnf" <<CNF
[ca]
default_ca = test_ca
[test_ca]
dir = $work
database = $work/index.txt
serial = $work/serial
new_certs_dir = $work/certs
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = none
[anything]
commonName = supplied
[ca_ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
[server_ext]
basicConstraints = CA:FALSE
subjectAltName = DNS:plaitd.test
extendedKeyUsage = serverAuth
[client_ext]
basicConstraints = CA:FALSE
subjectAltName = DNS:plaitctl.test
extendedKeyUsage = clientAuth
CNF
sign() {  # NAME EXTENSIONS [extra ca flags]
  name=$1 ext=$2
  shift 2
  openssl ca -batch -config "$work/ca.cnf" -notext -extensions "$ext" \
    -startdate 20000101000000Z -enddate 21250101000000Z \
    -in "$work/$name.csr" -out "$name.pem" "$@" 2>/dev/null
}
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -keyout "$work/ca.key" -out "$work/ca.csr" -subj "/CN=plaitctl test CA" 2>/dev/null
sign ca ca_ext -selfsign -keyfile "$work/ca.key"
for name in server client; do
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$name.key" -out "$work/$name.csr" -subj "/CN=$name" 2>/dev/null
  sign "$name" "${name}_ext" -cert ca.pem -keyfile "$work/ca.key"
done
chmod 644 ./*.key
