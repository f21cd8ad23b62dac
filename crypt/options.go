package crypt

import (
	"sync/atomic"

	"filippo.io/age"
)

// Options are the means of decryption available for an input, and how the
// result is wanted.
type Options struct {
	// Identities are the age identities of identity files and plugins,
	// tried in this order. A passphrase-encrypted file is offered to the
	// plugin identities before the passphrase is asked for.
	Identities []age.Identity
	// Passphrase returns the passphrase of a passphrase-encrypted file or
	// key; the returned slice is wiped after use. A nil Passphrase means
	// none can be had.
	Passphrase func() ([]byte, error)
	// Scratch returns memory of size bytes for intermediate plaintext (a
	// decrypted PEM key before it is encoded) and a function that wipes and
	// releases it. It should be secret memory, like the destination.
	Scratch func(size int64) ([]byte, func(), error)
	// DER asks for a single decrypted PEM key as DER rather than PEM.
	DER bool
	// AllowUnencrypted lets PEM files without any encrypted key through,
	// as they are.
	AllowUnencrypted bool
	// Progress, if set, counts the plaintext bytes an age payload's
	// decryption has written so far, for a progress display.
	Progress *atomic.Int64
	// Extract, for a SOPS document, is a path in the syntax of sops
	// decrypt --extract (["key"][0]): only the value there is delivered.
	Extract string
}
