#!/bin/sh
# Makes the encrypted-key fixtures of crypt's PEM tests, and what the
# standard tools print for each once decrypted (NAME.want):
#   PKCS#8 (openssl pkcs8 -topk8 -v2 / -scrypt) -> openssl pkey
#   legacy OpenSSL (DEK-Info)                  -> openssl rsa/ec/dsa (-traditional)
#   OpenSSH (ssh-keygen -N -Z CIPHER)          -> ssh-keygen -p -N ''
# plus bundles and a few keys that must be refused. Usage: gen.sh [DIR]
# (default: this directory). Needs openssl 3 and ssh-keygen.
set -eu
dir=${1:-$(dirname "$0")}
cd "$dir"
pw='fixture passphrase'
printf '%s\n' "$pw" > passphrase.txt
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$tmp/rsa.pem" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/ec.pem"
openssl genpkey -algorithm ED25519 -out "$tmp/ed25519.pem"
openssl genpkey -genparam -algorithm DSA -pkeyopt dsa_paramgen_bits:2048 -out "$tmp/dsaparam.pem" 2>/dev/null
openssl genpkey -paramfile "$tmp/dsaparam.pem" -out "$tmp/dsa.pem"
for alg in X25519 ED448 X448; do
	openssl genpkey -algorithm "$alg" -out "$tmp/$(echo "$alg" | tr A-Z a-z).pem"
done
openssl genpkey -algorithm RSA-PSS -pkeyopt rsa_keygen_bits:2048 -out "$tmp/rsapss.pem" 2>/dev/null
openssl genpkey -algorithm DH -pkeyopt group:ffdhe2048 -out "$tmp/dh.pem"
openssl genpkey -genparam -algorithm DHX -pkeyopt dh_rfc5114:2 -out "$tmp/dhxparam.pem"
openssl genpkey -paramfile "$tmp/dhxparam.pem" -out "$tmp/dhx.pem"

# PKCS#8 with PBES2: every PRF and cipher for RSA, a cross-section for the
# others, and scrypt.
for key in rsa ec ed25519; do
	for prf in sha1 sha224 sha256 sha384 sha512; do
		for cipher in aes-128-cbc aes-192-cbc aes-256-cbc des-ede3-cbc; do
			case $key-$prf-$cipher in rsa-*|*-sha256-*|*-*-aes-256-cbc) ;; *) continue ;; esac
			out=$key.pkcs8.$prf.$cipher.pem
			openssl pkcs8 -topk8 -in "$tmp/$key.pem" -v2 "$cipher" -v2prf "hmacWith$(echo $prf | tr a-z A-Z)" -passout "pass:$pw" -out "$out"
			openssl pkey -in "$out" -passin "pass:$pw" -out "$out.want"
		done
	done
	out=$key.pkcs8.scrypt.aes-256-cbc.pem
	openssl pkcs8 -topk8 -in "$tmp/$key.pem" -scrypt -scrypt_N 1024 -scrypt_r 8 -scrypt_p 1 -v2 aes-256-cbc -passout "pass:$pw" -out "$out"
	openssl pkey -in "$out" -passin "pass:$pw" -out "$out.want"
done

# The other algorithms that openssl writes in PKCS#8, once each.
for key in x25519 ed448 x448 rsapss dsa dh dhx; do
	out=$key.pkcs8.sha256.aes-256-cbc.pem
	openssl pkcs8 -topk8 -in "$tmp/$key.pem" -v2 aes-256-cbc -v2prf hmacWithSHA256 -passout "pass:$pw" -out "$out"
	openssl pkey -in "$out" -passin "pass:$pw" -out "$out.want"
done

# Legacy OpenSSL encryption (Proc-Type/DEK-Info) of RSA, EC and DSA keys.
for key in rsa ec dsa; do
	tool=$key
	for cipher in aes128 aes192 aes256 des3 des; do
		out=$key.legacy.$cipher.pem
		provider=""
		[ "$cipher" = des ] && provider="-provider legacy -provider default"
		# shellcheck disable=SC2086
		openssl "$tool" -in "$tmp/$key.pem" -traditional -"$cipher" $provider -passout "pass:$pw" -out "$out" 2>/dev/null ||
			openssl "$tool" -in "$tmp/$key.pem" -"$cipher" $provider -passout "pass:$pw" -out "$out" 2>/dev/null
		# shellcheck disable=SC2086
		openssl "$tool" -in "$out" -passin "pass:$pw" $provider -traditional -out "$out.want" 2>/dev/null ||
			openssl "$tool" -in "$out" -passin "pass:$pw" $provider -out "$out.want" 2>/dev/null
	done
done

# OpenSSH keys with each cipher ssh-keygen offers for keys.
for key in ed25519 rsa ecdsa; do
	for cipher in aes128-ctr aes192-ctr aes256-ctr aes256-cbc aes256-gcm@openssh.com chacha20-poly1305@openssh.com; do
		out=$key.openssh.$cipher.pem
		ssh-keygen -q -t "$key" -a 8 -N "$pw" -Z "$cipher" -C "fixture $key" -f "$tmp/k" <<EOF2 >/dev/null
y
EOF2
		mv "$tmp/k" "$out"
		rm -f "$tmp/k.pub"
		cp "$out" "$tmp/plain"
		ssh-keygen -q -p -P "$pw" -N '' -f "$tmp/plain" >/dev/null
		mv "$tmp/plain" "$out.want"
	done
done

# A bundle: certificate, encrypted key, another certificate, in that order.
openssl req -x509 -new -key "$tmp/ec.pem" -subj /CN=fixture -days 3650 -out "$tmp/cert.pem"
cat "$tmp/cert.pem" ec.pkcs8.sha256.aes-256-cbc.pem "$tmp/cert.pem" > bundle.pem
cat "$tmp/cert.pem" ec.pkcs8.sha256.aes-256-cbc.pem.want "$tmp/cert.pem" > bundle.pem.want

# Refused: PBES1, an unencrypted key, and a lone certificate.
openssl pkcs8 -topk8 -in "$tmp/rsa.pem" -v1 PBE-SHA1-3DES -passout "pass:$pw" -out unsupported.pbes1.pem
cp "$tmp/ec.pem" unencrypted.pem
cp "$tmp/cert.pem" certificate-only.pem
