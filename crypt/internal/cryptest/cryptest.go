// Package cryptest holds what the tests of the crypt packages share: the
// fixtures' passphrase, options that decrypt into secret memory as
// secretcat does, and small file helpers. Only tests import it.
package cryptest

import (
	"crypto/rand"
	"crypto/rsa"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/secretcat/secretcat/crypt"
	"github.com/secretcat/secretcat/internal/secretmem"
	"github.com/secretcat/secretcat/internal/secrettest"
)

// PEMOptions decrypt with pass into secret memory, as secretcat does.
func PEMOptions(pass string) crypt.Options {
	return crypt.Options{
		Passphrase: func() ([]byte, error) { return []byte(pass), nil },
		Scratch: func(size int64) ([]byte, func(), error) {
			f, err := secrettest.Create(size)
			if err != nil {
				return nil, nil, err
			}
			return f.Bytes(), func() { f.Close() }, nil
		},
	}
}

// FixturePassphrase is the passphrase of the key fixtures in dir.
func FixturePassphrase(t testing.TB, dir string) string {
	p, err := os.ReadFile(filepath.Join(dir, "passphrase.txt"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(p))
}

// DecryptToSecret runs a FILE argument through crypt into a new secret
// file, as secretcat does. The file, if one was created, is returned even on
// failure, unsealed, so that the caller can check it was wiped.
func DecryptToSecret(path string, stdin io.Reader, opts crypt.Options) (*secretmem.File, error) {
	in, err := crypt.Open(path, stdin)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	var f *secretmem.File
	err = DecryptTo(in, opts, func(size int64) ([]byte, error) {
		if f, err = secrettest.Create(size); err != nil {
			return nil, err
		}
		return f.Bytes(), nil
	})
	return f, err
}

// DecryptTo prepares in and decrypts it into the memory that dst returns
// for the plaintext's size, as secretcat does.
func DecryptTo(in *crypt.Input, opts crypt.Options, dst func(size int64) ([]byte, error)) error {
	plan, err := in.Prepare(opts)
	if err != nil {
		return err
	}
	mem, err := dst(plan.Size())
	if err != nil {
		plan.Discard()
		return err
	}
	return plan.Decrypt(mem)
}

// SSHPublicBlob returns the SSH wire encoding of the public key of an
// unencrypted private key, as x/crypto/ssh reads it.
func SSHPublicBlob(t *testing.T, plain []byte) []byte {
	t.Helper()
	k, err := ssh.ParseRawPrivateKey(plain)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return s.PublicKey().Marshal()
}

// MustRead reads the file at path.
func MustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// WriteFile writes data to the file at path, readable by its owner only.
func WriteFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// BagAttributes is text that openssl writes before a key exported from a
// PKCS#12 file, of about n bytes.
func BagAttributes(n int) []byte {
	text := []byte("Bag Attributes\n    localKeyID: 01 00 00 00\n    friendlyName: secretcat test\nKey Attributes: <No Attributes>\n")
	for len(text) < n {
		text = append(text, "    1.3.6.1.4.1.311.17.1: Microsoft Enhanced Cryptographic Provider v1.0\n"...)
	}
	return text
}

// CompositePrimeRSAKey is an RSA key that is consistent in every way but
// one: its first "prime" is the product of two primes. n is p·q, d·e ≡ 1
// modulo p-1 and q-1, and q⁻¹ mod p is right, so that only a primality
// test tells it from a key; it does not decrypt what its public key
// encrypts.
func CompositePrimeRSAKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	e := big.NewInt(65537)
	one := big.NewInt(1)
	coprime := func(r *big.Int) bool {
		return new(big.Int).GCD(nil, nil, e, new(big.Int).Sub(r, one)).Cmp(one) == 0
	}
	prime := func(bits int) *big.Int {
		r, err := rand.Prime(rand.Reader, bits)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	for range 100 {
		a, b, q := prime(512), prime(512), prime(1024)
		p := new(big.Int).Mul(a, b)
		if p.BitLen() != q.BitLen() || !coprime(p) || !coprime(q) {
			continue
		}
		pm1, qm1 := new(big.Int).Sub(p, one), new(big.Int).Sub(q, one)
		lcm := new(big.Int).Div(new(big.Int).Mul(pm1, qm1), new(big.Int).GCD(nil, nil, pm1, qm1))
		k := &rsa.PrivateKey{
			PublicKey: rsa.PublicKey{N: new(big.Int).Mul(p, q), E: int(e.Int64())},
			D:         new(big.Int).ModInverse(e, lcm),
			Primes:    []*big.Int{p, q},
		}
		k.Precomputed.Qinv = new(big.Int).ModInverse(q, p)
		return k
	}
	t.Fatal("no composite RSA key in 100 tries")
	return nil
}
