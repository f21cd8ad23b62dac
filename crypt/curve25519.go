package crypt

import (
	"crypto/subtle"
	"errors"

	"filippo.io/edwards25519/field"
)

// x25519Size is the size of X25519 scalars, points and shared secrets.
const x25519Size = 32

// x25519Basepoint is the u-coordinate of Curve25519's base point.
var x25519Basepoint = []byte{9, 31: 0}

// errLowOrder is X25519's all-zero result: the point is of low order, and no
// secret is shared.
var errLowOrder = errors.New("low-order point")

// ladder is the state of the Montgomery ladder, as named in RFC 7748. It
// depends on the scalar, so it is wiped with it.
type ladder struct {
	x1, x2, z2, x3, z3, a, aa, b, bb, e, c, d, da, cb field.Element
}

// x25519 is the X25519 function of RFC 7748, section 5: the u-coordinate of
// the clamped scalar times the point, by one constant-time Montgomery
// ladder. golang.org/x/crypto/curve25519 computes it through crypto/ecdh,
// whose private keys derive their public key as they are made: a second
// ladder on every call, a tenth of a small file's decryption. Like it, x25519
// refuses a result of zero.
func x25519(scalar, point []byte) ([]byte, error) {
	if len(scalar) != x25519Size || len(point) != x25519Size {
		return nil, errors.New("X25519 scalar and point must be 32 bytes")
	}
	var k [x25519Size]byte
	copy(k[:], scalar)
	k[0] &= 248
	k[31] &= 127
	k[31] |= 64

	var l ladder
	defer func() {
		clear(k[:])
		l = ladder{}
	}()
	if _, err := l.x1.SetBytes(point); err != nil { // ignores the top bit, as RFC 7748 says
		return nil, err
	}
	l.x2.One()
	l.z2.Zero()
	l.x3.Set(&l.x1)
	l.z3.One()
	swap := 0
	for t := 254; t >= 0; t-- {
		bit := int(k[t/8]>>(t%8)) & 1
		swap ^= bit
		l.x2.Swap(&l.x3, swap)
		l.z2.Swap(&l.z3, swap)
		swap = bit

		l.a.Add(&l.x2, &l.z2)
		l.aa.Square(&l.a)
		l.b.Subtract(&l.x2, &l.z2)
		l.bb.Square(&l.b)
		l.e.Subtract(&l.aa, &l.bb)
		l.c.Add(&l.x3, &l.z3)
		l.d.Subtract(&l.x3, &l.z3)
		l.da.Multiply(&l.d, &l.a)
		l.cb.Multiply(&l.c, &l.b)
		l.x3.Add(&l.da, &l.cb)
		l.x3.Square(&l.x3)
		l.z3.Subtract(&l.da, &l.cb)
		l.z3.Square(&l.z3)
		l.z3.Multiply(&l.z3, &l.x1)
		l.x2.Multiply(&l.aa, &l.bb)
		l.z2.Mult32(&l.e, 121665) // a24; Add carries Mult32's loose limbs
		l.z2.Add(&l.z2, &l.aa)
		l.z2.Multiply(&l.z2, &l.e)
	}
	l.x2.Swap(&l.x3, swap)
	l.z2.Swap(&l.z3, swap)
	l.z2.Invert(&l.z2)
	out := l.x2.Multiply(&l.x2, &l.z2).Bytes()
	if subtle.ConstantTimeCompare(out, make([]byte, x25519Size)) == 1 {
		return nil, errLowOrder
	}
	return out, nil
}
