package crypt

// Exports to the tests: ScryptAllowed is checked against openssl, and the
// wipes of library fields are checked to reach them.
var (
	ScryptAllowed = scryptAllowed
	WipeAEAD      = wipeAEAD
	WipeScrypt    = wipeScrypt
	WipeSHA512    = wipeSHA512
	WipeX25519Key = wipeX25519Key
)

// CheckTraditionalKey exports the checks of decrypted keys (PKCS#8 under
// "PRIVATE KEY") to FuzzKeyCheck.
var CheckTraditionalKey = checkTraditionalKey
