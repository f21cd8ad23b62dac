#!/bin/sh
# Makes the keys of crypt's mutation campaign (crypt/pemkey/mutation_test.go):
# RSA, EC and DSA keys in PKCS#8 and legacy OpenSSL encryption, an X9.42 DH
# key in PKCS#8, and RSA, ECDSA
# and Ed25519 OpenSSH keys with aes256-ctr (ssh-keygen's default) and
# aes256-cbc, all with the cheapest key derivation their tools allow (one
# PBKDF2 iteration, one bcrypt round), so that each of thousands of mutants
# decrypts in a millisecond or two. Usage: gen.sh [DIR] (default: this
# directory). Needs openssl 3 and ssh-keygen.
set -eu
dir=${1:-$(dirname "$0")}
cd "$dir"
pw='mutant passphrase'
printf '%s\n' "$pw" > passphrase.txt
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$tmp/rsa.pem" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$tmp/ec.pem"
openssl genpkey -genparam -algorithm DSA -pkeyopt dsa_paramgen_bits:2048 -out "$tmp/dsaparam.pem" 2>/dev/null
openssl genpkey -paramfile "$tmp/dsaparam.pem" -out "$tmp/dsa.pem"
openssl genpkey -genparam -algorithm DHX -pkeyopt dh_rfc5114:2 -out "$tmp/dhxparam.pem"
openssl genpkey -paramfile "$tmp/dhxparam.pem" -out "$tmp/dhx.pem"
openssl pkcs8 -topk8 -in "$tmp/dhx.pem" -v2 aes-256-cbc -v2prf hmacWithSHA256 -iter 1 -passout "pass:$pw" -out dhx.pkcs8.pem
for key in rsa ec dsa; do
	openssl pkcs8 -topk8 -in "$tmp/$key.pem" -v2 aes-256-cbc -v2prf hmacWithSHA256 -iter 1 -passout "pass:$pw" -out "$key.pkcs8.pem"
	openssl "$key" -in "$tmp/$key.pem" -aes256 -passout "pass:$pw" -traditional -out "$key.legacy.pem" 2>/dev/null ||
		openssl "$key" -in "$tmp/$key.pem" -aes256 -passout "pass:$pw" -out "$key.legacy.pem" 2>/dev/null
done
for key in rsa ecdsa ed25519; do
	for cipher in aes256-ctr aes256-cbc; do
		out=$key.openssh.$cipher.pem
		rm -f "$out" "$out.pub"
		ssh-keygen -q -t "$key" -N "$pw" -a 1 -Z "$cipher" -C "$key mutant" -f "$out"
		rm -f "$out.pub"
	done
done
