package agefile

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
	"unsafe"

	"filippo.io/age"
	"filippo.io/age/armor"
	"filippo.io/age/plugin"

	"github.com/secretcat/secretcat/crypt/internal/fail"
	"github.com/secretcat/secretcat/crypt/internal/format"
	"github.com/secretcat/secretcat/crypt/internal/wipe"
	"github.com/secretcat/secretcat/internal/readsecret"
)

// IdentityParser reads identity files as age -d -i does: age identity files
// (X25519, post-quantum hybrid and plugin identities, with comments),
// passphrase-encrypted age identity files, and SSH private keys (ed25519 and
// RSA, encrypted or not).
type IdentityParser struct {
	// Prompt returns the passphrase of what ("identity file PATH" or "SSH
	// key PATH"); it is called only when an encrypted identity file or SSH
	// key is actually needed for a file. The returned slice is wiped after
	// use. Its error is returned as it is, and should name what.
	Prompt func(what string) ([]byte, error)
	// PluginUI talks to the user on behalf of age plugins.
	PluginUI *plugin.ClientUI
}

// maxIdentityFile bounds identity files, as age does.
const maxIdentityFile = 1 << 24

// ParseFile reads and parses the identity file at path, or stdin for "-".
func (p *IdentityParser) ParseFile(path string, stdin io.Reader) ([]age.Identity, error) {
	name := path
	var data []byte
	var err error
	if path == "-" {
		name = "standard input"
		data, err = readsecret.Reader(stdin, maxIdentityFile)
	} else {
		data, err = readsecret.File(path, maxIdentityFile)
	}
	if errors.Is(err, readsecret.ErrTooLong) {
		return nil, fail.Malformedf("identity file %s is too long", name)
	}
	if err != nil {
		clear(data)
		return nil, fail.Malformedf("identity file %s: %w", name, err)
	}
	return p.Parse(name, data)
}

// Parse parses the contents of the identity file called name. It owns data
// and wipes it once the keys are parsed; encrypted identity files and keys
// are kept for when a file needs them.
func (p *IdentityParser) Parse(name string, data []byte) ([]age.Identity, error) {
	if len(data) > maxIdentityFile {
		clear(data)
		return nil, fail.Malformedf("identity file %s is too long", name)
	}
	switch format.Detect(data) {
	case format.Age, format.AgeArmor:
		return []age.Identity{&encryptedIdentity{name: name, contents: data, parser: p}}, nil
	}
	if bytes.HasPrefix(bytes.TrimSpace(data), []byte("-----BEGIN")) {
		return p.parseSSH(name, data)
	}
	defer clear(data)
	return p.parseLines(name, data)
}

// maxIdentityLine bounds a line of an identity file, as age's
// bufio.Scanner does: a line of more bytes, before its "\n", is an error.
const maxIdentityLine = bufio.MaxScanTokenSize - 1

// parseLines parses an unencrypted age identity file, line by line as age
// does: a line ends with "\n" or "\r\n", empty lines and lines that start
// with "#" are skipped, and every other line is an identity, as it is:
// whitespace around an identity or before a "#" is an error, as in age.
func (p *IdentityParser) parseLines(name string, data []byte) ([]age.Identity, error) {
	var ids []age.Identity
	n := 0
	for raw := range bytes.Lines(data) {
		n++
		raw = bytes.TrimSuffix(raw, []byte("\n"))
		if len(raw) > maxIdentityLine {
			return nil, fail.Malformedf("identity file %s, line %d is too long", name, n)
		}
		raw = bytes.TrimSuffix(raw, []byte("\r"))
		// The line is read in place, without a copy: data is wiped after
		// parsing, and with it every secret key's text.
		line := unsafe.String(unsafe.SliceData(raw), len(raw))
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if !utf8.ValidString(line) {
			return nil, fail.Malformedf("identity file %s is not valid UTF-8", name)
		}
		id, err := p.parseIdentity(line)
		if err != nil {
			// The line may be a private key: never quote it.
			if strings.HasPrefix(line, "age1") {
				return nil, fail.Malformedf("identity file %s, line %d: this is a recipient (public key), not an identity", name, n)
			}
			if strings.TrimSpace(line) != line {
				err = fmt.Errorf("%v (the line starts or ends with whitespace)", err)
			}
			return nil, fail.Malformedf("identity file %s, line %d: %v", name, n, err)
		}
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		return nil, fail.Malformedf("identity file %s holds no identities", name)
	}
	return ids, nil
}

