package wipe_test

import (
	"bytes"
	"crypto/ecdh"
	"crypto/rand"
	"crypto/sha512"
	"strings"
	"testing"

	"filippo.io/age"
	"filippo.io/bigmod"
	"golang.org/x/crypto/chacha20poly1305"

	"github.com/secretcat/secretcat/crypt/internal/wipe"
)

// TestWipeReachesFields checks that each wipe of a library's unexported
// field finds its field and zeroes it: wipeField does nothing, silently,
// when a library renames or retypes the field, and only this test would
// tell. Each check uses the library's own API to see the zeroed key.
func TestWipeReachesFields(t *testing.T) {
	t.Run("ChaCha20-Poly1305 key", func(t *testing.T) {
		key := make([]byte, chacha20poly1305.KeySize)
		rand.Read(key)
		aead, _ := chacha20poly1305.New(key)
		if !wipe.AEAD(aead) {
			t.Fatal("the AEAD's key field was not found")
		}
		zero, _ := chacha20poly1305.New(make([]byte, chacha20poly1305.KeySize))
		nonce := make([]byte, chacha20poly1305.NonceSize)
		if got, want := aead.Seal(nil, nonce, []byte("x"), nil), zero.Seal(nil, nonce, []byte("x"), nil); !bytes.Equal(got, want) {
			t.Error("the wiped AEAD still seals with its key")
		}
	})
	t.Run("scrypt identity passphrase", func(t *testing.T) {
		id, err := age.NewScryptIdentity("password")
		if err != nil {
			t.Fatal(err)
		}
		if !wipe.Scrypt(id) {
			t.Fatal("the scrypt identity's password field was not found")
		}
		// The identity now holds as many zero bytes as the passphrase had.
		r, err := age.NewScryptRecipient(strings.Repeat("\x00", len("password")))
		if err != nil {
			t.Fatal(err)
		}
		r.SetWorkFactor(10)
		fileKey := make([]byte, 16)
		rand.Read(fileKey)
		stanzas, err := r.Wrap(fileKey)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := id.Unwrap(stanzas); err != nil || !bytes.Equal(got, fileKey) {
			t.Errorf("the wiped identity does not hold zeros: %v", err)
		}
	})
	t.Run("crypto/sha512 buffer", func(t *testing.T) {
		d := sha512.New()
		d.Write([]byte("secret"))
		if !wipe.SHA512(d) {
			t.Fatal("the digest's buffer field was not found")
		}
		// The digest now sums zeros where the input was.
		want := sha512.Sum512(make([]byte, len("secret")))
		if got := d.Sum(nil); !bytes.Equal(got, want[:]) {
			t.Error("the wiped digest still holds its input")
		}
	})
	t.Run("crypto/ecdh X25519 key", func(t *testing.T) {
		k, err := ecdh.X25519().GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if !wipe.X25519Key(k) {
			t.Fatal("the ecdh key's privateKey field was not found")
		}
		if b := k.Bytes(); !bytes.Equal(b, make([]byte, len(b))) {
			t.Errorf("the wiped key still holds %x", b)
		}
	})
	t.Run("crypto/ecdh P-256 key", func(t *testing.T) {
		k, err := ecdh.P256().GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if !wipe.ECDHKey(k) {
			t.Fatal("the ecdh key's privateKey field, or its FIPS key's d, was not found")
		}
		if b := k.Bytes(); !bytes.Equal(b, make([]byte, len(b))) {
			t.Errorf("the wiped key still holds %x", b)
		}
	})
	t.Run("bigmod modulus", func(t *testing.T) {
		p := []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xc5} // 2^64-59, prime
		m, err := bigmod.NewModulus(p)
		if err != nil {
			t.Fatal(err)
		}
		if !wipe.Modulus(m) {
			t.Fatal("the modulus's nat, rr or m0inv field was not found")
		}
		if n := m.Nat().Bits(); n[0] != 0 {
			t.Errorf("the wiped modulus still holds %#x", n[0])
		}
	})
}
