package crypt

import (
	"bytes"
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"

	"filippo.io/age"
	"golang.org/x/crypto/chacha20poly1305"
)

const (
	x25519Label = "age-encryption.org/v1/X25519"
	fileKeySize = 16
)

// publicKeyComment starts the comment that age-keygen writes above each
// secret key.
const publicKeyComment = "# public key: "

// x25519Identity is an age X25519 identity (AGE-SECRET-KEY-1...). Unwrapping
// a stanza needs the identity's public key, which age derives from the
// secret key when it parses it: an X25519 scalar multiplication, as costly
// as the unwrapping itself and a tenth of a small file's decryption. Here the
// public key comes from the "# public key:" comment above the key when there
// is one, and is derived only when the comment is missing, or wrong: a wrong
// public key gives a wrong wrapping key, whose authentication fails, and the
// stanza is tried again with the derived one.
type x25519Identity struct {
	secret  [x25519Size]byte
	public  []byte
	derived bool // public was derived from secret
}

// parseX25519Identity parses an AGE-SECRET-KEY-1 key, with the public key of
// its comment (publicKey, "" if none).
func parseX25519Identity(s, publicKey string) (*x25519Identity, error) {
	hrp, key, err := bech32Decode(s)
	defer clear(key)
	if err != nil {
		return nil, fmt.Errorf("malformed secret key: %v", err)
	}
	if hrp != "AGE-SECRET-KEY-" {
		return nil, fmt.Errorf("malformed secret key: unknown type %q", hrp)
	}
	if len(key) != x25519Size {
		return nil, errors.New("malformed secret key: invalid X25519 secret key")
	}
	id := &x25519Identity{}
	copy(id.secret[:], key)
	if hrp, pub, err := bech32Decode(publicKey); err == nil && hrp == "age" && len(pub) == x25519Size {
		id.public = pub
	}
	return id, nil
}

func (i *x25519Identity) derivePublic() error {
	pub, err := x25519(i.secret[:], x25519Basepoint)
	if err != nil {
		return err
	}
	i.public, i.derived = pub, true
	return nil
}

func (i *x25519Identity) Unwrap(stanzas []*age.Stanza) ([]byte, error) {
	return eachStanza(stanzas, i.unwrap)
}

func (i *x25519Identity) unwrap(s *age.Stanza) ([]byte, error) {
	share, err := ephemeralShare(s, "X25519", 1)
	if err != nil {
		return nil, err
	}
	shared, err := x25519(i.secret[:], share)
	if err != nil {
		return nil, fmt.Errorf("invalid X25519 recipient: %v", err)
	}
	defer clear(shared)
	if len(s.Body) != fileKeySize+chacha20poly1305.Overhead {
		return nil, errors.New("invalid X25519 recipient block: incorrect file key size")
	}
	if i.public == nil {
		if err := i.derivePublic(); err != nil {
			return nil, err
		}
	}
	fileKey, err := openFileKey(shared, share, i.public, x25519Label, s.Body)
	if err == nil || i.derived {
		return fileKey, err
	}
	// The stanza may be for another key, or the comment may be wrong.
	hint := i.public
	if err := i.derivePublic(); err != nil {
		return nil, err
	}
	if bytes.Equal(hint, i.public) {
		return nil, age.ErrIncorrectIdentity
	}
	return openFileKey(shared, share, i.public, x25519Label, s.Body)
}

// ephemeralShare checks that s is a stanza of type typ with its ephemeral
// X25519 share as its last of args arguments, and decodes the share. A
// stanza of another type is for another identity; a malformed one is an
// error, as in age.
func ephemeralShare(s *age.Stanza, typ string, args int) ([]byte, error) {
	if s.Type != typ {
		return nil, age.ErrIncorrectIdentity
	}
	if len(s.Args) != args {
		return nil, fmt.Errorf("invalid %s recipient block", typ)
	}
	share, err := decodeStanzaArg(s.Args[args-1])
	if err != nil {
		return nil, fmt.Errorf("failed to parse %s recipient: %v", typ, err)
	}
	if len(share) != x25519Size {
		return nil, fmt.Errorf("invalid %s recipient block", typ)
	}
	return share, nil
}

// openFileKey opens the wrapped file key of an X25519-based stanza: the
// wrapping key is HKDF-SHA-256 of the shared secret, salted with the
// ephemeral share and the recipient's public key. A body that does not
// authenticate is a stanza for another identity.
func openFileKey(shared, share, public []byte, label string, body []byte) ([]byte, error) {
	salt := make([]byte, 0, len(share)+len(public))
	salt = append(append(salt, share...), public...)
	wrapKey, err := hkdf.Key(sha256.New, shared, salt, label, chacha20poly1305.KeySize)
	if err != nil {
		return nil, err
	}
	defer clear(wrapKey)
	aead, err := chacha20poly1305.New(wrapKey)
	if err != nil {
		return nil, err
	}
	defer wipeAEAD(aead)
	fileKey, err := aead.Open(nil, make([]byte, chacha20poly1305.NonceSize), body, nil)
	if err != nil {
		return nil, age.ErrIncorrectIdentity
	}
	return fileKey, nil
}

// bech32Charset is Bech32's alphabet (BIP 173).
const bech32Charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

// bech32Decode decodes a Bech32 string, as age encodes its keys: BIP 173
// without the 90-character limit. It returns the human-readable part as
// written and the data, whose padding bits must be zero.
func bech32Decode(s string) (string, []byte, error) {
	if strings.ToLower(s) != s && strings.ToUpper(s) != s {
		return "", nil, errors.New("mixed case")
	}
	pos := strings.LastIndexByte(s, '1')
	if pos < 1 || pos+7 > len(s) {
		return "", nil, errors.New("separator '1' at invalid position")
	}
	hrp := s[:pos]
	values := make([]byte, 0, 2*len(hrp)+1+len(s)-pos-1)
	defer clear(values) // the data of a secret key, in 5-bit groups
	for i := 0; i < len(hrp); i++ {
		if hrp[i] < 33 || hrp[i] > 126 {
			return "", nil, errors.New("invalid character in human-readable part")
		}
		values = append(values, lower(hrp[i])>>5)
	}
	values = append(values, 0)
	for i := 0; i < len(hrp); i++ {
		values = append(values, lower(hrp[i])&31)
	}
	data := len(values)
	for i := pos + 1; i < len(s); i++ {
		d := strings.IndexByte(bech32Charset, lower(s[i]))
		if d < 0 {
			return "", nil, errors.New("invalid character in data part")
		}
		values = append(values, byte(d))
	}
	if bech32Polymod(values) != 1 {
		return "", nil, errors.New("invalid checksum")
	}
	// From 5-bit groups, less the 6 of the checksum, to bytes.
	var out []byte
	var acc uint32
	var bits uint
	for _, v := range values[data : len(values)-6] {
		acc = acc<<5 | uint32(v)
		bits += 5
		if bits >= 8 {
			bits -= 8
			out = append(out, byte(acc>>bits))
		}
	}
	if bits >= 5 || acc&(1<<bits-1) != 0 {
		clear(out)
		return "", nil, errors.New("invalid padding")
	}
	return hrp, out, nil
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func bech32Polymod(values []byte) uint32 {
	generator := [5]uint32{0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3}
	chk := uint32(1)
	for _, v := range values {
		top := chk >> 25
		chk = (chk&0x1ffffff)<<5 ^ uint32(v)
		for i, g := range generator {
			if top>>i&1 == 1 {
				chk ^= g
			}
		}
	}
	return chk
}
