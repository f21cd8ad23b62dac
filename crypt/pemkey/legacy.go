package pemkey

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/md5"
	"encoding/hex"
	"encoding/pem"
	"github.com/secretcat/secretcat/crypt/internal/wipe"
	"strings"

	"github.com/secretcat/secretcat/crypt/internal/fail"
)

// blockCipher is a CBC cipher of an encrypted PEM key.
type blockCipher struct {
	name    string // for messages, where the map's key is an OID
	keyLen  int
	newFunc func([]byte) (cipher.Block, error)
}

// legacyCiphers are the DEK-Info ciphers of OpenSSL's traditional key
// encryption.
var legacyCiphers = map[string]blockCipher{
	"AES-128-CBC":  {keyLen: 16, newFunc: aes.NewCipher},
	"AES-192-CBC":  {keyLen: 24, newFunc: aes.NewCipher},
	"AES-256-CBC":  {keyLen: 32, newFunc: aes.NewCipher},
	"DES-EDE3-CBC": {keyLen: 24, newFunc: des.NewTripleDESCipher},
	"DES-CBC":      {keyLen: 8, newFunc: des.NewCipher},
}

// decryptLegacy decrypts a Proc-Type: 4,ENCRYPTED block into scratch and
// returns the traditional key DER within it.
func decryptLegacy(b *pem.Block, pass, scratch []byte) ([]byte, error) {
	name, ivHex, ok := strings.Cut(b.Headers["DEK-Info"], ",")
	if !ok {
		return nil, fail.Malformedf("missing or malformed DEK-Info header")
	}
	c, ok := legacyCiphers[name]
	if !ok {
		return nil, fail.Malformedf("unsupported DEK-Info cipher %q (supported: AES-128-CBC, AES-192-CBC, AES-256-CBC, DES-EDE3-CBC, DES-CBC)", name)
	}
	iv, err := hex.DecodeString(ivHex)
	if err != nil || len(iv) < 8 {
		return nil, fail.Malformedf("malformed DEK-Info IV")
	}
	key := evpBytesToKey(pass, iv[:8], c.keyLen)
	defer clear(key)
	check := func(der []byte) error { return checkTraditionalKey(b.Type, der) }
	return decryptCBCKey(c.newFunc, key, iv, b.Bytes, scratch, check)
}

// evpBytesToKey is OpenSSL's EVP_BytesToKey with MD5 and one iteration, the
// key derivation of traditional PEM encryption.
func evpBytesToKey(pass, salt []byte, keyLen int) []byte {
	key := make([]byte, 0, keyLen+md5.Size)
	var d []byte
	h := md5.New()
	defer wipe.Deep(h) // its buffer holds the passphrase
	for len(key) < keyLen {
		h.Reset()
		h.Write(d)
		h.Write(pass)
		h.Write(salt)
		d = h.Sum(key[len(key):])
		key = key[:len(key)+len(d)]
	}
	clear(key[keyLen:])
	return key[:keyLen]
}
