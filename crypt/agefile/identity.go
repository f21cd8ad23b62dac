package agefile

import (
	"bytes"
	"errors"
	"slices"
	"sync/atomic"
	"unsafe"

	"filippo.io/age"
	"filippo.io/age/plugin"

	"github.com/secretcat/secretcat/crypt/internal/fail"
)

// Options are the means of decrypting an age file, and how the result is
// wanted.
type Options struct {
	// Identities are age identities from identity files.
	Identities []age.Identity
	// Passphrase returns the passphrase of a passphrase-encrypted file;
	// the returned slice is wiped after use. A nil Passphrase means none
	// can be had.
	Passphrase func() ([]byte, error)
	// Progress, if set, counts the plaintext bytes the payload's decryption
	// has written so far, for a progress display.
	Progress *atomic.Int64
}

// scryptStanza starts the recipient stanza of a passphrase-encrypted file,
// in the header as age encodes it (readHeader).
var scryptStanza = []byte("\n-> scrypt ")

// unwrapFileKey returns the file key of an age header, as read by
// readHeader: age.DecryptHeader unwraps it.
func (ids Options) unwrapFileKey(header []byte) ([]byte, error) {
	passphrase := bytes.Contains(header, scryptStanza)
	if !passphrase && len(ids.Identities) > 0 {
		key, err := age.DecryptHeader(header, pluginsLast(ids.Identities)...)
		if err != nil {
			return nil, headerError(err)
		}
		return key, nil
	}
	if !passphrase {
		return nil, fail.WithNeed(fail.NoKeyf("%s", noMatchMessage(stanzaTypes(header), "no identity was given")), fail.NeedIdentity)
	}
	// Plugins may take passphrase-encrypted files (age-plugin-batchpass
	// does): as in age, they are offered the file first.
	if plugins := pluginIdentities(ids.Identities); len(plugins) > 0 {
		key, err := age.DecryptHeader(header, plugins...)
		var noMatch *age.NoIdentityMatchError
		switch {
		case err == nil:
			return key, nil
		case !errors.As(err, &noMatch):
			return nil, headerError(err)
		}
	}
	if ids.Passphrase == nil {
		return nil, fail.WithNeed(fail.Undecryptablef("the file is passphrase-encrypted and no passphrase source is available"), fail.NeedPassphrase)
	}
	pass, err := ids.Passphrase()
	if err != nil {
		return nil, fail.Undecryptablef("reading the passphrase: %w", err)
	}
	scrypt, err := newScrypt(pass)
	if err != nil {
		return nil, err
	}
	defer WipeIdentities([]age.Identity{scrypt})
	key, err := age.DecryptHeader(header, scrypt)
	var noMatch *age.NoIdentityMatchError
	if errors.As(err, &noMatch) {
		return nil, fail.Undecryptablef("incorrect passphrase")
	} else if err != nil {
		return nil, headerError(err)
	}
	return key, nil
}

// pluginsLast orders identities as age tries its own: plugins after the
// others, each in the order given. age puts its native identities first;
// secretcat's X25519, SSH and encrypted identity files go first too, so
// that a plugin, which may ask for a touch or a PIN, or fail, is never
// started when another identity opens the file.
func pluginsLast(ids []age.Identity) []age.Identity {
	return slices.Concat(otherIdentities(ids), pluginIdentities(ids))
}

// otherIdentities are the identities of ids that are not plugins'.
func otherIdentities(ids []age.Identity) []age.Identity {
	var others []age.Identity
	for _, id := range ids {
		if _, ok := id.(*plugin.Identity); !ok {
			others = append(others, id)
		}
	}
	return others
}

// pluginIdentities are the identities of ids that age plugins implement.
func pluginIdentities(ids []age.Identity) []age.Identity {
	var plugins []age.Identity
	for _, id := range ids {
		if _, ok := id.(*plugin.Identity); ok {
			plugins = append(plugins, id)
		}
	}
	return plugins
}

// newScrypt makes a scrypt identity from pass and wipes pass. age copies the
// passphrase into the identity, where WipeIdentities reaches it; handing it
// over without a string conversion leaves no other copy.
func newScrypt(pass []byte) (*age.ScryptIdentity, error) {
	defer clear(pass)
	if len(pass) == 0 {
		return nil, fail.Malformedf("the passphrase is empty")
	}
	return age.NewScryptIdentity(unsafe.String(unsafe.SliceData(pass), len(pass)))
}
