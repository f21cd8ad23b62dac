package agefile

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/asn1"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"slices"
	"strings"

	"filippo.io/age"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/secretcat/secretcat/crypt/internal/fail"
	"github.com/secretcat/secretcat/crypt/internal/sshwire"
	"github.com/secretcat/secretcat/crypt/internal/wipe"
	"github.com/secretcat/secretcat/crypt/pemkey"
)

// SSH keys as age identities, as the age specification defines them for
// ssh-ed25519 and ssh-rsa recipient stanzas. secretcat reads the key files
// itself, with the parsers that decrypt PEM and OpenSSH keys (pemkey),
// rather than with golang.org/x/crypto/ssh and filippo.io/age/agessh, which
// age uses. Measured: ssh.ParseRawPrivateKeyWithPassphrase leaves the
// decrypted key on the heap out of anyone's reach (with the key it returns
// wiped, a scan as in TestSSHIdentityNotOnHeap finds all 17 16-byte windows
// of an Ed25519 seed, where these parsers leave none); it decrypts only
// aes256-ctr and aes256-cbc keys, not chacha20-poly1305@openssh.com,
// aes128-ctr or aes256-gcm@openssh.com; and x/crypto/ssh's initialisation,
// with the crypto/x509 and net code it links, costs every run about a
// quarter of a millisecond, SSH key or not.

const (
	sshEd25519Label = "age-encryption.org/v1/ssh-ed25519"
	sshRSALabel     = "age-encryption.org/v1/ssh-rsa"
)

var (
	oidRSAEncryption = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidEd25519       = asn1.ObjectIdentifier{1, 3, 101, 112}
	oidECPublicKey   = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
)

// stanzaBase64 is the strict, unpadded base64 of age stanza arguments.
var stanzaBase64 = base64.RawStdEncoding.Strict()

// sshPublicKey is an SSH public key in its wire encoding, which the
// recipient stanzas name by a tag: the first four bytes of its SHA-256.
type sshPublicKey struct {
	keyType string
	wire    []byte
}

func (k sshPublicKey) tag() string {
	h := sha256.Sum256(k.wire)
	return stanzaBase64.EncodeToString(h[:4])
}

func ed25519PublicKey(pub []byte) sshPublicKey {
	return sshPublicKey{"ssh-ed25519", sshwire.Encode([]byte("ssh-ed25519"), pub)}
}

func rsaPublicKey(k *rsa.PublicKey) sshPublicKey {
	return sshPublicKey{"ssh-rsa", sshwire.Encode([]byte("ssh-rsa"), sshMpint(big.NewInt(int64(k.E))), sshMpint(k.N))}
}

// sshMpint is the SSH encoding of a non-negative integer: big-endian,
// minimal, with a leading zero byte when the top bit is set.
func sshMpint(n *big.Int) []byte {
	b := n.Bytes()
	if len(b) > 0 && b[0]&0x80 != 0 {
		b = append([]byte{0}, b...)
	}
	return b
}

// readSSHMpint reads a non-negative SSH mpint.
func readSSHMpint(s *cryptobyte.String) (*big.Int, bool) {
	var b cryptobyte.String
	if !sshwire.ReadString(s, &b) || len(b) > 0 && b[0]&0x80 != 0 {
		return nil, false
	}
	return new(big.Int).SetBytes(b), true
}

// parseSSHPublicKey parses the wire encoding of an ssh-ed25519 or ssh-rsa
// public key.
func parseSSHPublicKey(blob []byte) (sshPublicKey, error) {
	s := cryptobyte.String(blob)
	var keyType, pub cryptobyte.String
	if !sshwire.ReadString(&s, &keyType) {
		return sshPublicKey{}, errors.New("malformed public key")
	}
	switch string(keyType) {
	case "ssh-ed25519":
		if !sshwire.ReadString(&s, &pub) || len(pub) != ed25519.PublicKeySize || !s.Empty() {
			return sshPublicKey{}, errors.New("malformed ssh-ed25519 public key")
		}
		return ed25519PublicKey(pub), nil
	case "ssh-rsa":
		e, ok1 := readSSHMpint(&s)
		n, ok2 := readSSHMpint(&s)
		exp, ok3 := rsaExponent(e)
		if !ok1 || !ok2 || !ok3 || !s.Empty() {
			return sshPublicKey{}, errors.New("malformed ssh-rsa public key")
		}
		return rsaPublicKey(&rsa.PublicKey{N: n, E: exp}), nil
	}
	return sshPublicKey{}, unsupportedSSHKey(string(keyType))
}

