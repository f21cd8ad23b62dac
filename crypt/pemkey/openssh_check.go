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
// says it holds. So a delivered key is checked as ssh-keygen checks it,
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

// openSSHPublicMatches reports whether the key of a private section, its
// type and fields, whose fields sshKeyFields has found whole, is the
// public key of the file, pub.
func openSSHPublicMatches(key, pub []byte) bool {
	s := cryptobyte.String(key)
	var keyType cryptobyte.String
	sshwire.ReadString(&s, &keyType)
	if string(keyType) == "ssh-rsa" {
		k, ok := readOpenSSHRSA(s)
		p := cryptobyte.String(pub)
		var pubType, e, n cryptobyte.String
		return ok && sshwire.ReadString(&p, &pubType) && string(pubType) == "ssh-rsa" &&
			readSSHMagnitude(&p, &e) && readSSHMagnitude(&p, &n) && p.Empty() &&
			bytes.Equal(e, k.e) && bytes.Equal(n, k.n)
	}
	n, ok := sshPublicFields[string(keyType)]
	var f cryptobyte.String
	for range n {
		sshwire.ReadString(&s, &f)
	}
	return ok && bytes.Equal(pub, key[:len(key)-len(s)])
}

// openSSHKeyConsistent reports whether the key of a private section, whose
// public key openSSHPublicMatches has found to be the file's, is
// consistent: its private key that of its public key. For RSA and DSA
// keys that includes primality tests, tens of milliseconds, so it is for
// keys that are delivered; an SSH identity that is only used to unwrap
// fails to unwrap if it is not consistent.
func openSSHKeyConsistent(key []byte) bool {
	s := cryptobyte.String(key)
	var keyType cryptobyte.String
	sshwire.ReadString(&s, &keyType)
	if string(keyType) == "ssh-rsa" {
		k, ok := readOpenSSHRSA(s)
		return ok && k.cheapChecks() && k.consistent()
	}
	var f [4]cryptobyte.String
	for i := range sshPublicFields[string(keyType)] {
		sshwire.ReadString(&s, &f[i])
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

// readOpenSSHRSA reads the fields of an ssh-rsa private key, n, e, d,
// q⁻¹ mod p, p and q.
func readOpenSSHRSA(s cryptobyte.String) (rsaKey, bool) {
	k := rsaKey{primes: make([]rsaPrime, 2)}
	for _, f := range []*cryptobyte.String{&k.n, &k.e, &k.d, &k.qInv, &k.primes[0].r, &k.primes[1].r} {
		if !readSSHMagnitude(&s, f) || len(*f) == 0 {
			return k, false
		}
	}
	return k, true
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
