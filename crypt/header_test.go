package crypt_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/secretcat/secretcat/crypt"
	"github.com/secretcat/secretcat/crypt/internal/cryptest"
)

// TestAgeHeaderSizes decrypts files whose headers span from one stanza to
// several pages, since age's parser reads the header through a buffer of
// one page, and files cut at every byte around the end of the header and
// its payload nonce.
func TestAgeHeaderSizes(t *testing.T) {
	dir := t.TempDir()
	plaintext := []byte("secret key material\n")
	for _, n := range []int{1, 40, 41, 42, 43, 80} {
		var recipients []age.Recipient
		var ids []age.Identity
		for range n {
			id, err := age.GenerateX25519Identity()
			if err != nil {
				t.Fatal(err)
			}
			recipients = append(recipients, id.Recipient())
			ids = append(ids, id)
		}
		var file bytes.Buffer
		w, err := age.Encrypt(&file, recipients...)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(plaintext)
		w.Close()
		data := file.Bytes()
		headerEnd := bytes.Index(data, []byte("\n---")) + 1
		headerEnd += bytes.IndexByte(data[headerEnd:], '\n') + 1

		path := filepath.Join(dir, fmt.Sprintf("%d.age", n))
		decrypt := func(data []byte, id age.Identity) ([]byte, error) {
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
			f, err := cryptest.DecryptToSecret(path, nil, crypt.Options{Identities: []age.Identity{id}})
			if f == nil {
				return nil, err
			}
			defer f.Close()
			return bytes.Clone(f.Bytes()), err
		}
		for _, id := range []age.Identity{ids[0], ids[n-1]} {
			if got, err := decrypt(data, id); err != nil || !bytes.Equal(got, plaintext) {
				t.Fatalf("%d recipients, header of %d bytes: got %q, %v", n, headerEnd, got, err)
			}
		}
		for cut := headerEnd - 3; cut < headerEnd+16+2; cut++ {
			_, err := decrypt(data[:cut], ids[0])
			if err == nil || crypt.KindOf(err) == 0 {
				t.Errorf("%d recipients, cut at %d of %d+16 bytes: %v", n, cut, headerEnd, err)
			}
		}
	}
}

// TestAgeTruncated: an age file cut anywhere, in its header as in its
// payload, is truncated (status 4); an empty file says it is empty, and a
// header line that age cannot parse is malformed (status 3).
func TestAgeTruncated(t *testing.T) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	var file bytes.Buffer
	w, err := age.Encrypt(&file, id.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("secret key material\n"))
	w.Close()
	data := file.Bytes()
	prepare := func(data []byte) error {
		in, err := crypt.Open("-", bytes.NewReader(data))
		if err == nil {
			err = cryptest.DecryptTo(in, crypt.Options{Identities: []age.Identity{id}}, func(size int64) ([]byte, error) { return make([]byte, size), nil })
		}
		return err
	}
	for cut := len("age-encryption.org/"); cut < len(data); cut++ {
		err := prepare(data[:cut])
		if crypt.KindOf(err) != crypt.Undecryptable || !strings.Contains(err.Error(), "truncated") {
			t.Errorf("cut at %d of %d: %v (kind %d)", cut, len(data), err, crypt.KindOf(err))
		}
	}
	for _, tc := range []struct{ data, want string }{
		{"", "the file is empty"},
		{"age-encryption.org/v2\n", "invalid age header"},
		{"age-encryption.org/v1\n-> X25519\n!!\n", "invalid age header"},
		{"age-encryption.org/v1\nnot a stanza\n", "invalid age header"},
	} {
		err := prepare([]byte(tc.data))
		if crypt.KindOf(err) != crypt.Malformed || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v (kind %d), want %q", tc.data, err, crypt.KindOf(err), tc.want)
		}
	}
}
