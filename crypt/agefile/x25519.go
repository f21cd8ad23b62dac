package agefile

import (
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"

	"filippo.io/age"
	"golang.org/x/crypto/chacha20poly1305"

	"github.com/secretcat/secretcat/crypt/internal/wipe"
)

const (
	x25519Label = "age-encryption.org/v1/X25519"
	fileKeySize = 16
	// x25519Size is the size of X25519 scalars, points and shared secrets.
	x25519Size = 32
)

// x25519Identity is an age X25519 identity (AGE-SECRET-KEY-1...), as
// age.X25519Identity, but with a secret key that WipeIdentities reaches,
// decoded from the identity file's text in place. age.X25519Identity keeps
// its key in a field no one can wipe, and age.ParseIdentities leaves the
// file's text in strings: parsing three keys with it and decrypting with
// them left 258 16-byte windows of their text on the heap, where
// TestIdentityNotOnHeap's scan finds none with this parser. Its crypto/ecdh
// key is made once, when it is parsed, which derives the public key from
// the secret key as age does: the public key salts the wrapping key of
// every stanza.
type x25519Identity struct {
	key    *ecdh.PrivateKey
	public []byte
}

// parseX25519Identity parses an AGE-SECRET-KEY-1 key. The key is decoded
// from s in place, without a copy of its text; the only copy of the secret
// key it leaves is the ecdh key's.
func parseX25519Identity(s string) (*x25519Identity, error) {
	var secret [x25519Size]byte
	defer clear(secret[:])
	hrp, err := bech32Decode(s, secret[:])
	if err != nil {
		return nil, fmt.Errorf("malformed secret key: %v", err)
	}
	if hrp != "AGE-SECRET-KEY-" {
		return nil, fmt.Errorf("malformed secret key: unknown type %q", hrp)
	}
	key, err := newX25519Key(secret[:])
	if err != nil {
		return nil, fmt.Errorf("malformed secret key: %v", err)
	}
	return &x25519Identity{key: key, public: key.PublicKey().Bytes()}, nil
}

// newX25519Key makes a crypto/ecdh X25519 key of a scalar, which it copies.
func newX25519Key(scalar []byte) (*ecdh.PrivateKey, error) {
	return ecdh.X25519().NewPrivateKey(scalar)
}

// x25519 is the X25519 function of key and a peer's share: their shared
// secret. A share of low order, whose shared secret is zero, is refused.
func x25519(key *ecdh.PrivateKey, share []byte) ([]byte, error) {
	peer, err := ecdh.X25519().NewPublicKey(share)
	if err != nil {
		return nil, err
	}
	return key.ECDH(peer)
}

func (i *x25519Identity) Unwrap(stanzas []*age.Stanza) ([]byte, error) {
	return eachStanza(stanzas, i.unwrap)
}

func (i *x25519Identity) unwrap(s *age.Stanza) ([]byte, error) {
	share, err := ephemeralShare(s, "X25519", 1)
	if err != nil {
		return nil, err
	}
	shared, err := x25519(i.key, share)
	if err != nil {
		return nil, fmt.Errorf("invalid X25519 recipient: %v", err)
	}
	defer clear(shared)
	if len(s.Body) != fileKeySize+chacha20poly1305.Overhead {
		return nil, errors.New("invalid X25519 recipient block: incorrect file key size")
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
	defer wipe.AEAD(aead)
	fileKey, err := aead.Open(nil, make([]byte, chacha20poly1305.NonceSize), body, nil)
	if err != nil {
		return nil, age.ErrIncorrectIdentity
	}
	return fileKey, nil
}

// bech32Charset is Bech32's alphabet (BIP 173).
const bech32Charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

// bech32Decode decodes a Bech32 string as age's decoder does (BIP 173
// without the 90-character limit; the data's padding bits must be zero),
// with the data going straight into out, which it must fill exactly. It
// returns the human-readable part, a substring of s. Nothing is copied on
// the way: neither the text, which may be a secret key, nor the data.
func bech32Decode(s string, out []byte) (string, error) {
	var lowers, uppers bool
	for i := 0; i < len(s); i++ {
		lowers = lowers || 'a' <= s[i] && s[i] <= 'z'
		uppers = uppers || 'A' <= s[i] && s[i] <= 'Z'
	}
	if lowers && uppers {
		return "", errors.New("mixed case")
	}
	pos := strings.LastIndexByte(s, '1')
	if pos < 1 || pos+7 > len(s) {
		return "", errors.New("separator '1' at invalid position")
	}
	hrp, data := s[:pos], s[pos+1:]
	for i := 0; i < len(hrp); i++ {
		if hrp[i] < 33 || hrp[i] > 126 {
			return "", errors.New("invalid character in human-readable part")
		}
	}
	// The checksum, over the expanded human-readable part and the data.
	chk := uint32(1)
	for i := 0; i < len(hrp); i++ {
		chk = bech32Polymod(chk, lower(hrp[i])>>5)
	}
	chk = bech32Polymod(chk, 0)
	for i := 0; i < len(hrp); i++ {
		chk = bech32Polymod(chk, lower(hrp[i])&31)
	}
	for i := 0; i < len(data); i++ {
		v, ok := bech32Value(data[i])
		if !ok {
			return "", errors.New("invalid character in data part")
		}
		chk = bech32Polymod(chk, v)
	}
	if chk != 1 {
		return "", errors.New("invalid checksum")
	}
	// The data, less the 6 characters of the checksum, from 5-bit groups
	// to bytes. The padding is the last character's low bits.
	data = data[:len(data)-6]
	n, pad := 5*len(data)/8, 5*len(data)%8
	if pad >= 5 {
		return "", errors.New("illegal zero padding")
	}
	if len(data) > 0 {
		if v, _ := bech32Value(data[len(data)-1]); v&(1<<pad-1) != 0 {
			return "", errors.New("non-zero padding")
		}
	}
	if n != len(out) {
		return "", fmt.Errorf("%d bytes of data, want %d", n, len(out))
	}
	var acc uint32
	var bits uint
	w := 0
	for i := 0; i < len(data); i++ {
		v, _ := bech32Value(data[i])
		acc = acc<<5 | uint32(v)
		bits += 5
		if bits >= 8 {
			bits -= 8
			out[w] = byte(acc >> bits)
			w++
		}
	}
	return hrp, nil
}

// bech32Value is the 5-bit value of a data character, in either case.
func bech32Value(c byte) (byte, bool) {
	i := strings.IndexByte(bech32Charset, lower(c))
	return byte(i), i >= 0
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// bech32Polymod adds the 5-bit value v to the BCH checksum chk.
func bech32Polymod(chk uint32, v byte) uint32 {
	generator := [5]uint32{0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3}
	top := chk >> 25
	chk = (chk&0x1ffffff)<<5 ^ uint32(v)
	for i, g := range generator {
		if top>>i&1 == 1 {
			chk ^= g
		}
	}
	return chk
}
