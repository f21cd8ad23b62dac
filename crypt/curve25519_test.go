package crypt_test

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/secretcat/secretcat/crypt"
	"golang.org/x/crypto/curve25519"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestX25519RFC7748 runs the test vectors of RFC 7748: section 5.2 (single
// and iterated) and the Diffie-Hellman example of section 6.1.
func TestX25519RFC7748(t *testing.T) {
	base := "09" + strings.Repeat("00", 31)
	for _, v := range []struct{ scalar, point, want string }{
		// Section 5.2.
		{"a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4", "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c", "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552"},
		{"4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d", "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493", "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957"},
		// Section 6.1: Alice's and Bob's public keys, and their shared secret.
		{"77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a", base, "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"},
		{"5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb", base, "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"},
		{"77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a", "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f", "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"},
		{"5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb", "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a", "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"},
	} {
		got, err := crypt.X25519(unhex(t, v.scalar), unhex(t, v.point))
		if err != nil || hex.EncodeToString(got) != v.want {
			t.Errorf("X25519(%s, %s) = %x, %v; want %s", v.scalar, v.point, got, err, v.want)
		}
	}

	// Section 5.2, iterated: k, u = X25519(k, u), k.
	k, u := unhex(t, base), unhex(t, base)
	for i := 1; i <= 1000; i++ {
		next, err := crypt.X25519(k, u)
		if err != nil {
			t.Fatal(err)
		}
		k, u = next, k
		switch i {
		case 1:
			if got := hex.EncodeToString(k); got != "422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079" {
				t.Errorf("after one iteration: %s", got)
			}
		case 1000:
			if got := hex.EncodeToString(k); got != "684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51" {
				t.Errorf("after 1,000 iterations: %s", got)
			}
		}
	}
}

// TestX25519LowOrder checks that points of low order, whose product is zero
// whatever the scalar, are refused: 0, 1, the two points of order 8, and
// their non-canonical encodings p-1, p and p+1.
func TestX25519LowOrder(t *testing.T) {
	ff := strings.Repeat("ff", 30)
	for _, p := range []string{
		strings.Repeat("00", 32),
		"01" + strings.Repeat("00", 31),
		"e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
		"5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
		"ec" + ff + "7f",
		"ed" + ff + "7f",
		"ee" + ff + "7f",
	} {
		scalar := bytes.Repeat([]byte{0x42}, 32)
		if got, err := crypt.X25519(scalar, unhex(t, p)); err == nil {
			t.Errorf("low-order point %s accepted: %x", p, got)
		}
	}
	if _, err := crypt.X25519(make([]byte, 31), make([]byte, 32)); err == nil {
		t.Error("31-byte scalar accepted")
	}
}

// FuzzX25519 checks x25519 against golang.org/x/crypto/curve25519 on any
// scalar and point, including unclamped scalars, points with the top bit
// set and non-canonical points.
func FuzzX25519(f *testing.F) {
	f.Add(bytes.Repeat([]byte{0x42}, 32), append([]byte{9}, make([]byte, 31)...))
	f.Add(bytes.Repeat([]byte{0xff}, 32), bytes.Repeat([]byte{0xff}, 32))
	f.Add(make([]byte, 32), append(bytes.Repeat([]byte{0xff}, 31), 0x7f))
	f.Fuzz(func(t *testing.T, scalar, point []byte) {
		if len(scalar) != 32 || len(point) != 32 {
			return
		}
		want, wantErr := curve25519.X25519(scalar, point)
		got, err := crypt.X25519(scalar, point)
		if (err == nil) != (wantErr == nil) || !bytes.Equal(got, want) {
			t.Fatalf("X25519(%x, %x) = %x, %v; x/crypto says %x, %v", scalar, point, got, err, want, wantErr)
		}
	})
}

// TestX25519MatchesXCrypto compares x25519 with golang.org/x/crypto on
// random scalars and points.
func TestX25519MatchesXCrypto(t *testing.T) {
	for range 500 {
		scalar, point := make([]byte, 32), make([]byte, 32)
		rand.Read(scalar)
		rand.Read(point)
		want, wantErr := curve25519.X25519(scalar, point)
		got, err := crypt.X25519(scalar, point)
		if (err == nil) != (wantErr == nil) || !bytes.Equal(got, want) {
			t.Fatalf("X25519(%x, %x) = %x, %v; x/crypto says %x, %v", scalar, point, got, err, want, wantErr)
		}
	}
}
