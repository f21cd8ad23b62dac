package sops

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/secretcat/secretcat/crypt/internal/wipe"
)

// encPattern is an encrypted value, matched as SOPS matches it. It is
// compiled when a document is first decrypted, not at every start of the
// program.
var encPattern = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]`)
})

// macOnlyEncryptedInit starts the MAC of a document with mac_only_encrypted:
// SHA-256("sops"), as SOPS writes it.
var macOnlyEncryptedInit = []byte{0x8a, 0x3f, 0xd2, 0xad, 0x54, 0xce, 0x66, 0x52, 0x7b, 0x10, 0x34, 0xf3, 0xd1, 0x47, 0xbe, 0x0b, 0x0b, 0x97, 0x5b, 0x3b, 0xf4, 0x4f, 0x72, 0xc6, 0xfd, 0xad, 0xec, 0x81, 0x76, 0xf2, 0x7d, 0x69}

// macSize is the size of the MAC as SOPS encrypts it: SHA-512 in upper-case
// hex.
const macSize = 2 * sha512.Size

// decryptor decrypts the values of a document into secret memory and
// computes its MAC.
type decryptor struct {
	md      *metadata
	block   cipher.Block
	aeads   map[int]cipher.AEAD // by nonce size
	secret  []byte              // scratch memory: decrypted values, one after another
	used    int
	mac     hash.Hash
	tmp     []byte // canonical forms of numbers and booleans, cleared after use
	failure error
}

// formatRoom is the secret memory set aside for each encrypted value to
// format it again as a number: the longest float64 in any of the forms the
// emitters use fits.
const formatRoom = 40

// plaintextBound is how much secret memory the values of a document need
// once decrypted: at most the size of their ciphertexts, the room to
// format numbers, and the MAC.
func plaintextBound(branches []*node) int {
	n := macSize
	var walk func(v *node)
	walk = func(v *node) {
		switch v.kind {
		case kindMap:
			for _, e := range v.entries {
				walk(e.val)
			}
		case kindSeq:
			for _, e := range v.elems {
				walk(e)
			}
		case kindScalar, kindComment:
			if len(v.text) > 24 && strings.HasPrefix(unsafe.String(&v.text[0], len(v.text)), "ENC[") {
				n += base64.StdEncoding.DecodedLen(len(v.text)) + formatRoom
			}
		}
	}
	for _, b := range branches {
		walk(b)
	}
	return n
}

// newDecryptor sets up decryption with key into secret.
func newDecryptor(md *metadata, key, secret []byte) (*decryptor, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	d := &decryptor{md: md, block: block, aeads: map[int]cipher.AEAD{}, secret: secret, mac: sha512.New(), tmp: make([]byte, 0, 512)}
	if md.macOnlyEncrypted {
		d.mac.Write(macOnlyEncryptedInit)
	}
	return d, nil
}

// wipe erases the key schedule, the hash state and the temporary buffer.
func (d *decryptor) wipe() {
	for _, a := range d.aeads {
		wipe.Deep(a)
	}
	wipe.Deep(d.block)
	wipe.Deep(d.mac) // the SHA-512 block buffer holds the last values
	clear(d.tmp[:cap(d.tmp)])
}

// open decrypts an encrypted value with additional data ad into the next
// bytes of secret memory, and returns them with the value's type.
func (d *decryptor) open(enc []byte, ad string) (plain []byte, typ string, err error) {
	m := encPattern().FindSubmatch(enc)
	if m == nil {
		return nil, "", undecryptable("a value that should be encrypted is not in SOPS's ENC[AES256_GCM,...] format")
	}
	data, err1 := base64.StdEncoding.AppendDecode(nil, m[1])
	iv, err2 := base64.StdEncoding.AppendDecode(nil, m[2])
	tag, err3 := base64.StdEncoding.AppendDecode(nil, m[3])
	if err1 != nil || err2 != nil || err3 != nil || len(iv) == 0 {
		return nil, "", undecryptable("an encrypted value has invalid base64 in its data, iv or tag")
	}
	typ = string(m[4])
	switch typ {
	case typeStr, typeInt, typeFloat, typeBool, typeTime, typeBytes, typeComment:
	default:
		return nil, "", undecryptable("an encrypted value has the unknown type %q", typ)
	}
	aead := d.aeads[len(iv)]
	if aead == nil {
		if aead, err = cipher.NewGCMWithNonceSize(d.block, len(iv)); err != nil {
			return nil, "", undecryptable("an encrypted value has an IV of %d bytes: %v", len(iv), err)
		}
		d.aeads[len(iv)] = aead
	}
	if len(tag) != aead.Overhead() || d.used+len(data) > len(d.secret) {
		return nil, "", undecryptable("an encrypted value has a tag of %d bytes, not %d", len(tag), aead.Overhead())
	}
	dst := d.secret[d.used:d.used:len(d.secret)]
	plain, err = aead.Open(dst, iv, append(data, tag...), []byte(ad))
	if err != nil {
		return nil, "", undecryptable("a value failed authentication (at %s): the file is tampered with, or the data key is wrong", keyPath(ad))
	}
	d.used += len(plain)
	return plain, typ, nil
}

// keyPath shows the additional data of a value as the path of keys it
// is under.
func keyPath(ad string) string {
	p := strings.TrimSuffix(ad, ":")
	if p == "" {
		return "the top level"
	}
	return strings.ReplaceAll(p, ":", ".")
}

// decryptBranches decrypts every value SOPS's rules say is encrypted and
// feeds the MAC, as SOPS walks the tree.
func (d *decryptor) decryptBranches(branches []*node) error {
	for _, b := range branches {
		if err := d.walkMap(b, nil, nil); err != nil {
			return err
		}
	}
	return nil
}

func (d *decryptor) walk(v *node, path []string, stack [][]string) error {
	switch v.kind {
	case kindMap:
		return d.walkMap(v, path, stack)
	case kindSeq:
		return d.walkSeq(v, path, stack)
	case kindScalar:
		return d.leaf(v, path, stack, false)
	case kindComment:
		return d.leaf(v, path, stack, true)
	}
	return nil // null: neither encrypted nor in the MAC
}

func (d *decryptor) walkMap(m *node, path []string, stack [][]string) error {
	stack = append(stack, []string{})
	top := len(stack) - 1
	for _, e := range m.entries {
		if e.isComment() {
			stack[top] = append(stack[top], string(e.val.text))
			if err := d.leaf(e.val, path, stack, true); err != nil {
				return err
			}
			continue
		}
		if err := d.walk(e.val, append(path, e.key), stack); err != nil {
			return err
		}
		stack[top] = []string{}
	}
	return nil
}

func (d *decryptor) walkSeq(s *node, path []string, stack [][]string) error {
	stack = append(stack, []string{})
	top := len(stack) - 1
	for _, v := range s.elems {
		// A value that decrypts to a comment (SOPS writes some comments of
		// sequences as values) still ends the run of comments before it.
		isComment := v.kind == kindComment
		if isComment {
			stack[top] = append(stack[top], string(v.text))
		}
		if err := d.walk(v, path, stack); err != nil {
			return err
		}
		if !isComment {
			stack[top] = []string{}
		}
	}
	return nil
}

// leaf decrypts a scalar or comment if it is encrypted, and adds it to the
// MAC.
func (d *decryptor) leaf(v *node, path []string, stack [][]string, isComment bool) error {
	encrypted := d.md.shouldEncrypt(path, stack, isComment)
	if encrypted && len(v.text) > 0 {
		ad := strings.Join(path, ":") + ":"
		if isComment {
			// A comment that does not decrypt was never encrypted: SOPS
			// keeps it as it is.
			// SOPS's decrypted comment is a new one, without the mark of a
			// comment that followed a value on its line: YAML writes it
			// above the value instead.
			if plain, typ, err := d.open(v.text, ad); err == nil {
				v.text, v.secret = plain, true
				v.inline = v.inline && typ != typeComment
			}
		} else {
			if v.typ != typeStr {
				return undecryptable("the value at %s should be encrypted, but is a %s in clear: the file is tampered with", keyPath(ad), v.typ)
			}
			plain, typ, err := d.open(v.text, ad)
			if err != nil {
				return err
			}
			v.text, v.typ, v.secret = plain, typ, true
			if typ == typeComment {
				v.kind = kindComment
			}
			if err := checkType(v); err != nil {
				return undecryptable("the value at %s: %v", keyPath(ad), err)
			}
		}
	}
	if v.kind == kindComment || (d.md.macOnlyEncrypted && !encrypted) {
		return nil
	}
	c, err := d.canonical(v)
	if err != nil {
		return err
	}
	d.mac.Write(c)
	clear(d.tmp[:cap(d.tmp)])
	return nil
}

// checkType checks that a decrypted value parses as its type, as SOPS
// parses it.
func checkType(v *node) error {
	s := unsafe.String(unsafe.SliceData(v.text), len(v.text))
	var err error
	switch v.typ {
	case typeInt:
		_, err = strconv.Atoi(s)
	case typeFloat:
		_, err = strconv.ParseFloat(s, 64)
	case typeBool:
		_, err = strconv.ParseBool(s)
	case typeTime:
		var t time.Time
		err = t.UnmarshalText(v.text)
	}
	if err != nil {
		return strconvError(v.typ)
	}
	return nil
}

// strconvError hides the value from a parse error, which quotes it.
func strconvError(typ string) error {
	return undecryptable("it does not parse as its type %s", typ)
}

// canonical returns the bytes SOPS feeds to the MAC for a scalar: its value
// formatted again after parsing it as its type. Numbers and booleans are
// formatted into the decryptor's temporary buffer, which the caller
// clears; other values are returned as they are, without a copy.
func (d *decryptor) canonical(v *node) ([]byte, error) {
	s := unsafe.String(unsafe.SliceData(v.text), len(v.text))
	switch v.typ {
	case typeInt:
		i, err := strconv.Atoi(s)
		if err != nil {
			return nil, strconvError(v.typ)
		}
		return strconv.AppendInt(d.tmp[:0], int64(i), 10), nil
	case typeFloat:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, strconvError(v.typ)
		}
		return strconv.AppendFloat(d.tmp[:0], f, 'f', -1, 64), nil
	case typeBool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return nil, strconvError(v.typ)
		}
		return appendBool(d.tmp[:0], b), nil
	}
	return v.text, nil
}

// format formats a decrypted value again, with fn, into the decryptor's
// secret memory, or a value in clear onto the heap.
func (d *decryptor) format(v *node, fn func(dst []byte) []byte) []byte {
	if !v.secret {
		return fn(nil)
	}
	if len(d.secret)-d.used < formatRoom {
		panic("sops: no room left in secret memory to format a value")
	}
	out := fn(d.secret[d.used:d.used:min(d.used+formatRoom, len(d.secret))])
	d.used += len(out)
	return out
}

// checkMAC decrypts the document's MAC and compares it with the one
// computed over the values.
func (d *decryptor) checkMAC() error {
	if d.md.mac == "" {
		return undecryptable("the file has no MAC: it is tampered with")
	}
	want, typ, err := d.open([]byte(d.md.mac), d.md.modified)
	if err != nil {
		return undecryptable("the MAC does not decrypt: the file (its MAC or lastmodified) is tampered with")
	}
	sum := d.mac.Sum(nil)
	got := hex.AppendEncode(d.tmp[:0], sum)
	clear(sum)
	for i, c := range got {
		if 'a' <= c && c <= 'f' {
			got[i] = c - 'a' + 'A'
		}
	}
	ok := typ == typeStr && subtle.ConstantTimeCompare(got, want) == 1
	clear(got)
	clear(want)
	if !ok {
		return undecryptable("MAC mismatch: the file is tampered with")
	}
	return nil
}

// shouldEncrypt says whether the value at path, under the comments in
// stack, is encrypted by the document's rules, as SOPS decides it.
func (md *metadata) shouldEncrypt(path []string, stack [][]string, isComment bool) bool {
	// parseMetadata sets exactly one rule.
	switch {
	case md.unencryptedSuffix != "":
		return !slices.ContainsFunc(path, func(key string) bool { return strings.HasSuffix(key, md.unencryptedSuffix) })
	case md.encryptedSuffix != "":
		return slices.ContainsFunc(path, func(key string) bool { return strings.HasSuffix(key, md.encryptedSuffix) })
	case md.unencryptedRegex != nil:
		return !slices.ContainsFunc(path, md.unencryptedRegex.MatchString)
	case md.encryptedRegex != nil:
		return slices.ContainsFunc(path, md.encryptedRegex.MatchString)
	case md.unencryptedCommentRegex != nil:
		return !slices.ContainsFunc(stack, func(comments []string) bool {
			return slices.ContainsFunc(comments, md.unencryptedCommentRegex.MatchString)
		})
	case md.encryptedCommentRgx != nil:
		for i, comments := range stack {
			if isComment && i == len(stack)-1 && len(comments) > 0 {
				comments = comments[:len(comments)-1] // the comment that matches is not itself encrypted
			}
			if slices.ContainsFunc(comments, md.encryptedCommentRgx.MatchString) {
				return true
			}
		}
		return false
	}
	return true
}
