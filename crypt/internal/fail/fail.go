// Package fail is the typed error of the crypt packages: a failure of a
// known Kind, which the caller turns into an exit status. crypt re-exports
// it as crypt.Error and crypt.Kind.
package fail

import (
	"errors"
	"fmt"
	"os"
)

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

// ErrSize is returned by a plan's Decrypt for memory of the wrong size.
var ErrSize = errors.New("destination has the wrong size")

// Need is what the caller could give for a failed decryption to succeed.
type Need int

const (
	// NeedNothing: nothing the caller gives can help.
	NeedNothing Need = iota
	// NeedIdentity: an identity that matches one of the file's recipients.
	NeedIdentity
	// NeedPassphrase: a way to read a passphrase.
	NeedPassphrase
	// NeedUnencrypted: leave to pass unencrypted keys through as they are.
	NeedUnencrypted
	// NeedDERKey: a file with a single encrypted PKCS#8 or legacy key, the
	// only kind with a DER form.
	NeedDERKey
	// NeedSOPSIdentity: an identity for a SOPS document, given as for any
	// file or put where sops itself looks for one.
	NeedSOPSIdentity
)

// Error is a decryption failure of a known Kind. Its message states the
// facts; what the caller could do about it is Need's to say, in the
// caller's words.
type Error struct {
	Kind Kind
	Need Need
	Err  error
}

// Error returns the message of the underlying error.
func (e *Error) Error() string { return e.Err.Error() }

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Malformedf is a Malformed failure with a message as fmt.Errorf makes it.
func Malformedf(format string, args ...any) error {
	return &Error{Kind: Malformed, Err: fmt.Errorf(format, args...)}
}

// NoKeyf is a NoKey failure with a message as fmt.Errorf makes it.
func NoKeyf(format string, args ...any) error {
	return &Error{Kind: NoKey, Err: fmt.Errorf(format, args...)}
}

// Undecryptablef is an Undecryptable failure with a message as fmt.Errorf
// makes it.
func Undecryptablef(format string, args ...any) error {
	return &Error{Kind: Undecryptable, Err: fmt.Errorf(format, args...)}
}

// WithNeed records in err, made by Malformedf, NoKeyf or Undecryptablef,
// what would let the decryption succeed.
func WithNeed(err error, need Need) error {
	err.(*Error).Need = need
	return err
}

// KindOf returns the Kind of err, or 0 when err is not a decryption failure.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return 0
}

// UnwrapPath drops the operation and path from an *os.PathError: messages
// already name the file.
func UnwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
