package crypt

import (
	"crypto/aes"
	"crypto/des"
	"crypto/md5"
	"encoding/hex"
	"encoding/pem"
	"strings"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// legacyCiphers are the DEK-Info ciphers of OpenSSL's traditional key
// encryption.
var legacyCiphers = table[blockCipher]{
	{"AES-128-CBC", blockCipher{keyLen: 16, newFunc: aes.NewCipher}},
	{"AES-192-CBC", blockCipher{keyLen: 24, newFunc: aes.NewCipher}},
	{"AES-256-CBC", blockCipher{keyLen: 32, newFunc: aes.NewCipher}},
	{"DES-EDE3-CBC", blockCipher{keyLen: 24, newFunc: des.NewTripleDESCipher}},
	{"DES-CBC", blockCipher{keyLen: 8, newFunc: des.NewCipher}},
}

// decryptLegacy decrypts a Proc-Type: 4,ENCRYPTED block into scratch and
// returns the traditional key DER within it.
func decryptLegacy(b *pem.Block, pass, scratch []byte) ([]byte, error) {
	name, ivHex, ok := strings.Cut(b.Headers["DEK-Info"], ",")
	if !ok {
		return nil, malformed("missing or malformed DEK-Info header")
	}
	c, ok := legacyCiphers.get(name)
	if !ok {
		return nil, malformed("unsupported DEK-Info cipher %q (supported: AES-128-CBC, AES-192-CBC, AES-256-CBC, DES-EDE3-CBC, DES-CBC)", name)
	}
	iv, err := hex.DecodeString(ivHex)
	if err != nil || len(iv) < 8 {
		return nil, malformed("malformed DEK-Info IV")
	}
	key := evpBytesToKey(pass, iv[:8], c.keyLen)
	defer clear(key)
	valid := func(der []byte) bool { return isTraditionalKey(b.Type, der) }
	return decryptCBCKey(c.newFunc, key, iv, b.Bytes, scratch, valid)
}

// evpBytesToKey is OpenSSL's EVP_BytesToKey with MD5 and one iteration, the
// key derivation of traditional PEM encryption.
func evpBytesToKey(pass, salt []byte, keyLen int) []byte {
	key := make([]byte, 0, keyLen+md5.Size)
	var d []byte
	h := md5.New()
	for len(key) < keyLen {
		h.Reset()
		h.Write(d)
		h.Write(pass)
		h.Write(salt)
		d = h.Sum(key[len(key):len(key)])
		key = key[:len(key)+len(d)]
	}
	clear(key[keyLen:])
	return key[:keyLen]
}

// isTraditionalKey checks, without copying, that der is exactly one key
// of the type label names: RSAPrivateKey (version and eight integers, or
// more for multi-prime), ECPrivateKey (version 1 and the key), or a DSA key
// (six integers).
func isTraditionalKey(label string, der []byte) bool {
	in := cryptobyte.String(der)
	var seq cryptobyte.String
	var version int
	if !in.ReadASN1(&seq, cbasn1.SEQUENCE) || !in.Empty() || !seq.ReadASN1Integer(&version) {
		return false
	}
	integers := func(min int) bool {
		n := 0
		for !seq.Empty() && seq.PeekASN1Tag(cbasn1.INTEGER) {
			if !seq.SkipASN1(cbasn1.INTEGER) {
				return false
			}
			n++
		}
		return n >= min
	}
	switch label {
	case "RSA PRIVATE KEY":
		return (version == 0 || version == 1) && integers(8)
	case "EC PRIVATE KEY":
		var key cryptobyte.String
		return version == 1 && seq.ReadASN1(&key, cbasn1.OCTET_STRING) && len(key) > 0
	case "DSA PRIVATE KEY":
		return version == 0 && integers(5) && seq.Empty()
	}
	// Another traditional key type: one well-formed SEQUENCE.
	return true
}