func unsupportedSSHKey(keyType string) error {
	return fmt.Errorf("unsupported SSH key type %q: age decrypts to ssh-ed25519 and ssh-rsa keys only", keyType)
}

// parseSSH parses an SSH private key file: OpenSSH, PKCS#1 or PKCS#8 PEM.
// An encrypted key stays encrypted, and asks for its passphrase, until a
// file has a recipient stanza for its public key.
func (p *IdentityParser) parseSSH(name string, data []byte) ([]age.Identity, error) {
	defer clear(data)
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fail.Malformedf("SSH key %s: not a valid PEM block", name)
	}
	var id age.Identity
	var err error
	switch {
	case block.Type == "OPENSSH PRIVATE KEY": // encrypted or not
		id, err = p.parseOpenSSHKey(name, block.Bytes)
	case pemkey.EncryptedKey(block):
		id, err = p.parseEncryptedPEMKey(name, block)
	default:
		id, err = pemKeyIdentity(block.Type, block.Bytes)
		clear(block.Bytes)
	}
	if err != nil {
		return nil, fail.Malformedf("SSH key %s: %v", name, err)
	}
	return []age.Identity{id}, nil
}

func (p *IdentityParser) parseOpenSSHKey(name string, blob []byte) (age.Identity, error) {
	h, err := pemkey.ParseOpenSSH(blob)
	if err != nil {
		return nil, err
	}
	pub, err := parseSSHPublicKey([]byte(h.PublicKey))
	if err != nil {
		return nil, err
	}
	if h.Cipher == "none" {
		defer clear(blob)
		if _, ok := pemkey.OpenSSHPrivateEnd(h.Encrypted, pemkey.OpenSSHPlainBlock, []byte(h.PublicKey)); !ok {
			return nil, errors.New("the unencrypted private key is corrupted")
		}
		return openSSHIdentity(h.Encrypted, pub)
	}
	return p.encryptedSSH(name, pub, func(pass []byte) (sshIdentity, error) {
		priv := make([]byte, len(h.Encrypted))
		defer clear(priv)
		end, err := h.Decrypt(pass, priv)
		if err != nil {
			return nil, err
		}
		return openSSHIdentity(priv[:end], pub)
	}), nil
}

// parseEncryptedPEMKey handles encrypted PEM keys, PKCS#8 or legacy. They do
// not store the public key in clear, so it comes from NAME.pub.
func (p *IdentityParser) parseEncryptedPEMKey(name string, block *pem.Block) (age.Identity, error) {
	pub, err := readPublicKey(name)
	if err != nil {
		return nil, err
	}
	return p.encryptedSSH(name, pub, func(pass []byte) (sshIdentity, error) {
		scratch := make([]byte, len(block.Bytes))
		defer clear(scratch)
		label, der, err := pemkey.DecryptKey(block, pass, scratch)
		if err != nil {
			return nil, err
		}
		id, err := pemKeyIdentity(label, der)
		if err != nil {
			return nil, err
		}
		return id, checkPublicKey(id, pub)
	}), nil
}

// readPublicKey reads NAME.pub, an authorized_keys line: the public key of
// an encrypted PEM key.
func readPublicKey(name string) (sshPublicKey, error) {
	data, err := os.ReadFile(name + ".pub")
	if err != nil {
		return sshPublicKey{}, fmt.Errorf("an encrypted PEM key does not say its public key: put it in %s.pub, or convert the key with 'ssh-keygen -p -f %s' (%v)", name, name, fail.UnwrapPath(err))
	}
	fields := strings.Fields(string(data))
	if len(fields) < 2 {
		return sshPublicKey{}, fmt.Errorf("%s.pub is not an SSH public key (expected TYPE BASE64 [COMMENT])", name)
	}
	blob, err := base64.StdEncoding.DecodeString(fields[1])
	if err != nil {
		return sshPublicKey{}, fmt.Errorf("%s.pub: invalid base64: %v", name, err)
	}
	pub, err := parseSSHPublicKey(blob)
	if err == nil && pub.keyType != fields[0] {
		err = fmt.Errorf("the key type %q does not match the key, of type %q", fields[0], pub.keyType)
	}
	if err != nil {
		return sshPublicKey{}, fmt.Errorf("%s.pub: %v", name, err)
	}
	return pub, nil
}

