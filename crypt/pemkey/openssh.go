package pemkey

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha512"
	"encoding/binary"
	"github.com/secretcat/secretcat/crypt/internal/wipe"

	"golang.org/x/crypto/blowfish"
	"golang.org/x/crypto/chacha20"
	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/poly1305"

	"github.com/secretcat/secretcat/crypt/internal/fail"
	"github.com/secretcat/secretcat/crypt/internal/sshwire"
)

const (
	openSSHMagic    = "openssh-key-v1\x00"
	maxBcryptRounds = 1000
	// OpenSSHPlainBlock is the padding block of an unencrypted key, as
	// ssh-keygen writes it.
	OpenSSHPlainBlock = 8
)

// sshCiphers are the ciphers ssh-keygen encrypts keys with.
var sshCiphers = map[string]sshCipher{
	"aes128-ctr":                    {16, 16, 16, 0},
	"aes192-ctr":                    {24, 16, 16, 0},
	"aes256-ctr":                    {32, 16, 16, 0},
	"aes256-cbc":                    {32, 16, 16, 0},
	"aes256-gcm@openssh.com":        {32, 12, 16, 16},
	"chacha20-poly1305@openssh.com": {64, 0, 8, 16},
}

type sshCipher struct{ keyLen, ivLen, blockSize, tagLen int }

// sshKeyFields lists, per key type, the fields of a private key after its
// type: s a string, b a byte.
var sshKeyFields = map[string]string{
	"ssh-ed25519":                        "ss",
	"ssh-rsa":                            "ssssss",
	"ssh-dss":                            "sssss",
	"ecdsa-sha2-nistp256":                "sss",
	"ecdsa-sha2-nistp384":                "sss",
	"ecdsa-sha2-nistp521":                "sss",
	"sk-ssh-ed25519@openssh.com":         "ssbss",
	"sk-ecdsa-sha2-nistp256@openssh.com": "sssbss",
}

// OpenSSH is the unencrypted part of an OpenSSH key.
type OpenSSH struct {
	Cipher          string // "none" for an unencrypted key
	PublicKey       string // in the SSH wire encoding
	Encrypted       []byte // the private section, encrypted unless Cipher is "none"
	kdf, kdfOptions string
	tag             []byte
}

var errOpenSSHMalformed = fail.Malformedf("not a valid OpenSSH private key: truncated or corrupted")

// ParseOpenSSH parses the blob of an OPENSSH PRIVATE KEY block, holding one
// key.
func ParseOpenSSH(blob []byte) (*OpenSSH, error) {
	s := cryptobyte.String(blob)
	var cipherName, kdf, kdfOpts, pub, enc cryptobyte.String
	var n uint32
	if !bytes.HasPrefix(s, []byte(openSSHMagic)) || !s.Skip(len(openSSHMagic)) ||
		!sshwire.ReadString(&s, &cipherName) || !sshwire.ReadString(&s, &kdf) ||
		!sshwire.ReadString(&s, &kdfOpts) || !s.ReadUint32(&n) ||
		!sshwire.ReadString(&s, &pub) || !sshwire.ReadString(&s, &enc) {
		return nil, errOpenSSHMalformed
	}
	if n != 1 {
		return nil, fail.Malformedf("the OpenSSH file holds %d keys; only single-key files are supported", n)
	}
	return &OpenSSH{Cipher: string(cipherName), kdf: string(kdf), kdfOptions: string(kdfOpts), PublicKey: string(pub), Encrypted: enc, tag: s}, nil
}

// openSSHEncrypted reports whether an OPENSSH PRIVATE KEY block is
// encrypted (a malformed one counts as encrypted, to be reported as such).
func openSSHEncrypted(blob []byte) bool {
	h, err := ParseOpenSSH(blob)
	return err != nil || h.Cipher != "none"
}

