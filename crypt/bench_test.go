package crypt_test

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"filippo.io/age"

	"github.com/secretcat/secretcat/crypt"
)

// BenchmarkDecrypt compares decryption into fresh secret memory, the way
// secretcat does it, with age.Decrypt into io.Discard, which pays neither for
// page faults nor for leaving the direct map.
func BenchmarkDecrypt(b *testing.B) {
	for _, size := range []int{1 << 20, 64 << 20} {
		id, err := age.GenerateX25519Identity()
		if err != nil {
			b.Fatal(err)
		}
		var ct bytes.Buffer
		w, err := age.Encrypt(&ct, id.Recipient())
		if err != nil {
			b.Fatal(err)
		}
		w.Write(bytes.Repeat([]byte{0x5a}, size))
		w.Close()
		path := filepath.Join(b.TempDir(), "bench.age")
		if err := os.WriteFile(path, ct.Bytes(), 0o600); err != nil {
			b.Fatal(err)
		}
		ids := crypt.Options{Identities: []age.Identity{id}}
		name := fmt.Sprintf("%dMiB", size>>20)

		b.Run("secretmem/"+name, func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				f, err := decryptToSecret(path, nil, ids)
				if err != nil {
					b.Fatal(err)
				}
				f.Close()
			}
		})
		b.Run("age-discard/"+name, func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				f, err := os.Open(path)
				if err != nil {
					b.Fatal(err)
				}
				r, err := age.Decrypt(f, id)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := io.Copy(io.Discard, r); err != nil {
					b.Fatal(err)
				}
				f.Close()
			}
		})
	}
}

// BenchmarkScryptWorstAccepted times the costliest scrypt parameters that
// secretcat accepts in a PKCS#8 key, the most work a crafted key can ask
// for: the largest N*r within openssl's default memory limit, with p at its
// bound. The key is derived with the fixture's passphrase but parameters it
// was not encrypted with, so each run ends in a wrong-passphrase error.
func BenchmarkScryptWorstAccepted(b *testing.B) {
	const p = 16
	var n, r int
	for logN := 1; logN < 20; logN++ {
		for rr := 1<<18>>logN + 1; rr > 0; rr-- {
			if crypt.ScryptAllowed(1<<logN, rr, p) {
				if (1<<logN)*rr > n*r {
					n, r = 1<<logN, rr
				}
				break
			}
		}
	}
	if crypt.ScryptAllowed(n, r, p+1) || crypt.ScryptAllowed(n, r+1, p) || crypt.ScryptAllowed(2*n, r, p) {
		b.Fatalf("N=%d r=%d p=%d is not at the bounds", n, r, p)
	}
	data, err := os.ReadFile(filepath.Join(fixtureDir, "rsa.pkcs8.scrypt.aes-256-cbc.pem"))
	if err != nil {
		b.Fatal(err)
	}
	data = withScrypt(b, data, n, r, p)
	opts := pemOptions(fixturePassphrase(b, fixtureDir))
	b.Run(fmt.Sprintf("N=%d,r=%d,p=%d", n, r, p), func(b *testing.B) {
		for b.Loop() {
			in, err := crypt.Open("-", bytes.NewReader(data))
			if err != nil {
				b.Fatal(err)
			}
			if _, err := in.Prepare(opts); crypt.KindOf(err) != crypt.Undecryptable {
				b.Fatalf("got %v, want a wrong passphrase", err)
			}
		}
	})
}
