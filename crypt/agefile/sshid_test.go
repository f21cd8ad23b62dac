package agefile_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
	"filippo.io/age/agessh"
	"golang.org/x/crypto/ssh"

	"github.com/secretcat/secretcat/crypt"
	"github.com/secretcat/secretcat/crypt/agefile"
	"github.com/secretcat/secretcat/crypt/internal/cryptest"
)

// TestSSHIdentities checks secretcat's SSH identities against age's own
// (filippo.io/age/agessh): for every RSA and Ed25519 key fixture, in every
// encryption (OpenSSH, legacy PEM, PKCS#8) and unencrypted, a file key
// wrapped by agessh's recipient must unwrap to the same key, and a stanza
// for another key must be foreign.
func TestSSHIdentities(t *testing.T) {
	pass := cryptest.FixturePassphrase(t, fixtureDir)
	other := freshRecipient(t)
	files, _ := filepath.Glob(filepath.Join(fixtureDir, "*.pem"))
	n := 0
	for _, path := range files {
		base := filepath.Base(path)
		if !strings.HasPrefix(base, "rsa.") && !strings.HasPrefix(base, "ed25519.") {
			continue
		}
		n++
		t.Run(base, func(t *testing.T) {
			plain := cryptest.MustRead(t, path+".want")
			r := sshRecipient(t, plain)
			dir := t.TempDir()
			key := filepath.Join(dir, "key")
			// Encrypted PEM keys take their public key from KEY.pub.
			pub, _ := ssh.ParsePublicKey(cryptest.SSHPublicBlob(t, plain))
			cryptest.WriteFile(t, key+".pub", ssh.MarshalAuthorizedKey(pub))
			for _, c := range []struct {
				name string
				data []byte
			}{{"encrypted", cryptest.MustRead(t, path)}, {"unencrypted", plain}} {
				cryptest.WriteFile(t, key, c.data)
				asked := 0
				p := &agefile.IdentityParser{Prompt: func(string) ([]byte, error) { asked++; return []byte(pass), nil }}
				ids, err := p.ParseFile(key, nil)
				if err != nil {
					t.Fatalf("%s: %v", c.name, err)
				}
				if _, err := ids[0].Unwrap(wrap(t, other)); !errors.Is(err, age.ErrIncorrectIdentity) {
					t.Errorf("%s: a stanza for another key gave %v, want age.ErrIncorrectIdentity", c.name, err)
				}
				if asked != 0 {
					t.Errorf("%s: asked for the passphrase for a foreign stanza", c.name)
				}
				fileKey := make([]byte, 16)
				rand.Read(fileKey)
				stanzas, err := r.Wrap(fileKey)
				if err != nil {
					t.Fatal(err)
				}
				got, err := ids[0].Unwrap(append(wrap(t, other), stanzas...))
				if err != nil || !bytes.Equal(got, fileKey) {
					t.Errorf("%s: unwrapped %x, %v; want %x", c.name, got, err, fileKey)
				}
				agefile.WipeIdentities(ids)
			}
		})
	}
	if n < 20 {
		t.Fatalf("only %d SSH key fixtures", n)
	}
}

