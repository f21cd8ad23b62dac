package wipe_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/rand"
	"crypto/sha512"
	"reflect"
	"strings"
	"testing"
	"unsafe"

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

// TestDeep checks that Deep reaches the key schedule of an AES-GCM AEAD,
// whose first round keys are the key itself (in its byte order or by
// 32-bit words): found in the AEAD's memory before, gone after. The cipher
// package still works for a new AEAD: Deep wrote nothing it shares.
func TestDeep(t *testing.T) {
	key := make([]byte, 32)
	rand.Read(key)
	swapped := make([]byte, 32)
	for i := range 8 {
		for j := range 4 {
			swapped[4*i+j] = key[4*i+3-j]
		}
	}
	newGCM := func() cipher.AEAD {
		block, err := aes.NewCipher(key)
		if err != nil {
			t.Fatal(err)
		}
		gcm, err := cipher.NewGCMWithNonceSize(block, 32)
		if err != nil {
			t.Fatal(err)
		}
		return gcm
	}
	holdsKey := func(a cipher.AEAD) bool { return holds(a, key[:16]) || holds(a, swapped[:16]) }
	seal := func(a cipher.AEAD) []byte { return a.Seal(nil, make([]byte, 32), []byte("plaintext"), nil) }
	gcm := newGCM()
	want := seal(gcm)
	if !holdsKey(gcm) {
		t.Fatal("positive control: the AEAD's memory does not hold its key")
	}
	wipe.Deep(gcm)
	if holdsKey(gcm) {
		t.Error("the wiped AES-GCM still holds its key")
	}
	if !bytes.Equal(seal(newGCM()), want) {
		t.Error("a new AES-GCM no longer seals as before: Deep wrote shared state")
	}
	d := sha512.New()
	secret := []byte("a secret value in the block buffer")
	d.Write(secret)
	if !holds(d, secret) {
		t.Fatal("positive control: the SHA-512 digest does not buffer its input")
	}
	wipe.Deep(d)
	if holds(d, secret) {
		t.Error("the wiped SHA-512 digest still holds its input")
	}
}

// holds reports whether the struct that ptr points to holds b.
func holds(ptr any, b []byte) bool {
	v := reflect.ValueOf(ptr)
	return bytes.Contains(unsafe.Slice((*byte)(v.UnsafePointer()), v.Elem().Type().Size()), b)
}
