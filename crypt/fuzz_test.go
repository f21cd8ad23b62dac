package crypt_test

import (
	"bytes"
	"encoding/pem"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	agetest "c2sp.org/CCTV/age"
	"filippo.io/age"

	"github.com/secretcat/secretcat/crypt"
	"github.com/secretcat/secretcat/crypt/internal/cryptest"
)

// addVectorSeeds seeds f with every file of the age test kit.
func addVectorSeeds(f *testing.F) {
	names, _ := fs.Glob(agetest.Vectors, "*")
	for _, name := range names {
		data, _ := fs.ReadFile(agetest.Vectors, name)
		if _, body, ok := bytes.Cut(data, []byte("\n\n")); ok {
			f.Add(body)
		}
	}
	f.Add([]byte("age-encryption.org/v1\n"))
	f.Add([]byte("  \n-----BEGIN AGE ENCRYPTED FILE-----\n"))
}

func FuzzDetect(f *testing.F) {
	addVectorSeeds(f)
	for _, name := range []string{"rsa.pkcs8.sha256.aes-256-cbc.pem", "bundle.pem"} {
		data, _ := os.ReadFile(filepath.Join(fixtureDir, name))
		f.Add(data)
		f.Add(append(cryptest.BagAttributes(600), data...))
	}
	// PEM quoted inside another format: not PEM, where no PEM reader looks.
	f.Add([]byte(`{"cert": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"}`))
	f.Add([]byte("cert: |\n  -----BEGIN CERTIFICATE-----\n  MIIB\n  -----END CERTIFICATE-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		format := crypt.Detect(data)
		// PEM exactly where a line begins a block.
		if hasBegin := bytes.HasPrefix(data, []byte("-----BEGIN ")) || bytes.Contains(data, []byte("\n-----BEGIN ")); format == crypt.PEM && !hasBegin {
			t.Errorf("PEM detected without a line that begins a block")
		}
		if (format == crypt.Age) != bytes.HasPrefix(data, []byte("age-encryption.org/")) {
			t.Errorf("binary age detected as %v", format)
		}
		// The age formats are told by the first bytes.
		if head := crypt.Detect(data[:min(len(data), crypt.DetectLen)]); (head == crypt.Age || head == crypt.AgeArmor) && head != format {
			t.Errorf("the first bytes say %v, the whole file %v", head, format)
		}
		// A PEM block that a PEM reader finds is found, wherever it is.
		if b, _ := pem.Decode(data); b != nil && format != crypt.Age && format != crypt.AgeArmor && format != crypt.PEM {
			t.Errorf("pem.Decode finds a %q block; detected as %v", b.Type, format)
		}
		// Open detects what Detect does, reading past the first bytes.
		in, err := crypt.Open("-", bytes.NewReader(data))
		if err == nil {
			in.Close()
			if in.Format != format {
				t.Errorf("Open detects %v, Detect %v", in.Format, format)
			}
		} else if format != crypt.AgeArmor {
			t.Errorf("Open: %v", err)
		}
	})
}

// FuzzDecrypt feeds arbitrary files to the age path: it must never panic,
// every failure must have a kind, and memory is asked for only once, at the
// size of the result.
func FuzzDecrypt(f *testing.F) {
	addVectorSeeds(f)
	id, err := age.ParseX25519Identity("AGE-SECRET-KEY-1XMWWC06LY3EE5RYTXM9MFLAZ2U56JJJ36S0MYPDRWSVLUL66MV4QX3S7F6")
	if err != nil {
		f.Fatal(err)
	}
	ids := crypt.Options{
		Identities: []age.Identity{id},
		Passphrase: func() ([]byte, error) { return []byte("password"), nil },
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var mem []byte
		calls := 0
		in, err := crypt.Open("-", bytes.NewReader(data))
		if err == nil {
			defer in.Close()
			err = cryptest.DecryptTo(in, ids, func(size int64) ([]byte, error) {
				calls++
				if size < 0 || size > int64(len(data)) {
					t.Fatalf("plaintext of %d bytes from %d bytes of input", size, len(data))
				}
				mem = make([]byte, size)
				return mem, nil
			})
		}
		if calls > 1 {
			t.Fatalf("destination asked for %d times", calls)
		}
		if err != nil {
			if crypt.KindOf(err) == 0 {
				t.Fatalf("error without a kind: %v", err)
			}
			if !bytes.Equal(mem, make([]byte, len(mem))) {
				t.Fatalf("failure left plaintext behind")
			}
		}
	})
}