// TestSSHIdentityRefusals covers keys age cannot use and broken stanzas.
func TestSSHIdentityRefusals(t *testing.T) {
	p := &agefile.IdentityParser{Prompt: func(string) ([]byte, error) { return []byte("not it"), nil }}
	for _, name := range []string{"ecdsa.openssh.aes256-ctr.pem.want", "ec.legacy.aes128.pem.want", "dsa.legacy.aes128.pem.want", "ec.pkcs8.sha1.aes-256-cbc.pem.want"} {
		_, err := p.Parse(name, cryptest.MustRead(t, filepath.Join(fixtureDir, name)))
		if err == nil || !strings.Contains(err.Error(), "unsupported SSH key type") || crypt.KindOf(err) != crypt.Malformed {
			t.Errorf("%s: got %v, want an unsupported key type", name, err)
		}
	}

	// A wrong passphrase is an error naming the key, not a mismatch.
	plain := cryptest.MustRead(t, filepath.Join(fixtureDir, "ed25519.openssh.aes256-ctr.pem.want"))
	ids, err := p.Parse("ed.key", cryptest.MustRead(t, filepath.Join(fixtureDir, "ed25519.openssh.aes256-ctr.pem")))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ids[0].Unwrap(wrap(t, sshRecipient(t, plain))); err == nil || errors.Is(err, age.ErrIncorrectIdentity) || !strings.Contains(err.Error(), "SSH key ed.key") {
		t.Errorf("wrong passphrase: got %v", err)
	}

	// Malformed stanzas addressed to the key are errors, as in age.
	ids, err = p.Parse("ed.key", bytes.Clone(plain))
	if err != nil {
		t.Fatal(err)
	}
	good := wrap(t, sshRecipient(t, plain))[0]
	for _, s := range []*age.Stanza{
		{Type: "ssh-ed25519", Args: good.Args[:1], Body: good.Body},
		{Type: "ssh-ed25519", Args: []string{good.Args[0], good.Args[1] + "A"}, Body: good.Body},
		{Type: "ssh-ed25519", Args: []string{good.Args[0], strings.Repeat("A", 43)}, Body: good.Body}, // the zero point
	} {
		if _, err := ids[0].Unwrap([]*age.Stanza{s}); err == nil || errors.Is(err, age.ErrIncorrectIdentity) {
			t.Errorf("stanza %v: got %v, want an error", s.Args, err)
		}
	}
	// A corrupted body is a mismatch.
	bad := *good
	bad.Body = bytes.Clone(good.Body)
	bad.Body[0] ^= 1
	if _, err := ids[0].Unwrap([]*age.Stanza{&bad}); !errors.Is(err, age.ErrIncorrectIdentity) {
		t.Errorf("corrupted body: got %v", err)
	}

	// An encrypted PEM key without KEY.pub says where to put it.
	dir := t.TempDir()
	key := filepath.Join(dir, "legacy")
	cryptest.WriteFile(t, key, cryptest.MustRead(t, filepath.Join(fixtureDir, "rsa.legacy.aes128.pem")))
	if _, err := p.ParseFile(key, nil); err == nil || !strings.Contains(err.Error(), "put it in "+key+".pub") {
		t.Errorf("no KEY.pub: got %v", err)
	}
	// A KEY.pub of another key: the decrypted key does not match it.
	pub, _ := ssh.ParsePublicKey(cryptest.SSHPublicBlob(t, cryptest.MustRead(t, filepath.Join(fixtureDir, "rsa.openssh.aes256-ctr.pem.want"))))
	cryptest.WriteFile(t, key+".pub", ssh.MarshalAuthorizedKey(pub))
	p.Prompt = func(string) ([]byte, error) { return []byte(cryptest.FixturePassphrase(t, fixtureDir)), nil }
	ids, err = p.ParseFile(key, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, _ := agessh.NewRSARecipient(pub)
	if _, err := ids[0].Unwrap(wrap(t, r)); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Errorf("mismatched KEY.pub: got %v", err)
	}
}

// freshRecipient is an ssh-ed25519 recipient of a new key.
func freshRecipient(t *testing.T) age.Recipient {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	r, err := agessh.NewEd25519Recipient(sshPub)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func sshRecipient(t *testing.T, plain []byte) age.Recipient {
	t.Helper()
	pub, err := ssh.ParsePublicKey(cryptest.SSHPublicBlob(t, plain))
	if err != nil {
		t.Fatal(err)
	}
	r, err := agessh.ParseRecipient(string(ssh.MarshalAuthorizedKey(pub)))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func wrap(t *testing.T, r age.Recipient) []*age.Stanza {
	t.Helper()
	key := make([]byte, 16)
	rand.Read(key)
	s, err := r.Wrap(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSSHIdentityInconsistent: an unencrypted OpenSSH RSA key whose first
// prime is composite is refused as an identity without the primality
// tests that pemkey runs on delivered keys (tens of milliseconds on every
// run with -i id_rsa): crypto/rsa's validation, which costs none, finds
// its CRT coefficient wrong.
func TestSSHIdentityInconsistent(t *testing.T) {
	b, err := ssh.MarshalPrivateKey(cryptest.CompositePrimeRSAKey(t), "composite")
	if err != nil {
		t.Fatal(err)
	}
	p := &agefile.IdentityParser{Prompt: func(string) ([]byte, error) { t.Fatal("asked for a passphrase"); return nil, nil }}
	_, err = p.Parse("id_rsa", pem.EncodeToMemory(b))
	if crypt.KindOf(err) != crypt.Malformed || !strings.Contains(err.Error(), "invalid RSA private key") {
		t.Errorf("got %v, want an invalid RSA private key", err)
	}
}