// openSSHIdentity makes an identity of the private section of an OpenSSH
// key, checked by pemkey.OpenSSHPrivateEnd, whose public key is pub.
func openSSHIdentity(priv []byte, pub sshPublicKey) (sshIdentity, error) {
	s := cryptobyte.String(priv[8:]) // after the check integers
	var keyType cryptobyte.String
	sshwire.ReadString(&s, &keyType)
	var id sshIdentity
	switch string(keyType) {
	case "ssh-ed25519":
		var pubKey, key cryptobyte.String
		if !sshwire.ReadString(&s, &pubKey) || !sshwire.ReadString(&s, &key) ||
			len(pubKey) != ed25519.PublicKeySize || len(key) != ed25519.PrivateKeySize || !bytes.Equal(key[32:], pubKey) {
			return nil, errors.New("malformed ssh-ed25519 private key")
		}
		ed, err := newSSHEd25519Identity(key[:32], ed25519PublicKey(pubKey))
		if err != nil {
			return nil, err
		}
		id = ed
	case "ssh-rsa":
		var ints [6]*big.Int // n, e, d, iqmp, p, q
		for i := range ints {
			var ok bool
			if ints[i], ok = readSSHMpint(&s); !ok {
				return nil, errors.New("malformed ssh-rsa private key")
			}
		}
		key, err := newRSAKey(ints[0], ints[1], ints[2], ints[4], ints[5])
		if err != nil {
			return nil, err
		}
		id = newSSHRSAIdentity(key)
	default:
		return nil, unsupportedSSHKey(string(keyType))
	}
	return id, checkPublicKey(id, pub)
}

// checkPublicKey checks that id is the private key of pub, and wipes it if
// not.
func checkPublicKey(id sshIdentity, pub sshPublicKey) error {
	if !bytes.Equal(id.publicKey().wire, pub.wire) {
		WipeIdentities([]age.Identity{id})
		return errors.New("the private key does not match its public key")
	}
	return nil
}

// pemKeyIdentity makes an identity of an unencrypted PEM key: PKCS#1 RSA,
// or PKCS#8 RSA or Ed25519.
func pemKeyIdentity(label string, der []byte) (sshIdentity, error) {
	switch label {
	case "RSA PRIVATE KEY":
		key, err := parsePKCS1(der)
		if err != nil {
			return nil, err
		}
		return newSSHRSAIdentity(key), nil
	case "PRIVATE KEY":
		return pkcs8Identity(der)
	case "EC PRIVATE KEY":
		return nil, unsupportedSSHKey("ecdsa")
	case "DSA PRIVATE KEY":
		return nil, unsupportedSSHKey("ssh-dss")
	}
	return nil, fmt.Errorf("unsupported PEM block %q: expected an SSH private key", label)
}

func pkcs8Identity(der []byte) (sshIdentity, error) {
	oid, _, key, _, ok := pemkey.ReadPrivateKeyInfo(der)
	if !ok {
		return nil, errors.New("malformed PKCS#8 private key")
	}
	switch {
	case oid.Equal(oidRSAEncryption):
		k, err := parsePKCS1(key)
		if err != nil {
			return nil, err
		}
		return newSSHRSAIdentity(k), nil
	case oid.Equal(oidEd25519):
		var seed cryptobyte.String
		if !key.ReadASN1(&seed, cbasn1.OCTET_STRING) || len(seed) != ed25519.SeedSize {
			return nil, errors.New("malformed Ed25519 private key")
		}
		priv := ed25519.NewKeyFromSeed(seed)
		defer clear(priv)
		return newSSHEd25519Identity(seed, ed25519PublicKey(priv[32:]))
	case oid.Equal(oidECPublicKey):
		return nil, unsupportedSSHKey("ecdsa")
	}
	return nil, fmt.Errorf("unsupported PKCS#8 key algorithm %s", oid)
}