// parseIdentity parses a line of an identity file.
func (p *IdentityParser) parseIdentity(s string) (age.Identity, error) {
	switch {
	case strings.HasPrefix(s, "AGE-SECRET-KEY-1"):
		return parseX25519Identity(s)
	case strings.HasPrefix(s, "AGE-SECRET-KEY-PQ-1"):
		return age.ParseHybridIdentity(s)
	case strings.HasPrefix(s, "AGE-PLUGIN-"):
		return plugin.NewIdentity(strings.Clone(s), p.PluginUI) // kept: s is wiped
	}
	return nil, errors.New("unknown identity type")
}

// encryptedIdentity is a passphrase-encrypted age identity file. It is
// decrypted, asking for the passphrase, the first time a file needs it.
type encryptedIdentity struct {
	name     string
	contents []byte
	parser   *IdentityParser
	ids      []age.Identity
}

func (e *encryptedIdentity) Unwrap(stanzas []*age.Stanza) ([]byte, error) {
	if e.ids == nil {
		if err := e.decrypt(); err != nil {
			return nil, err
		}
	}
	for _, id := range e.ids {
		key, err := id.Unwrap(stanzas)
		if errors.Is(err, age.ErrIncorrectIdentity) {
			continue
		}
		return key, err
	}
	return nil, fmt.Errorf("%w: encrypted identity file %s did not match", age.ErrIncorrectIdentity, e.name)
}

func (e *encryptedIdentity) decrypt() error {
	var src io.Reader = bytes.NewReader(e.contents)
	if format.Detect(e.contents) == format.AgeArmor {
		src = armor.NewReader(src)
	}
	pass, err := e.parser.Prompt("identity file " + e.name)
	if err != nil {
		return err
	}
	scrypt, err := newScrypt(pass)
	if err != nil {
		return err
	}
	defer WipeIdentities([]age.Identity{scrypt})
	r, err := age.Decrypt(src, scrypt)
	var noMatch *age.NoIdentityMatchError
	if errors.As(err, &noMatch) {
		return fmt.Errorf("identity file %s: incorrect passphrase", e.name)
	} else if err != nil {
		return fmt.Errorf("identity file %s: %v", e.name, err)
	}
	// The decrypted identity file is key material on the heap: keep it
	// for as short as it takes to parse, then wipe it. (age's reader keeps
	// its last chunk in a buffer of its own, out of reach.)
	plain, err := readsecret.Reader(r, maxIdentityFile)
	defer clear(plain)
	if errors.Is(err, readsecret.ErrTooLong) {
		return fmt.Errorf("identity file %s is too long", e.name)
	}
	if err != nil {
		return fmt.Errorf("identity file %s: %v", e.name, err)
	}
	ids, err := e.parser.parseLines(e.name, plain)
	if err != nil {
		return err
	}
	e.ids = ids
	return nil
}

// WipeIdentities erases the secret keys and passphrases held by identities,
// as far as their types allow: X25519 and SSH ed25519 keys, passphrases, and
// the identities of encrypted identity files. Post-quantum, RSA, plugin and
// decrypted SSH identities keep their keys until the process exits: their
// types give no way to reach them.
func WipeIdentities(ids []age.Identity) {
	for _, id := range ids {
		switch id := id.(type) {
		case *x25519Identity:
			wipe.X25519Key(id.key)
		case *sshEd25519Identity:
			wipe.X25519Key(id.key)
		case *sshRSAIdentity:
			id.wipe()
		case *encryptedSSHIdentity:
			if id.id != nil {
				WipeIdentities([]age.Identity{id.id})
				id.id = nil
			}
		case *age.ScryptIdentity:
			wipe.Scrypt(id)
		case *encryptedIdentity:
			WipeIdentities(id.ids)
			id.ids = nil
		}
	}
}
