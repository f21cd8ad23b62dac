package agefile_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/secretcat/secretcat/crypt"
	"github.com/secretcat/secretcat/crypt/agefile"
)

// TestX25519LowOrderShares: a stanza whose ephemeral share is a point of
// low order, whose shared secret is zero whatever the key, is an error for
// secretcat's X25519 identity as for age's, not a stanza for another
// identity. The points: 0, 1, the two points of order 8, and the
// non-canonical encodings p-1, p and p+1.
func TestX25519LowOrderShares(t *testing.T) {
	ageID, _ := age.GenerateX25519Identity()
	ids, err := new(agefile.IdentityParser).Parse("ids", []byte(ageID.String()+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	good := wrap(t, ageID.Recipient())[0]
	ff := strings.Repeat("ff", 30)
	for _, p := range []string{
		strings.Repeat("00", 32),
		"01" + strings.Repeat("00", 31),
		"e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
		"5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
		"ec" + ff + "7f",
		"ed" + ff + "7f",
		"ee" + ff + "7f",
	} {
		point, _ := hex.DecodeString(p)
		s := &age.Stanza{Type: "X25519", Args: []string{stanzaArg(point)}, Body: good.Body}
		_, want := ageID.Unwrap([]*age.Stanza{s})
		_, got := ids[0].Unwrap([]*age.Stanza{s})
		if got == nil || errors.Is(got, age.ErrIncorrectIdentity) || want == nil || errors.Is(want, age.ErrIncorrectIdentity) {
			t.Errorf("share %s: secretcat says %v, age says %v; want an error from both", p, got, want)
		}
	}
}

// FuzzX25519Identity checks that secretcat's identity file parser accepts
// exactly the unencrypted X25519 (and post-quantum) identity files that
// age's accepts, whitespace, line endings and comments included, and that
// the identities unwrap alike. Only what age's library parser leaves to its
// command (encrypted identity files, SSH keys, plugins) is skipped.
func FuzzX25519Identity(f *testing.F) {
	for range 2 {
		id, _ := age.GenerateX25519Identity()
		s := id.String()
		f.Add(s)
		f.Add(s + "\n")
		f.Add(strings.ToLower(s))
		f.Add(s[:len(s)-1] + "Q")
		f.Add(s[:len(s)-7] + "QQQQQQQ")
		f.Add(s[:20] + s[21:])
		f.Add(s + "Q")
		f.Add("# created: now\n# public key: " + id.Recipient().String() + "\n" + s + "\n")
		f.Add("# public key: age1notakey\n" + s + "\r\n\r\n")
		f.Add(s + "\r")
		f.Add(s + "\r\r\n")
		f.Add(" " + s)
		f.Add(s + " ")
		f.Add("\t" + s + "\n")
		f.Add(s + "\u00a0\n")
		f.Add("\u00a0" + s)
		f.Add("  # an indented comment\n" + s + "\n")
		f.Add("\n \n" + s + "\n")
		f.Add(s + "\v")
		f.Add(strings.Repeat("#", 65534) + "\n" + s)
		f.Add(strings.Repeat("#", 65535) + "\n" + s)
		f.Add(strings.Repeat("#", 65536) + "\n" + s)
		f.Add(strings.Repeat("#", 65535) + "\r\n" + s)
		f.Add(s + "\n" + strings.Repeat("#", 65535))
		f.Add(s + "\n" + strings.Repeat("#", 65536))
	}
	f.Add("")
	f.Add("\n")
	f.Add("# only a comment\n")
	f.Add("age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq\n")
	f.Fuzz(func(t *testing.T, file string) {
		data := []byte(file)
		if crypt.Detect(data) != crypt.Unknown || bytes.HasPrefix(bytes.TrimSpace(data), []byte("-----BEGIN")) || strings.Contains(file, "AGE-PLUGIN-") {
			return // for age's command, not its library parser
		}
		want, wantErr := age.ParseIdentities(strings.NewReader(file))
		ids, err := new(agefile.IdentityParser).Parse("fuzz", bytes.Clone(data))
		if (err == nil) != (wantErr == nil) {
			t.Fatalf("%q: secretcat says %v, age says %v", file, err, wantErr)
		}
		if err != nil {
			return
		}
		if len(ids) != len(want) {
			t.Fatalf("%q: secretcat has %d identities, age %d", file, len(ids), len(want))
		}
		for i, w := range want {
			var r age.Recipient
			switch w := w.(type) {
			case *age.X25519Identity:
				r = w.Recipient()
			case *age.HybridIdentity:
				r = w.Recipient()
			default:
				t.Fatalf("age parsed a %T", w)
			}
			fileKey := make([]byte, 16)
			rand.Read(fileKey)
			stanzas, err := r.Wrap(fileKey)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := ids[i].Unwrap(stanzas); err != nil || !bytes.Equal(got, fileKey) {
				t.Fatalf("%q, identity %d: unwrapped %x, %v", file, i+1, got, err)
			}
		}
	})
}

// stanzaArg encodes a stanza argument as age does: unpadded base64.
func stanzaArg(b []byte) string { return base64.RawStdEncoding.EncodeToString(b) }