// parsePKCS1 parses an RSAPrivateKey with two primes.
func parsePKCS1(der []byte) (*rsa.PrivateKey, error) {
	in := cryptobyte.String(der)
	var seq cryptobyte.String
	var version int
	var n, e, d, p, q = new(big.Int), new(big.Int), new(big.Int), new(big.Int), new(big.Int)
	if !in.ReadASN1(&seq, cbasn1.SEQUENCE) || !seq.ReadASN1Integer(&version) || version != 0 ||
		!seq.ReadASN1Integer(n) || !seq.ReadASN1Integer(e) || !seq.ReadASN1Integer(d) ||
		!seq.ReadASN1Integer(p) || !seq.ReadASN1Integer(q) {
		return nil, errors.New("malformed or multi-prime RSA private key")
	}
	return newRSAKey(n, e, d, p, q)
}

// rsaExponent is e as the int that crypto/rsa keeps, if it fits 31 bits.
func rsaExponent(e *big.Int) (int, bool) {
	if e == nil || !e.IsInt64() || e.Int64() > 1<<31-1 {
		return 0, false
	}
	return int(e.Int64()), true
}

func newRSAKey(n, e, d, p, q *big.Int) (*rsa.PrivateKey, error) {
	exp, ok := rsaExponent(e)
	if !ok {
		return nil, errors.New("invalid RSA public exponent")
	}
	key := &rsa.PrivateKey{
		PublicKey: rsa.PublicKey{N: n, E: exp},
		D:         d,
		Primes:    []*big.Int{p, q},
	}
	if err := key.Validate(); err != nil {
		return nil, fmt.Errorf("invalid RSA private key: %v", err)
	}
	key.Precompute()
	return key, nil
}

// eachStanza unwraps the first stanza that unwrap does not find foreign
// (age.ErrIncorrectIdentity), as age's own identities do.
func eachStanza(stanzas []*age.Stanza, unwrap func(*age.Stanza) ([]byte, error)) ([]byte, error) {
	for _, s := range stanzas {
		key, err := unwrap(s)
		if errors.Is(err, age.ErrIncorrectIdentity) {
			continue
		}
		return key, err
	}
	return nil, age.ErrIncorrectIdentity
}

// sshIdentity is an age identity of an SSH key.
type sshIdentity interface {
	age.Identity
	publicKey() sshPublicKey
}

// sshEd25519Identity unwraps ssh-ed25519 stanzas: X25519 with the Ed25519
// key's scalar, tweaked by a hash of the public key.
type sshEd25519Identity struct {
	pub    sshPublicKey
	tag    string
	key    *ecdh.PrivateKey // the X25519 scalar, SHA-512(seed)[:32]
	ourKey []byte           // its X25519 public key
	tweak  *ecdh.PrivateKey // the tweak: public, derived from pub
}

func newSSHEd25519Identity(seed []byte, pub sshPublicKey) (*sshEd25519Identity, error) {
	var h [sha512.Size]byte
	defer clear(h[:])
	wipe.SHA512Sum(&h, seed)
	key, err := newX25519Key(h[:x25519Size])
	if err != nil {
		return nil, err
	}
	tweak, err := hkdf.Key(sha256.New, nil, pub.wire, sshEd25519Label, x25519Size)
	if err != nil {
		return nil, err
	}
	tweakKey, err := newX25519Key(tweak)
	if err != nil {
		return nil, err
	}
	return &sshEd25519Identity{pub: pub, tag: pub.tag(), key: key, ourKey: key.PublicKey().Bytes(), tweak: tweakKey}, nil
}

func (i *sshEd25519Identity) publicKey() sshPublicKey { return i.pub }

func (i *sshEd25519Identity) Unwrap(stanzas []*age.Stanza) ([]byte, error) {
	return eachStanza(stanzas, i.unwrap)
}

