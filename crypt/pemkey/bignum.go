package pemkey

import (
	"bytes"
	"crypto/rand"

	"filippo.io/bigmod"

	"github.com/secretcat/secretcat/crypt/internal/wipe"
)

// numbers holds the big numbers of one key check: filippo.io/bigmod's
// constant-time numbers, whose limbs secretcat can reach, and the byte
// slices bigmod returns, so that all of them are wiped when the check ends.
// math/big is not used: its numbers are variable-time and copied around the
// heap as they grow.
type numbers struct {
	nats []*bigmod.Nat
	mods []*bigmod.Modulus
	bufs [][]byte
}

// nat returns a new number, wiped with the others.
func (s *numbers) nat() *bigmod.Nat {
	n := bigmod.NewNat()
	s.nats = append(s.nats, n)
	return n
}

// keep adds a Nat made by bigmod (Modulus.Nat's copy) to the numbers.
func (s *numbers) keep(n *bigmod.Nat) *bigmod.Nat {
	s.nats = append(s.nats, n)
	return n
}

// bytes adds a byte slice made by bigmod (Nat.Bytes) to the numbers.
func (s *numbers) bytes(b []byte) []byte {
	s.bufs = append(s.bufs, b)
	return b
}

// modulus makes a modulus of the magnitude b, which must be above 1.
func (s *numbers) modulus(b []byte) (*bigmod.Modulus, bool) {
	m, err := bigmod.NewModulus(b)
	if err != nil {
		return nil, false
	}
	s.mods = append(s.mods, m)
	return m, true
}

// in returns the magnitude b as a number modulo m, which b must be below.
func (s *numbers) in(b []byte, m *bigmod.Modulus) (*bigmod.Nat, bool) {
	n, err := s.nat().SetBytes(b, m)
	return n, err == nil
}

// minusOne returns p-1 as a modulus, for p above 2.
func (s *numbers) minusOne(p *bigmod.Modulus) (*bigmod.Modulus, bool) {
	return s.modulus(s.bytes(s.keep(p.Nat()).SubOne(p).Bytes(p)))
}

// wipe zeroes every number of the check.
func (s *numbers) wipe() {
	for _, n := range s.nats {
		clear(n.Bits())
	}
	for _, m := range s.mods {
		wipe.Modulus(m)
	}
	for _, b := range s.bufs {
		clear(b)
	}
	*s = numbers{}
}

// millerRabinRounds is the number of Miller-Rabin rounds with random bases
// that a prime of a key must pass: a composite passes each with a
// probability of at most 1/4, so 2^-40 for all of them, for any number
// (corruption gives random numbers, which fail the first round).
const millerRabinRounds = 20

// probablyPrime reports whether the odd modulus p, above 3, passes
// millerRabinRounds rounds of the Miller-Rabin test, as openssl's
// BN_check_prime, in constant time but for p's size and the powers of two
// that divide p-1.
func (s *numbers) probablyPrime(p *bigmod.Modulus) bool {
	// -1 mod p, compared with Equal: IsMinusOne would leave a copy of p-1
	// on the stack at each call.
	minusOne := s.keep(p.Nat()).SubOne(p)
	k := minusOne.TrailingZeroBitsVarTime()
	if k == 0 {
		return false // p even
	}
	// p-1 = m·2^k with m odd.
	m := s.bytes(s.keep(p.Nat()).SubOne(p).ShiftRightVarTime(k).Bytes(p))
	buf := s.bytes(make([]byte, p.Size()))
	top := byte(0xff) >> (8*p.Size() - p.BitLen())
	a, x := s.nat(), s.nat()
	// A round leaves p-1, which gives p away, in bigmod's temporaries on
	// the stack: one more round's operations, modulo a public number of
	// p's size, 2^bits - 1, overwrite them when the rounds are done.
	defer func() {
		public := s.bytes(bytes.Repeat([]byte{0xff}, p.Size()))
		public[0] = top
		if q, ok := s.modulus(public); ok {
			a.SetUint(2)
			x.Exp(a.ExpandFor(q), m, q).Mul(x, q).Equal(a)
		}
	}()
	for range millerRabinRounds {
		// A random base from 2 to p-2: below p one time in two at least.
		for tries := 0; ; tries++ {
			if tries == 256 {
				return false
			}
			rand.Read(buf)
			buf[0] &= top
			if _, err := a.SetBytes(buf, p); err == nil && a.IsZero()|a.IsOne()|a.Equal(minusOne) == 0 {
				break
			}
		}
		x.Exp(a, m, p)
		if x.IsOne()|x.Equal(minusOne) == 1 {
			continue
		}
		for i := uint(1); i < k && x.Equal(minusOne) == 0; i++ {
			x.Mul(x, p)
		}
		if x.Equal(minusOne) == 0 {
			return false
		}
	}
	return true
}
