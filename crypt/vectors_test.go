package crypt_test

import (
	"bytes"
	"compress/zlib"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	agetest "c2sp.org/CCTV/age"

	"github.com/secretcat/secretcat/crypt"
	"github.com/secretcat/secretcat/crypt/agefile"
	"github.com/secretcat/secretcat/crypt/internal/cryptest"
)

// vector is one file of the age test kit (c2sp.org/CCTV/age).
type vector struct {
	expect      string
	payloadHash []byte
	ids         crypt.Options
	file        []byte
	// identities are the identity lines.
	identities []string
}

// withIdentities returns the vector's options with the identity file made
// of lines.
func (v *vector) withIdentities(t *testing.T, lines []string) crypt.Options {
	opts := v.ids
	if len(lines) > 0 {
		ids, err := new(agefile.IdentityParser).Parse("vector identities", []byte(strings.Join(lines, "\n")))
		if err != nil {
			t.Fatal(err)
		}
		opts.Identities = ids
	}
	return opts
}

func parseVector(t *testing.T, data []byte) *vector {
	v := &vector{}
	compressed := false
	for {
		line, rest, ok := bytes.Cut(data, []byte("\n"))
		if !ok {
			t.Fatal("vector has no payload")
		}
		data = rest
		if len(line) == 0 {
			break
		}
		key, value, _ := strings.Cut(string(line), ": ")
		switch key {
		case "expect":
			v.expect = value
		case "payload":
			h, err := hex.DecodeString(value)
			if err != nil {
				t.Fatal(err)
			}
			v.payloadHash = h
		case "identity":
			// Through secretcat's identity parser, as an identity file.
			v.identities = append(v.identities, value)
		case "passphrase":
			pass := value
			v.ids.Passphrase = func() ([]byte, error) { return []byte(pass), nil }
		case "compressed":
			compressed = value == "zlib"
		case "armored", "file key", "comment":
		default:
			t.Fatalf("unknown vector header %q", key)
		}
	}
	if compressed {
		r, err := zlib.NewReader(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if data, err = io.ReadAll(r); err != nil {
			t.Fatal(err)
		}
	}
	v.file = data
	return v
}

// testKitVectors is how many vectors the pinned c2sp.org/CCTV/age holds: a
// vector lost, or one more after an update, fails TestVectors.
const testKitVectors = 147

// TestVectors runs every age test-kit vector through secretcat's decryption
// path, from input detection to real secret memory: each success yields the
// expected payload in the secret mapping, each failure fails and leaves
// nothing behind.
func TestVectors(t *testing.T) {
	names, err := fs.Glob(agetest.Vectors, "*")
	if err != nil || len(names) != testKitVectors {
		t.Fatalf("test kit: %d vectors, want the %d of the pinned c2sp.org/CCTV/age; %v", len(names), testKitVectors, err)
	}
	counts := map[string]int{}
	for _, name := range names {
		data, err := fs.ReadFile(agetest.Vectors, name)
		if err != nil {
			t.Fatal(err)
		}
		v := parseVector(t, data)
		counts[v.expect]++
		t.Run(name, func(t *testing.T) {
			t.Run("stdin", func(t *testing.T) { checkVector(t, v, "-", v.withIdentities(t, v.identities)) })
			path := filepath.Join(t.TempDir(), "file")
			if err := os.WriteFile(path, v.file, 0o600); err != nil {
				t.Fatal(err)
			}
			t.Run("file", func(t *testing.T) { checkVector(t, v, path, v.withIdentities(t, v.identities)) })
		})
	}
	t.Logf("vectors by expectation: %v", counts)
}

func checkVector(t *testing.T, v *vector, path string, opts crypt.Options) {
	file, err := cryptest.DecryptToSecret(path, bytes.NewReader(v.file), opts)
	var mem []byte
	if file != nil {
		defer file.Close()
		mem = file.Bytes()
	}
	if v.expect == "success" {
		if err != nil {
			t.Fatalf("expected success, got %v", err)
		}
		if got := sha256.Sum256(mem); !bytes.Equal(got[:], v.payloadHash) {
			t.Fatalf("payload hash %x, want %x", got, v.payloadHash)
		}
		return
	}
	if err == nil {
		t.Fatalf("expected %s, got success", v.expect)
	}
	t.Logf("%s: %v", v.expect, err)
	if crypt.KindOf(err) == 0 {
		t.Errorf("error %v has no kind", err)
	}
	if mem != nil && !bytes.Equal(mem, make([]byte, len(mem))) {
		t.Errorf("failed decryption left plaintext in the secret mapping")
	}
	switch v.expect {
	case "armor failure":
		// Judged as age armor, whatever else the file may look like.
		if crypt.KindOf(err) != crypt.Malformed || !strings.Contains(err.Error(), "armor") {
			t.Errorf("armor failure reported as %v", err)
		}
	case "no match":
		// With no identity given at all (a passphrase-only vector whose
		// stanza is not scrypt's), it is the caller's mistake.
		if k := crypt.KindOf(err); k != crypt.Undecryptable && k != crypt.NoKey {
			t.Errorf("%s reported as kind %d: %v", v.expect, k, err)
		}
	case "HMAC failure", "payload failure":
		if crypt.KindOf(err) != crypt.Undecryptable {
			t.Errorf("%s reported as kind %d: %v", v.expect, crypt.KindOf(err), err)
		}
	}
	if v.expect == "no match" && !strings.Contains(err.Error(), "no identity matched") && !strings.Contains(err.Error(), "incorrect passphrase") {
		t.Errorf("no match reported as %v", err)
	}
}
