package pemkey

// ffcKey is a key over a finite-field group with a subgroup of prime order
// q (DSA, X9.42 DH): magnitudes without leading zeros within the decrypted
// key. y, the public key, is nil when the key does not carry it.
type ffcKey struct{ p, q, g, y, x []byte }

// consistent checks the key as openssl pkey -check does (its FFC
// parameter and key checks): p and q odd primes, q dividing p-1, g of
// order q (1 < g < p, g^q ≡ 1 mod p), x from 1 to q-1 and, when the key
// carries it, y = g^x mod p.
func (k *ffcKey) consistent() bool {
	if len(k.p) == 0 || len(k.q) == 0 || len(k.x) == 0 || !odd(k.p) || !odd(k.q) ||
		!less(k.q, k.p) || bitLen(k.g) < 2 || !less(k.g, k.p) || !less(k.x, k.q) {
		return false
	}
	var s numbers
	defer s.wipe()
	p, okP := s.modulus(k.p)
	q, okQ := s.modulus(k.q)
	if !okP || !okQ {
		return false
	}
	g, ok := s.in(k.g, p)
	if !ok || s.nat().Mod(s.keep(p.Nat()).SubOne(p), q).IsZero() != 1 ||
		s.nat().Exp(g, k.q, p).IsOne() != 1 {
		return false
	}
	if k.y != nil {
		y, ok := s.in(k.y, p)
		if !ok || s.nat().Exp(g, k.x, p).Equal(y) != 1 {
			return false
		}
	}
	return s.probablyPrime(q) && s.probablyPrime(p)
}
