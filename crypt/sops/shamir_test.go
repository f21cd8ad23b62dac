package sops

import (
	"bytes"
	"testing"
)

// TestGF checks the field arithmetic against FIPS-197's examples: the AES
// field is the one HashiCorp's shamir package, and so SOPS, uses.
func TestGF(t *testing.T) {
	if got := gfMul(0x57, 0x83); got != 0xc1 {
		t.Errorf("0x57 * 0x83 = %#x, want 0xc1 (FIPS-197 4.2)", got)
	}
	if got := gfMul(0x57, 0x13); got != 0xfe {
		t.Errorf("0x57 * 0x13 = %#x, want 0xfe (FIPS-197 4.2.1)", got)
	}
	for a := 1; a < 256; a++ {
		if gfMul(byte(a), gfInv(byte(a))) != 1 {
			t.Fatalf("%#x has no inverse", a)
		}
	}
}

// TestCombineShares recovers a secret from shares of polynomials made
// here, with any threshold of them, and refuses shares at the same point.
func TestCombineShares(t *testing.T) {
	secret := []byte("a 32-byte data key, for example!")
	// Degree-1 polynomials: threshold 2. share(x) = secret + c*x.
	coef := []byte("the random coefficients, 32 byte")
	share := func(x byte) []byte {
		s := make([]byte, len(secret)+1)
		for i := range secret {
			s[i] = secret[i] ^ gfMul(coef[i], x)
		}
		s[len(secret)] = x
		return s
	}
	for _, xs := range [][]byte{{1, 2}, {7, 200}, {3, 9, 255}} {
		var shares [][]byte
		for _, x := range xs {
			shares = append(shares, share(x))
		}
		got, err := combineShares(shares)
		if err != nil || !bytes.Equal(got, secret) {
			t.Errorf("points %v: got %q, %v", xs, got, err)
		}
	}
	if _, err := combineShares([][]byte{share(5), share(5)}); err == nil {
		t.Error("two shares at the same point were combined")
	}
}
