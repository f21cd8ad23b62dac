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
	"github.com/secretcat/secretcat/crypt/internal/cryptest"
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
				f, err := cryptest.DecryptToSecret(path, nil, ids)
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
