// Package crypt recognises encrypted files by their content and decrypts them
// into memory provided by the caller, once the exact plaintext size is known.
//
// The caller's memory is meant to be a secret-memory mapping: decryption
// writes the plaintext there directly, chunk by chunk, and never into a
// buffer of its own.
package crypt

import (
	"bytes"
	"crypto/cipher"
	"errors"
	"fmt"

	"github.com/secretcat/secretcat/crypt/sops"
)

// Destination returns writable memory of exactly size bytes for the
// plaintext. It is called once, after the ciphertext has been checked as far
// as possible and before any plaintext exists.
type Destination func(size int64) ([]byte, error)

// Format is an encrypted file format recognised by Detect.
type Format int

const (
	// Unknown is any content that Detect does not recognise.
	Unknown Format = iota
	// Age is the binary age format (age-encryption.org/v1).
	Age
	// AgeArmor is the ASCII-armored age format.
	AgeArmor
	// PEM is a PEM file holding encrypted private keys (PKCS#8, legacy
	// OpenSSL, OpenSSH), possibly with other blocks such as certificates.
	PEM
	// SOPS is a SOPS document (YAML, JSON, dotenv or binary) whose data key
	// is wrapped for age recipients: see package crypt/sops.
	SOPS
)

func (f Format) String() string {
	switch f {
	case Age:
		return "age"
	case AgeArmor:
		return "armored age"
	case PEM:
		return "PEM"
	case SOPS:
		return "SOPS"
	}
	return "unknown"
}

const (
	ageIntro  = "age-encryption.org/"
	armorHead = "-----BEGIN AGE ENCRYPTED FILE-----"
)

// Detect recognises the format of an encrypted file from its content. The
// age formats are told by their first bytes (DetectLen bytes are enough);
// PEM anywhere a PEM reader would find a block, after other text such as
// the Bag Attributes that openssl writes before a key. A line that begins
// age's armor where age does not look for it (after other text, in lower
// case, spaced out, or of another type) is armored age, to be judged, and
// refused, as such. File names are never considered.
func Detect(data []byte) Format {
	switch {
	case bytes.HasPrefix(data, []byte(ageIntro)):
		return Age
	case bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte(armorHead)):
		return AgeArmor
	case sops.Detect(data) != 0: // before armor lines: SOPS wraps its data key in them
		return SOPS
	}
	pem := false
	for line := range bytes.Lines(data) {
		if ageArmorLine(line) {
			return AgeArmor
		}
		pem = pem || bytes.Contains(line, []byte("-----BEGIN "))
	}
	if pem {
		return PEM
	}
	return Unknown
}

// ageArmorLine reports whether line, without its spaces and tabs and in
// upper case, begins age's armor: "-----BEGINAGE".
func ageArmorLine(line []byte) bool {
	const begin = "-----BEGINAGE"
	n := 0
	for _, c := range line {
		switch {
		case n == len(begin):
			return true
		case c == ' ' || c == '\t':
		case 'a' <= c && c <= 'z' && c-'a'+'A' == begin[n], c == begin[n]:
			n++
		default:
			return false
		}
	}
	return n == len(begin)
}

// DetectLen is how many leading bytes tell the age formats apart from the
// rest; Open looks further only for an input they do not recognise.
const DetectLen = 512

// Kind classifies a decryption failure for the caller's exit status.
type Kind int

const (
	// Malformed means the input is not a well-formed file of a supported
	// format: unreadable, unrecognised, bad armor or a malformed header.
	Malformed Kind = iota + 1
	// Undecryptable means the file is well formed but could not be decrypted:
	// no identity matched, wrong passphrase, a bad header MAC, or a payload
	// that is truncated, tampered with or corrupted.
	Undecryptable
	// NoKey means the file needs an identity or a passphrase and none was
	// given: the caller's mistake rather than the file's.
	NoKey
)

// Error is a decryption failure of a known Kind.
type Error struct {
	Kind Kind
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

func malformed(format string, args ...any) error {
	return &Error{Kind: Malformed, Err: fmt.Errorf(format, args...)}
}

func noKey(format string, args ...any) error {
	return &Error{Kind: NoKey, Err: fmt.Errorf(format, args...)}
}

func undecryptable(format string, args ...any) error {
	return &Error{Kind: Undecryptable, Err: fmt.Errorf(format, args...)}
}

// KindOf returns the Kind of err, or 0 when err is not a decryption failure.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return 0
}

// table is a constant lookup table. It is a slice rather than a map: the
// compiler lays slices of constants out in the binary, while package-level
// maps are built by code at start-up, on every run, whether they are used or
// not.
type table[V any] []struct {
	key string
	val V
}

func (t table[V]) get(key string) (V, bool) {
	for _, e := range t {
		if e.key == key {
			return e.val, true
		}
	}
	var zero V
	return zero, false
}

// blockCipher is a CBC cipher of an encrypted PEM key.
type blockCipher struct {
	name    string // for messages, where the table's key is an OID
	keyLen  int
	newFunc func([]byte) (cipher.Block, error)
}
