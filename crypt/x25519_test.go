package crypt_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"filippo.io/age"

	"github.com/secretcat/secretcat/crypt"
)

// TestX25519PublicKeyComment checks that the public key comment above an
// X25519 key is only a shortcut: a missing, wrong or malformed one still
// unwraps the key's stanzas, and none makes another key's stanza match.
func TestX25519PublicKeyComment(t *testing.T) {
	id, _ := age.GenerateX25519Identity()
	other, _ := age.GenerateX25519Identity()
	for name, comment := range map[string]string{
		"right":     publicKeyComment + id.Recipient().String() + "\n",
		"none":      "",
		"wrong":     publicKeyComment + other.Recipient().String() + "\n",
		"malformed": publicKeyComment + "age1notakey\n",
		"far above": publicKeyComment + other.Recipient().String() + "\n" + other.String() + "\n",
	} {
		t.Run(name, func(t *testing.T) {
			ids, err := new(crypt.IdentityParser).Parse("ids", []byte("# created: now\n"+comment+id.String()+"\n"))
			if err != nil {
				t.Fatal(err)
			}
			mine := ids[len(ids)-1]
			if _, err := mine.Unwrap(wrap(t, other.Recipient())); !errors.Is(err, age.ErrIncorrectIdentity) {
				t.Errorf("another key's stanza: got %v, want age.ErrIncorrectIdentity", err)
			}
			fileKey := make([]byte, 16)
			rand.Read(fileKey)
			stanzas, _ := id.Recipient().Wrap(fileKey)
			for range 2 { // before and after the public key was derived
				got, err := mine.Unwrap(append(wrap(t, other.Recipient()), stanzas...))
				if err != nil || !bytes.Equal(got, fileKey) {
					t.Fatalf("unwrapped %x, %v; want %x", got, err, fileKey)
				}
			}
		})
	}
}

// FuzzX25519Identity checks that secretcat accepts exactly the X25519
// identities that age accepts, and that they unwrap alike.
func FuzzX25519Identity(f *testing.F) {
	for range 4 {
		id, _ := age.GenerateX25519Identity()
		s := id.String()
		f.Add(s)
		f.Add(strings.ToLower(s))
		f.Add(s[:len(s)-1] + "Q")
		f.Add(s[:len(s)-7] + "QQQQQQQ")
		f.Add(s[:20] + s[21:])
		f.Add(s + "Q")
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !strings.HasPrefix(s, "AGE-SECRET-KEY-1") || strings.ContainsAny(s, " \t\r\n\v\f#") || !utf8.ValidString(s) {
			return // not an X25519 identity line for either parser
		}
		want, wantErr := age.ParseX25519Identity(s)
		ids, err := new(crypt.IdentityParser).Parse("fuzz", []byte(s))
		if (err == nil) != (wantErr == nil) {
			t.Fatalf("%q: secretcat says %v, age says %v", s, err, wantErr)
		}
		if err != nil {
			return
		}
		fileKey := make([]byte, 16)
		stanzas, _ := want.Recipient().Wrap(fileKey)
		if got, err := ids[0].Unwrap(stanzas); err != nil || !bytes.Equal(got, fileKey) {
			t.Fatalf("%q: unwrapped %x, %v", s, got, err)
		}
	})
}