// decryptOpenSSH decrypts an encrypted OpenSSH key into scratch, which has
// room for blob, as the unencrypted key that ssh-keygen -p -N ” would
// write: the same public key, checks and comment, cipher and KDF "none",
// padding to 8 bytes.
func decryptOpenSSH(blob, pass, scratch []byte) ([]byte, error) {
	h, err := ParseOpenSSH(blob)
	if err != nil {
		return nil, err
	}
	// The unencrypted header: cipher, KDF and KDF options, one key and its
	// public key; then room for the private section's length.
	header := append([]byte(openSSHMagic), sshwire.Encode([]byte("none"), []byte("none"), nil)...)
	header = binary.BigEndian.AppendUint32(header, 1)
	header = append(header, sshwire.Encode([]byte(h.PublicKey))...)
	// A well-formed key's own cipher, KDF and options are longer than
	// "none", "none" and nothing; a crafted one's may not be, and the
	// rebuilt key would not fit where the encrypted one was.
	n := len(header) + 4
	if n+len(h.Encrypted) > len(scratch) {
		return nil, errOpenSSHMalformed
	}
	copy(scratch, header)
	priv := scratch[n : n+len(h.Encrypted)]

	end, err := h.Decrypt(pass, priv)
	if err != nil {
		return nil, err
	}
	if !openSSHKeyConsistent(priv[8:end]) {
		clear(priv)
		return nil, errWrongPassphrase()
	}
	for i := byte(1); end%OpenSSHPlainBlock != 0; i++ {
		priv[end] = i
		end++
	}
	clear(priv[end:])
	binary.BigEndian.PutUint32(scratch[n-4:n], uint32(end))
	return scratch[:n+end], nil
}

// Decrypt decrypts the private section of an encrypted key into dst, which
// has room for it, checks it as OpenSSHPrivateEnd does and returns where its
// comment ends. On failure, dst is wiped.
func (h *OpenSSH) Decrypt(pass, dst []byte) (int, error) {
	c, ok := sshCiphers[h.Cipher]
	if !ok {
		return 0, fail.Malformedf("unsupported OpenSSH cipher %q (supported: aes128-ctr, aes192-ctr, aes256-ctr, aes256-cbc, aes256-gcm@openssh.com, chacha20-poly1305@openssh.com)", h.Cipher)
	}
	if h.kdf != "bcrypt" {
		return 0, fail.Malformedf("unsupported OpenSSH key derivation %q (supported: bcrypt)", h.kdf)
	}
	opts := cryptobyte.String(h.kdfOptions)
	var salt cryptobyte.String
	var rounds uint32
	if !sshwire.ReadString(&opts, &salt) || !opts.ReadUint32(&rounds) || !opts.Empty() || len(salt) == 0 {
		return 0, fail.Malformedf("invalid bcrypt options")
	}
	if rounds < 1 || rounds > maxBcryptRounds {
		return 0, fail.Malformedf("bcrypt rounds %d out of bounds (1 to %d)", rounds, maxBcryptRounds)
	}
	if len(h.Encrypted)%c.blockSize != 0 || len(h.Encrypted) < 8 || len(h.tag) != c.tagLen {
		return 0, fail.Malformedf("the encrypted key is truncated or corrupted")
	}
	dst = dst[:len(h.Encrypted)]
	keyIV := bcryptPBKDF(pass, salt, int(rounds), c.keyLen+c.ivLen)
	defer clear(keyIV)
	if err := sshDecrypt(h, keyIV[:c.keyLen], keyIV[c.keyLen:], dst); err != nil {
		clear(dst)
		return 0, err
	}
	end, ok := OpenSSHPrivateEnd(dst, c.blockSize, []byte(h.PublicKey))
	if !ok {
		clear(dst)
		return 0, errWrongPassphrase()
	}
	return end, nil
}

// sshDecrypt decrypts h.Encrypted into dst with OpenSSH's cipher.
func sshDecrypt(h *OpenSSH, key, iv, dst []byte) error {
	if h.Cipher == "chacha20-poly1305@openssh.com" {
		// OpenSSH's construction with sequence number 0: the Poly1305 key is
		// the first block of the main key's keystream, the payload is
		// encrypted from block 1.
		c, err := chacha20.NewUnauthenticatedCipher(key[:32], make([]byte, chacha20.NonceSize))
		if err != nil {
			return err
		}
		var polyKey [32]byte
		c.XORKeyStream(polyKey[:], polyKey[:])
		defer clear(polyKey[:])
		if !poly1305.Verify((*[16]byte)(h.tag), h.Encrypted, &polyKey) {
			return errWrongPassphrase()
		}
		c.SetCounter(1)
		c.XORKeyStream(dst, h.Encrypted)
		return nil
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return err
	}
	switch h.Cipher {
	case "aes256-cbc":
		cipher.NewCBCDecrypter(block, iv).CryptBlocks(dst, h.Encrypted)
	case "aes256-gcm@openssh.com":
		gcm, err := cipher.NewGCM(block)
		if err != nil {
			return err
		}
		sealed := h.Encrypted[: len(h.Encrypted)+len(h.tag) : len(h.Encrypted)+len(h.tag)]
		if _, err := gcm.Open(dst[:0], iv, sealed, nil); err != nil {
			return errWrongPassphrase()
		}
	default: // the CTR ciphers
		cipher.NewCTR(block, iv).XORKeyStream(dst, h.Encrypted)
	}
	return nil
}

