package pemkey

import (
	"bytes"
	"crypto/ed25519"

	"golang.org/x/crypto/cryptobyte"

	"github.com/secretcat/secretcat/crypt/internal/sshwire"
)

// An OpenSSH key encrypted with a CTR or CBC cipher has no MAC either: a
// flipped bit of the encrypted section flips or garbles the key, and a
// flipped bit of the public key, in clear, changes the key that the file
// says it holds. So a decrypted key is checked as ssh-keygen checks it,
// and more: the public key in clear must be the one of the private
// section, and the private key must be consistent with it.

// sshPublicFields is, per key type, how many fields of the private key,
// after its type, make its public key, in the same order: the public key
// of the file must be the key type and these fields. ssh-rsa, whose public
// key is e and n where its private key starts n, e, is compared field by
// field.
var sshPublicFields = map[string]int{
	"ssh-ed25519":                        1,
	"ssh-dss":                            4,
	"ecdsa-sha2-nistp256":                2,
	"ecdsa-sha2-nistp384":                2,
	"ecdsa-sha2-nistp521":                2,
	"sk-ssh-ed25519@openssh.com":         2,
	"sk-ecdsa-sha2-nistp256@openssh.com": 3,
}

// sshCurves are the curves of ECDSA keys, by their SSH names.
var sshCurves = map[string]string{
	"nistp256": "1.2.840.10045.3.1.7",
	"nistp384": "1.3.132.0.34",
	"nistp521": "1.3.132.0.35",
}

// checkOpenSSHKey checks the key of a private section, its type and
// fields, whose fields sshKeyFields has found whole, against the public
// key of the file, pub, and for its own consistency.
func checkOpenSSHKey(key, pub []byte) bool {
	s := cryptobyte.String(key)
	var keyType cryptobyte.String
	sshwire.ReadString(&s, &keyType)
	if string(keyType) == "ssh-rsa" {
		return checkOpenSSHRSA(s, pub)
	}
	n, ok := sshPublicFields[string(keyType)]
	if !ok {
		return false
	}
	var f [4]cryptobyte.String
	for i := range n {
		sshwire.ReadString(&s, &f[i])
	}
	if !bytes.Equal(pub, key[:len(key)-len(s)]) {
		return false
	}
	switch string(keyType) {
	case "ssh-ed25519":
		var priv cryptobyte.String
		sshwire.ReadString(&s, &priv)
		return len(f[0]) == ed25519.PublicKeySize && len(priv) == ed25519.PrivateKeySize &&
			bytes.Equal(priv[ed25519.SeedSize:], f[0]) && ed25519Derives(priv[:ed25519.SeedSize], f[0])
	case "ssh-dss":
		var x cryptobyte.String
		k := ffcKey{magnitude(f[0]), magnitude(f[1]), magnitude(f[2]), magnitude(f[3]), nil}
		ok := readSSHMagnitude(&s, &x)
		k.x = x
		return ok && k.consistent()
	case "sk-ssh-ed25519@openssh.com":
		return len(f[0]) == ed25519.PublicKeySize // the private key is in the authenticator
	case "sk-ecdsa-sha2-nistp256@openssh.com":
		c, ok := sshCurve(keyType, f[0])
		return ok && c.uncompressed(f[1]) != nil
	}
	// ECDSA: the curve, the public point and the private scalar.
	var d cryptobyte.String
	c, ok := sshCurve(keyType, f[0])
	return ok && readSSHMagnitude(&s, &d) && len(d) > 0 && less(d, c.Params().N.Bytes()) && c.derives(d, f[1])
}

// sshCurve returns the curve that an ECDSA key's type and curve name agree
// on.
func sshCurve(keyType, name []byte) (ecCurve, bool) {
	oid, ok := sshCurves[string(name)]
	if !ok || !bytes.Contains(keyType, append([]byte("-"), name...)) {
		return ecCurve{}, false
	}
	c, ok := ecCurves[oid]
	return c, ok
}

// checkOpenSSHRSA checks the fields of an ssh-rsa private key, n, e, d,
// q⁻¹ mod p, p and q, against the public key, the key type, e and n.
func checkOpenSSHRSA(s cryptobyte.String, pub []byte) bool {
	k := rsaKey{primes: make([]rsaPrime, 2)}
	for _, f := range []*cryptobyte.String{&k.n, &k.e, &k.d, &k.qInv, &k.primes[0].r, &k.primes[1].r} {
		if !readSSHMagnitude(&s, f) || len(*f) == 0 {
			return false
		}
	}
	p := cryptobyte.String(pub)
	var keyType, e, n cryptobyte.String
	return sshwire.ReadString(&p, &keyType) && string(keyType) == "ssh-rsa" &&
		readSSHMagnitude(&p, &e) && readSSHMagnitude(&p, &n) && p.Empty() &&
		bytes.Equal(e, k.e) && bytes.Equal(n, k.n) &&
		k.cheapChecks() && k.consistent()
}

// readSSHMagnitude reads a non-negative SSH mpint and returns its
// magnitude without leading zeros, within s. Leading zeros are skipped,
// as ssh-keygen skips them.
func readSSHMagnitude(s *cryptobyte.String, out *cryptobyte.String) bool {
	var b cryptobyte.String
	if !sshwire.ReadString(s, &b) || len(b) > 0 && b[0]&0x80 != 0 {
		return false
	}
	*out = magnitude(b)
	return true
}

// magnitude is a big-endian number without its leading zeros.
func magnitude(b []byte) []byte { return bytes.TrimLeft(b, "\x00") }
