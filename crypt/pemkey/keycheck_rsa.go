package pemkey

import (
	"filippo.io/bigmod"
	"golang.org/x/crypto/cryptobyte"
)

// maxRSAPrimes is the most primes an RSA key may have, as in openssl
// (RSA_MAX_PRIME_NUM), which refuses keys with more.
const maxRSAPrimes = 5

// rsaKey is the numbers of an RSA private key, magnitudes without leading
// zeros within the decrypted key: nothing is copied out of it but into
// bigmod's numbers, wiped after the check.
type rsaKey struct {
	n, e, d cryptobyte.String
	primes  []rsaPrime
	// crt says whether the key carries its CRT values: the exponents d mod
	// (r-1) of its primes, and its coefficients. PKCS#1 keys do, where
	// openssl requires them to be right; OpenSSH keys carry only q⁻¹ mod p,
	// in qInv, and the exponents are computed.
	crt  bool
	qInv cryptobyte.String
}

// rsaPrime is a prime of an RSA key, with its CRT exponent d mod (r-1)
// and, from the third prime on, its coefficient, the inverse of the
// product of the primes before it modulo r.
type rsaPrime struct{ r, exp, coeff cryptobyte.String }

// consistent checks an RSA key as openssl pkey -check does
// (rsa_validate_keypair_multiprime): e odd and above 1, each prime a
// prime, n their product, d·e ≡ 1 modulo each r-1 (and so modulo their
// lcm, λ(n)), each CRT exponent d mod (r-1), q·qInv ≡ 1 mod p and each
// further coefficient the inverse of the primes before it. It expects the
// cheap checks of checkRSAPrivateKey to have passed: n, e and the primes
// odd, d and e below n, and the product of the primes equal to n modulo
// 2^64 and of its bit length, give or take one bit a prime, so that with
// the product zero modulo n it is n. That n is their product is all that
// is asked of the primes' sizes, as openssl asks: keys with unbalanced
// primes are valid keys.
func (k *rsaKey) consistent() bool {
	if len(k.primes) < 2 || len(k.primes) > maxRSAPrimes {
		return false
	}
	var s numbers
	defer s.wipe()
	n, ok := s.modulus(k.n)
	if !ok {
		return false
	}
	d, okD := s.in(k.d, n)
	e, okE := s.in(k.e, n)
	if !okD || !okE {
		return false
	}
	// The product of the primes modulo n.
	var prod *bigmod.Nat
	for _, p := range k.primes {
		r, ok := s.in(p.r, n)
		switch {
		case !ok:
			return false
		case prod == nil:
			prod = r
		default:
			prod.Mul(r, n)
		}
	}
	if prod.IsZero() != 1 {
		return false
	}
	mods := make([]*bigmod.Modulus, len(k.primes))
	for i, p := range k.primes {
		if mods[i], ok = s.modulus(p.r); !ok || !k.exponent(&s, mods[i], p.exp, d, e) {
			return false
		}
		if i >= 2 && !k.coefficient(&s, mods[:i], mods[i], p.coeff) {
			return false
		}
	}
	if !k.coefficient(&s, mods[1:2], mods[0], k.qInv) {
		return false
	}
	// Last, as it costs most.
	for _, r := range mods {
		if !s.probablyPrime(r) {
			return false
		}
	}
	return true
}

// exponent checks that d·e ≡ 1 modulo r-1, and that exp, a CRT exponent,
// is d mod (r-1) when the key carries them.
func (k *rsaKey) exponent(s *numbers, r *bigmod.Modulus, exp cryptobyte.String, d, e *bigmod.Nat) bool {
	rm1, ok := s.minusOne(r)
	if !ok {
		return false
	}
	dr := s.nat().Mod(d, rm1)
	if k.crt {
		x, ok := s.in(exp, rm1)
		if !ok || x.Equal(dr) != 1 {
			return false
		}
	}
	return s.nat().Mod(e, rm1).Mul(dr, rm1).IsOne() == 1
}

// coefficient checks that coeff is the inverse modulo r of the product of
// the primes before.
func (k *rsaKey) coefficient(s *numbers, before []*bigmod.Modulus, r *bigmod.Modulus, coeff cryptobyte.String) bool {
	c, ok := s.in(coeff, r)
	if !ok {
		return false
	}
	for _, b := range before {
		c.Mul(s.nat().Mod(s.keep(b.Nat()), r), r)
	}
	return c.IsOne() == 1
}