func (i *sshEd25519Identity) unwrap(s *age.Stanza) ([]byte, error) {
	share, err := ephemeralShare(s, "ssh-ed25519", 2)
	if err != nil {
		return nil, err
	}
	if s.Args[0] != i.tag {
		return nil, age.ErrIncorrectIdentity
	}
	shared, err := x25519(i.key, share)
	if err != nil {
		return nil, fmt.Errorf("invalid X25519 recipient: %v", err)
	}
	defer clear(shared)
	tweaked, err := x25519(i.tweak, shared)
	if err != nil {
		return nil, fmt.Errorf("invalid X25519 recipient: %v", err)
	}
	defer clear(tweaked)
	return openFileKey(tweaked, share, i.ourKey, sshEd25519Label, s.Body)
}

// decodeStanzaArg decodes a base64 stanza argument, refusing line breaks,
// which the decoder would otherwise skip.
func decodeStanzaArg(s string) ([]byte, error) {
	if strings.ContainsAny(s, "\n\r") {
		return nil, errors.New("unexpected newline character")
	}
	return stanzaBase64.DecodeString(s)
}

// sshRSAIdentity unwraps ssh-rsa stanzas: RSA-OAEP with SHA-256.
type sshRSAIdentity struct {
	key *rsa.PrivateKey
	pub sshPublicKey
	tag string
}

func newSSHRSAIdentity(key *rsa.PrivateKey) *sshRSAIdentity {
	pub := rsaPublicKey(&key.PublicKey)
	return &sshRSAIdentity{key: key, pub: pub, tag: pub.tag()}
}

func (i *sshRSAIdentity) publicKey() sshPublicKey { return i.pub }

func (i *sshRSAIdentity) Unwrap(stanzas []*age.Stanza) ([]byte, error) {
	return eachStanza(stanzas, func(s *age.Stanza) ([]byte, error) {
		if s.Type != "ssh-rsa" {
			return nil, age.ErrIncorrectIdentity
		}
		if len(s.Args) != 1 {
			return nil, errors.New("invalid ssh-rsa recipient block")
		}
		if s.Args[0] != i.tag {
			return nil, age.ErrIncorrectIdentity
		}
		fileKey, err := rsa.DecryptOAEP(sha256.New(), nil, i.key, s.Body, []byte(sshRSALabel))
		if err != nil {
			return nil, age.ErrIncorrectIdentity
		}
		return fileKey, nil
	})
}

// wipe erases the private values of the key. The precomputed values that
// crypto/rsa keeps inside the key cannot be reached; they go at exit.
func (i *sshRSAIdentity) wipe() {
	for _, n := range append([]*big.Int{i.key.D, i.key.Precomputed.Dp, i.key.Precomputed.Dq, i.key.Precomputed.Qinv}, i.key.Primes...) {
		if n != nil {
			clear(n.Bits())
		}
	}
}

// encryptedSSHIdentity is a passphrase-protected SSH key, decrypted the first
// time a file has a stanza for its public key.
type encryptedSSHIdentity struct {
	name    string
	pub     sshPublicKey
	tag     string
	prompt  func() ([]byte, error)
	decrypt func(pass []byte) (sshIdentity, error)
	id      sshIdentity
}

func (p *IdentityParser) encryptedSSH(name string, pub sshPublicKey, decrypt func([]byte) (sshIdentity, error)) *encryptedSSHIdentity {
	return &encryptedSSHIdentity{
		name: name, pub: pub, tag: pub.tag(), decrypt: decrypt,
		prompt: func() ([]byte, error) {
			return p.Prompt("SSH key " + name)
		},
	}
}

func (e *encryptedSSHIdentity) Unwrap(stanzas []*age.Stanza) ([]byte, error) {
	if e.id == nil {
		if !e.matches(stanzas) {
			return nil, age.ErrIncorrectIdentity
		}
		pass, err := e.prompt()
		if err != nil {
			return nil, err
		}
		id, err := e.decrypt(pass)
		clear(pass)
		if err != nil {
			return nil, fmt.Errorf("SSH key %s: %v", e.name, err)
		}
		e.id = id
	}
	return e.id.Unwrap(stanzas)
}

// matches reports whether a stanza is addressed to the key.
func (e *encryptedSSHIdentity) matches(stanzas []*age.Stanza) bool {
	return slices.ContainsFunc(stanzas, func(s *age.Stanza) bool {
		return s.Type == e.pub.keyType && len(s.Args) > 0 && s.Args[0] == e.tag
	})
}
