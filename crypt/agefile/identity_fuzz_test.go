package agefile_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"filippo.io/age"
	"filippo.io/age/plugin"

	"github.com/secretcat/secretcat/crypt"
	"github.com/secretcat/secretcat/crypt/agefile"
	"github.com/secretcat/secretcat/crypt/internal/cryptest"
)

// FuzzIdentityFile feeds arbitrary identity files to the parser of -i and
// SECRETCAT_IDENTITY: it must never panic and every failure must have a
// kind; whatever it accepts then decrypts, or fails to decrypt, an age file
// without panicking either.
// fixtureDir holds the PEM and OpenSSH key fixtures.
const fixtureDir = "../../testdata/pem"

func FuzzIdentityFile(f *testing.F) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte("# created: 2026-01-01T00:00:00Z\n# public key: " + id.Recipient().String() + "\n" + id.String() + "\n"))
	hybrid, err := age.GenerateHybridIdentity()
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(hybrid.String() + "\n"))
	f.Add([]byte(plugin.EncodeIdentity("sctest", []byte("data")) + "\n"))
	// A passphrase-encrypted identity file, with a cheap work factor.
	var encrypted bytes.Buffer
	r, err := age.NewScryptRecipient("fixture passphrase")
	if err != nil {
		f.Fatal(err)
	}
	r.SetWorkFactor(2)
	w, err := age.Encrypt(&encrypted, r)
	if err != nil {
		f.Fatal(err)
	}
	w.Write([]byte(id.String() + "\n"))
	w.Close()
	f.Add(encrypted.Bytes())
	// SSH keys: OpenSSH and PEM, encrypted or not.
	keys, _ := filepath.Glob(filepath.Join(fixtureDir, "*.openssh.aes256-ctr.pem*"))
	keys = append(keys, filepath.Join(fixtureDir, "rsa.legacy.aes128.pem"), filepath.Join(fixtureDir, "rsa.legacy.aes128.pem.want"))
	for _, name := range keys {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}

	var file bytes.Buffer
	w, err = age.Encrypt(&file, id.Recipient())
	if err != nil {
		f.Fatal(err)
	}
	w.Write([]byte("secret"))
	w.Close()

	f.Fuzz(func(t *testing.T, data []byte) {
		p := &agefile.IdentityParser{Prompt: func(string) ([]byte, error) { return []byte("fixture passphrase"), nil }}
		ids, err := p.Parse("fuzz", bytes.Clone(data))
		if err != nil {
			if crypt.KindOf(err) == 0 {
				t.Fatalf("error without a kind: %v", err)
			}
			return
		}
		defer agefile.WipeIdentities(ids)
		var usable []age.Identity // plugins would run programs
		for _, id := range ids {
			if _, ok := id.(*plugin.Identity); !ok {
				usable = append(usable, id)
			}
		}
		if len(usable) == 0 {
			return
		}
		in, err := crypt.Open("-", bytes.NewReader(file.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		cryptest.DecryptTo(in, crypt.Options{Identities: usable}, func(size int64) ([]byte, error) { return make([]byte, size), nil })
	})
}
