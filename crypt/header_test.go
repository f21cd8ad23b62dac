package crypt_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"filippo.io/age"
	"github.com/secretcat/secretcat/crypt"
)

// TestAgeHeaderSizes decrypts files whose headers span from one stanza to
// several pages, since secretcat finds the end of the header in a first
// read of one page and reads more only when it must, and files cut at every
// byte around the end of the header and its payload nonce.
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
			f, err := decryptToSecret(path, nil, crypt.Options{Identities: []age.Identity{id}})
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
