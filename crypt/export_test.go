package crypt

// ScryptAllowed exports scryptAllowed to the tests, which check it against
// openssl.
var ScryptAllowed = scryptAllowed

// X25519 exports x25519 to the tests, which check it against RFC 7748 and
// golang.org/x/crypto/curve25519.
var X25519 = x25519

// CheckTraditionalKey exports the checks of decrypted keys (PKCS#8 under
// "PRIVATE KEY") to FuzzKeyCheck.
var CheckTraditionalKey = checkTraditionalKey
