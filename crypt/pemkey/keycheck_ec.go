package pemkey

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha512"

	"filippo.io/edwards25519"

	"github.com/secretcat/secretcat/crypt/internal/wipe"
)

// ecCurve is a named curve whose EC keys are checked: their private
// scalars against the order, their public points against the curve and
// the scalar.
type ecCurve struct {
	elliptic.Curve
	// ecdh computes public points, in constant time with a key that can be
	// wiped; nil for P-224, which crypto/ecdh lacks and crypto/elliptic's
	// constant-time nistec code serves.
	ecdh ecdh.Curve
}

// ecCurves are the named curves of EC keys, by OID.
var ecCurves = map[string]ecCurve{
	"1.3.132.0.33":        {elliptic.P224(), nil},
	"1.2.840.10045.3.1.7": {elliptic.P256(), ecdh.P256()},
	"1.3.132.0.34":        {elliptic.P384(), ecdh.P384()},
	"1.3.132.0.35":        {elliptic.P521(), ecdh.P521()},
}

// uncompressed returns point, uncompressed or compressed, as an
// uncompressed point of c, or nil when it is not on c. The point is
// public.
func (c ecCurve) uncompressed(point []byte) []byte {
	if len(point) == 0 {
		return nil
	}
	if point[0] == 4 {
		if x, _ := elliptic.Unmarshal(c, point); x == nil {
			return nil
		}
		return point
	}
	x, y := elliptic.UnmarshalCompressed(c, point)
	if x == nil {
		return nil
	}
	return elliptic.Marshal(c, x, y)
}

// derives reports whether scalar, from 1 to the order less one, without
// leading zeros, times the generator is the public point, uncompressed or
// compressed.
func (c ecCurve) derives(scalar, point []byte) bool {
	want := c.uncompressed(point)
	if want == nil {
		return false
	}
	// The scalar at the curve's size, as crypto/ecdh and crypto/elliptic
	// take it, wiped after.
	size := (c.Params().BitSize + 7) / 8
	var buf [66]byte
	k := buf[:size]
	defer clear(k)
	copy(k[size-len(scalar):], scalar)
	if c.ecdh == nil {
		x, y := c.ScalarBaseMult(k)
		return bytes.Equal(elliptic.Marshal(c, x, y), want)
	}
	priv, err := c.ecdh.NewPrivateKey(k)
	if err != nil {
		return false
	}
	defer wipe.ECDHKey(priv)
	return bytes.Equal(priv.PublicKey().Bytes(), want)
}

// ed25519Derives reports whether the Ed25519 seed gives the public key
// pub. It computes the key as crypto/ed25519 does, without its copy of the
// seed in a SHA-512 digest on the heap: the digest of the seed is wiped,
// and the scalar clamped from it lives in a variable that is wiped too.
func ed25519Derives(seed, pub []byte) bool {
	if len(seed) != ed25519.SeedSize {
		return false
	}
	var h [sha512.Size]byte
	defer clear(h[:])
	wipe.SHA512Sum(&h, seed)
	var s edwards25519.Scalar
	defer func() { s = edwards25519.Scalar{} }()
	if _, err := s.SetBytesWithClamping(h[:32]); err != nil {
		return false
	}
	return bytes.Equal(new(edwards25519.Point).ScalarBaseMult(&s).Bytes(), pub)
}

// x25519Derives reports whether the X25519 private key gives the public
// key pub.
func x25519Derives(key, pub []byte) bool {
	priv, err := ecdh.X25519().NewPrivateKey(key)
	if err != nil {
		return false
	}
	defer wipe.X25519Key(priv)
	return bytes.Equal(priv.PublicKey().Bytes(), pub)
}