// OpenSSHPrivateEnd checks a decrypted private section (matching check
// integers, a known key type, the key, whole, whose public key is pub, the
// file's, a comment without NUL, and padding 1, 2, 3...) and returns where
// its comment ends. It does not check that the private key is consistent
// with the public key, which costs primality tests: the keys this package
// delivers are checked for that too, while an identity that is not
// consistent only fails to unwrap.
func OpenSSHPrivateEnd(priv []byte, blockSize int, pub []byte) (int, bool) {
	s := cryptobyte.String(priv)
	var check1, check2 uint32
	var keyType, field cryptobyte.String
	var flags uint8
	if !s.ReadUint32(&check1) || !s.ReadUint32(&check2) || check1 != check2 || !sshwire.ReadString(&s, &keyType) {
		return 0, false
	}
	fields, ok := sshKeyFields[string(keyType)]
	if !ok {
		return 0, false
	}
	key := priv[8:]
	for _, f := range fields {
		if f == 'b' && !s.ReadUint8(&flags) || f == 's' && !sshwire.ReadString(&s, &field) {
			return 0, false
		}
	}
	if !openSSHPublicMatches(key[:len(key)-len(s)], pub) {
		return 0, false
	}
	// The comment, a C string for ssh-keygen, which refuses a NUL in it.
	if !sshwire.ReadString(&s, &field) || bytes.IndexByte(field, 0) >= 0 || len(s) >= blockSize {
		return 0, false
	}
	for i, p := range s {
		if int(p) != i+1 {
			return 0, false
		}
	}
	return len(priv) - len(s), true
}

// bcryptPBKDF is OpenBSD's bcrypt_pbkdf(3), the key derivation of OpenSSH
// keys: PBKDF2-like rounds of a bcrypt hash of SHA-512 digests, with the
// output blocks interleaved. x/crypto has it only in
// golang.org/x/crypto/ssh/internal/bcrypt_pbkdf, which other modules cannot
// import, behind an SSH key parser that leaves keys on the heap (see
// agefile's SSH identities); the bcrypt cipher is x/crypto's blowfish.
func bcryptPBKDF(pass, salt []byte, rounds, keyLen int) []byte {
	const blockLen = 32
	blocks := (keyLen + blockLen - 1) / blockLen
	key := make([]byte, blocks*blockLen)
	var shaPass [sha512.Size]byte
	wipe.SHA512Sum(&shaPass, pass)
	defer clear(shaPass[:])
	var shaSalt [sha512.Size]byte
	var tmp, out [blockLen]byte
	h := sha512.New()
	for block := 1; block <= blocks; block++ {
		h.Reset()
		h.Write(salt)
		h.Write([]byte{byte(block >> 24), byte(block >> 16), byte(block >> 8), byte(block)})
		h.Sum(shaSalt[:0])
		bcryptHash(&tmp, &shaPass, &shaSalt)
		out = tmp
		for r := 2; r <= rounds; r++ {
			h.Reset()
			h.Write(tmp[:])
			h.Sum(shaSalt[:0])
			bcryptHash(&tmp, &shaPass, &shaSalt)
			for i := range out {
				out[i] ^= tmp[i]
			}
		}
		for i, v := range out {
			key[i*blocks+block-1] = v
		}
	}
	clear(tmp[:])
	clear(out[:])
	clear(key[keyLen:])
	return key[:keyLen]
}

var bcryptMagic = []byte("OxychromaticBlowfishSwatDynamite")

func bcryptHash(out *[32]byte, shaPass, shaSalt *[sha512.Size]byte) {
	c, err := blowfish.NewSaltedCipher(shaPass[:], shaSalt[:])
	if err != nil {
		panic(err) // unreachable: the key is 64 bytes
	}
	defer wipe.Deep(c) // its key schedule comes from the passphrase
	for range 64 {
		blowfish.ExpandKey(shaSalt[:], c)
		blowfish.ExpandKey(shaPass[:], c)
	}
	copy(out[:], bcryptMagic)
	for i := 0; i < len(out); i += 8 {
		for range 64 {
			c.Encrypt(out[i:i+8], out[i:i+8])
		}
	}
	for i := 0; i < len(out); i += 4 { // bcrypt's words are little-endian
		out[i], out[i+1], out[i+2], out[i+3] = out[i+3], out[i+2], out[i+1], out[i]
	}
}
