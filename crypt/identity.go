package crypt

import (
	"bytes"
	"errors"
	"fmt"
	"unsafe"

	"filippo.io/age"
)

// Identities are the means of decryption available for an input.
type Identities struct {
	// Age are identities from identity files, tried after the native ones,
	// as age does.
	Age []age.Identity
	// Passphrase returns the passphrase of a passphrase-encrypted file; the
	// returned slice is wiped after use. A nil Passphrase means none can be
	// had.
	Passphrase func() ([]byte, error)
}

// scryptStanza starts the recipient stanza of a passphrase-encrypted file.
var scryptStanza = []byte("\n-> scrypt ")

// unwrapFileKey returns the file key of an age header.
func (ids Identities) unwrapFileKey(header []byte) ([]byte, error) {
	if !bytes.Contains(header, scryptStanza) {
		if len(ids.Age) == 0 {
			return nil, undecryptable("%s", noMatchMessage(stanzaTypes(header), "no identity was given"))
		}
		key, err := age.DecryptHeader(header, ids.Age...)
		if err != nil {
			return nil, headerError(err)
		}
		return key, nil
	}
	if ids.Passphrase == nil {
		return nil, undecryptable("the file is passphrase-encrypted and no passphrase source is available: use --passphrase-file or --passphrase-fd, or run from a terminal")
	}
	pass, err := ids.Passphrase()
	if err != nil {
		return nil, undecryptable("reading the passphrase: %v", err)
	}
	scrypt, err := newScrypt(pass)
	if err != nil {
		return nil, undecryptable("%v", err)
	}
	defer WipeIdentities([]age.Identity{scrypt})
	key, err := age.DecryptHeader(header, scrypt)
	var noMatch *age.NoIdentityMatchError
	if errors.As(err, &noMatch) {
		return nil, undecryptable("incorrect passphrase")
	} else if err != nil {
		return nil, headerError(err)
	}
	return key, nil
}

// newScrypt makes a scrypt identity from pass and wipes pass. age copies the
// passphrase into the identity, where WipeIdentities reaches it; handing it
// over without a string conversion leaves no other copy.
func newScrypt(pass []byte) (*age.ScryptIdentity, error) {
	defer clear(pass)
	if len(pass) == 0 {
		return nil, fmt.Errorf("the passphrase is empty")
	}
	return age.NewScryptIdentity(unsafe.String(unsafe.SliceData(pass), len(pass)))
}
