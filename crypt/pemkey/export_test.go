package pemkey

import "encoding/asn1"

// ScryptAllowed is exported to the tests, which check it against openssl.
var ScryptAllowed = scryptAllowed

// CheckTraditionalKey exports the checks of decrypted keys (PKCS#8 under
// "PRIVATE KEY") to FuzzKeyCheck.
var CheckTraditionalKey = checkTraditionalKey

// DecryptPBES2 decrypts an EncryptedPrivateKeyInfo, whatever its plaintext,
// for Wycheproof's PBES2 vectors.
func DecryptPBES2(der, pass []byte) ([]byte, error) {
	return decryptPBES2(der, pass, make([]byte, len(der)), func([]byte) error { return nil })
}

// PBKDF2 derives keyLen bytes with PBKDF2 and its DER parameters, as PBES2
// does, for Wycheproof's PBKDF2 vectors.
func PBKDF2(params, pass []byte, keyLen int) ([]byte, error) {
	return pbes2Key(algorithmIdentifier{Algorithm: oidPBKDF2, Parameters: asn1.RawValue{FullBytes: params}}, pass, keyLen)
}
