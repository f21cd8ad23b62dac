package sops

import "errors"

// SOPS splits the data key of a document with several key groups into
// Shamir shares, one per group, as HashiCorp Vault's shamir package does:
// each byte of the key is the constant term of its own random polynomial
// over GF(2^8) (the AES field, x^8 + x^4 + x^3 + x + 1), and a share is the
// polynomials' values at one point, followed by that point.

// gfMul multiplies in GF(2^8), without branches on the operands.
func gfMul(a, b byte) byte {
	var p byte
	for i := 7; i >= 0; i-- {
		p = (-(p >> 7) & 0x1b) ^ (p << 1)
		p ^= -((b >> uint(i)) & 1) & a
	}
	return p
}

// gfInv is the multiplicative inverse of a non-zero element: a^254.
func gfInv(a byte) byte {
	r := byte(1)
	for range 254 {
		r = gfMul(r, a)
	}
	return r
}

// combineShares recovers the secret from shares by Lagrange interpolation
// at zero. The caller clears the result.
func combineShares(shares [][]byte) ([]byte, error) {
	if len(shares) < 2 {
		return nil, errors.New("fewer than two shares")
	}
	n := len(shares[0])
	if n < 2 {
		return nil, errors.New("a share is shorter than two bytes")
	}
	xs := make([]byte, len(shares))
	for i, s := range shares {
		if len(s) != n {
			return nil, errors.New("the shares have different lengths")
		}
		xs[i] = s[n-1]
		for _, x := range xs[:i] {
			if x == xs[i] {
				return nil, errors.New("two shares are for the same point")
			}
		}
	}
	// The Lagrange basis at zero: l_i = prod_{j != i} x_j / (x_i - x_j),
	// subtraction being addition (xor) in GF(2^8).
	basis := make([]byte, len(shares))
	for i := range xs {
		num, den := byte(1), byte(1)
		for j := range xs {
			if i != j {
				num = gfMul(num, xs[j])
				den = gfMul(den, xs[i]^xs[j])
			}
		}
		if den == 0 {
			return nil, errors.New("invalid share point")
		}
		basis[i] = gfMul(num, gfInv(den))
	}
	secret := make([]byte, n-1)
	for b := range secret {
		var v byte
		for i, s := range shares {
			v ^= gfMul(s[b], basis[i])
		}
		secret[b] = v
	}
	return secret, nil
}
