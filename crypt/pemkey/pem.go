// Package pemkey decrypts encrypted private keys (PKCS#8, legacy OpenSSL
// and OpenSSH, in PEM files that may hold certificates too) into the form
// the standard tools write unencrypted, and checks that each decrypted key
// is well formed.
package pemkey

import (
	"bytes"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"strings"

	"github.com/secretcat/secretcat/crypt/internal/fail"
	"github.com/secretcat/secretcat/crypt/internal/format"
)

// MaxFile bounds a PEM file: keys and certificate chains are small.
const MaxFile = 16 << 20

// pemKind is what a PEM block holds.
type pemKind int

const (
	pemOther    pemKind = iota // certificates, parameters...: passed through
	pemPlainKey                // an unencrypted private key
	pemPKCS8                   // ENCRYPTED PRIVATE KEY
	pemLegacy                  // Proc-Type: 4,ENCRYPTED with DEK-Info
	pemOpenSSH                 // OPENSSH PRIVATE KEY with a cipher
)

// pemPart is one block of the output: either bytes passed through from
// the input, or a decrypted key (der, in scratch) to encode under label.
type pemPart struct {
	raw   []byte
	label string
	der   []byte
	width int // base64 line width: 64 as openssl writes, 70 as ssh-keygen
	bare  bool
}

func (p *pemPart) size() int {
	switch {
	case p.der == nil:
		return len(p.raw)
	case p.bare:
		return len(p.der)
	}
	return pemEncodedLen(p.label, len(p.der), p.width)
}

// Plan is a PEM file whose encrypted keys are decrypted into scratch
// memory, ready to be encoded into the destination.
type Plan struct {
	parts   []pemPart
	size    int64
	release func()
}

// Size is the exact size of the output.
func (p *Plan) Size() int64 { return p.size }

// Discard wipes and releases the decrypted keys without writing them.
func (p *Plan) Discard() {
	if p.release != nil {
		p.release()
		p.release = nil
	}
}

// Decrypt writes the output, Size bytes, into dst, then discards the
// decrypted keys.
func (p *Plan) Decrypt(dst []byte) error {
	defer p.Discard()
	if int64(len(dst)) != p.size {
		return fail.ErrSize
	}
	n := 0
	for i := range p.parts {
		part := &p.parts[i]
		switch {
		case part.der == nil:
			n += copy(dst[n:], part.raw)
		case part.bare:
			n += copy(dst[n:], part.der)
		default:
			n += encodePEM(dst[n:], part.label, part.der, part.width)
		}
	}
	return nil
}

// pemBlock is a block of the input with the bytes it spans.
type pemBlock struct {
	*pem.Block
	raw []byte
}

// beginLines returns where the lines of data that begin a PEM block start:
// where PEM readers (encoding/pem, openssl) look for one, at the start of a
// line. "-----BEGIN " inside a line, as in a certificate quoted in JSON,
// begins nothing.
func beginLines(data []byte) []int {
	var at []int
	for off := 0; off < len(data); {
		line, _, _ := bytes.Cut(data[off:], []byte("\n"))
		if bytes.HasPrefix(line, []byte(format.PEMBegin)) {
			at = append(at, off)
		}
		off += len(line) + 1
	}
	return at
}

// splitPEM finds every PEM block of data. A BEGIN line whose block does not
// decode (bad base64, truncated, no END line) is an error.
func splitPEM(data []byte) ([]pemBlock, error) {
	var blocks []pemBlock
	rest := data
	for {
		b, next := pem.Decode(rest)
		if b == nil {
			break
		}
		consumed := rest[:len(rest)-len(next)]
		start := beginLines(consumed)[0]
		blocks = append(blocks, pemBlock{Block: b, raw: consumed[start:]})
		rest = next
	}
	if tail := bytes.TrimLeft(rest, " \t\r\n"); len(tail) > 0 && bytes.HasPrefix([]byte("-----BEGIN "), tail) {
		return nil, fail.Undecryptablef("the file is truncated: it ends within a BEGIN line, after %d PEM blocks", len(blocks))
	}
	at := beginLines(data)
	if begins := len(at); begins != len(blocks) {
		if !hasEndLine(data[at[len(at)-1]:]) {
			return nil, fail.Undecryptablef("the file is truncated: PEM block %d of %d has no END line", begins, begins)
		}
		return nil, fail.Malformedf("PEM block %d of %d is not valid: its base64 or headers are corrupted", len(blocks)+1, begins)
	}
	if len(blocks) == 0 {
		return nil, fail.Malformedf("no PEM block found")
	}
	return blocks, nil
}

// hasEndLine reports whether the text of a block, from its BEGIN line, has
// an END line, whole: without, the file was cut short.
func hasEndLine(block []byte) bool {
	i := bytes.Index(block, []byte("-----END "))
	if i < 0 {
		return false
	}
	line, _, _ := bytes.Cut(block[i+len("-----END "):], []byte("\n"))
	return bytes.HasSuffix(bytes.TrimRight(line, " \t\r"), []byte("-----"))
}

// EncryptedKey reports whether b is an encrypted PKCS#8 or legacy OpenSSL
// key, which DecryptKey decrypts.
func EncryptedKey(b *pem.Block) bool {
	k := classify(b)
	return k == pemPKCS8 || k == pemLegacy
}

func classify(b *pem.Block) pemKind {
	switch {
	case b.Type == "ENCRYPTED PRIVATE KEY":
		return pemPKCS8
	case b.Headers["Proc-Type"] == "4,ENCRYPTED":
		return pemLegacy
	case b.Type == "OPENSSH PRIVATE KEY":
		if openSSHEncrypted(b.Bytes) {
			return pemOpenSSH
		}
		return pemPlainKey
	case strings.HasSuffix(b.Type, "PRIVATE KEY"):
		return pemPlainKey
	}
	return pemOther
}

// Options are the means of decrypting the keys of a PEM file, and how the
// result is wanted.
type Options struct {
	// Passphrase returns the passphrase of the encrypted keys; the returned
	// slice is wiped after use. A nil Passphrase means none can be had.
	Passphrase func() ([]byte, error)
	// Scratch returns memory of size bytes for intermediate plaintext (a
	// decrypted key before it is encoded) and a function that wipes and
	// releases it. It should be secret memory, like the destination.
	Scratch func(size int64) ([]byte, func(), error)
	// DER asks for a single decrypted key as DER rather than PEM.
	DER bool
	// AllowUnencrypted lets files without any encrypted key through, as
	// they are.
	AllowUnencrypted bool
}

// Prepare decrypts every encrypted key of a PEM file into scratch memory
// and plans the output: each key as the standard tools write it
// unencrypted, other blocks as they are, in order.
func Prepare(data []byte, opts Options) (*Plan, error) {
	blocks, err := splitPEM(data)
	if err != nil {
		return nil, err
	}
	kinds := make([]pemKind, len(blocks))
	var scratchSize, encrypted int
	for i, b := range blocks {
		kinds[i] = classify(b.Block)
		switch kinds[i] {
		case pemPKCS8, pemLegacy, pemOpenSSH:
			scratchSize += len(b.Bytes)
			encrypted++
		default:
			// encoding/pem decoded it onto the heap, and it may be an
			// unencrypted key: it passes through from data, as it is.
			clear(b.Bytes)
		}
	}
	if encrypted == 0 {
		if !opts.AllowUnencrypted {
			return nil, fail.WithNeed(fail.Malformedf("no encrypted private key in this PEM file, only %s: secretcat decrypts", describeBlocks(blocks, kinds)), fail.NeedUnencrypted)
		}
		if opts.DER {
			return nil, fail.WithNeed(fail.Malformedf("no DER form: the file has no encrypted key"), fail.NeedDERKey)
		}
		return &Plan{parts: []pemPart{{raw: data}}, size: int64(len(data))}, nil
	}
	switch {
	case opts.DER && len(blocks) != 1:
		return nil, fail.WithNeed(fail.Malformedf("no DER form: the file has %d PEM blocks", len(blocks)), fail.NeedDERKey)
	case opts.DER && kinds[0] == pemOpenSSH:
		return nil, fail.WithNeed(fail.Malformedf("no DER form: an OpenSSH key has none"), fail.NeedDERKey)
	}
	if opts.Passphrase == nil {
		return nil, fail.WithNeed(fail.Undecryptablef("the key is passphrase-encrypted and no passphrase source is available"), fail.NeedPassphrase)
	}
	if opts.Scratch == nil {
		return nil, fmt.Errorf("no scratch memory for decrypted keys")
	}
	pass, err := opts.Passphrase()
	if err != nil {
		return nil, fail.Undecryptablef("reading the passphrase: %w", err)
	}
	defer clear(pass)
	if len(pass) == 0 {
		return nil, fail.Malformedf("the passphrase is empty")
	}
	scratch, release, err := opts.Scratch(int64(scratchSize))
	if err != nil {
		return nil, err
	}
	plan := &Plan{release: release}
	off := 0
	for i, b := range blocks {
		part := pemPart{raw: b.raw, width: 64}
		var n int
		switch kinds[i] {
		case pemPKCS8, pemLegacy:
			n = len(b.Bytes)
			part.label, part.der, err = DecryptKey(b.Block, pass, scratch[off:off+n])
		case pemOpenSSH:
			part.label, part.width = b.Type, 70
			n = len(b.Bytes)
			part.der, err = decryptOpenSSH(b.Bytes, pass, scratch[off:off+n])
		case pemPlainKey:
			if !opts.AllowUnencrypted {
				err = fail.WithNeed(fail.Malformedf("an unencrypted private key"), fail.NeedUnencrypted)
			}
		}
		if err != nil {
			plan.Discard()
			return nil, fmt.Errorf("PEM block %d (%s): %w", i+1, b.Type, err)
		}
		part.bare = opts.DER
		off += n
		plan.parts = append(plan.parts, part)
		plan.size += int64(part.size())
	}
	return plan, nil
}

// describeBlocks says what a PEM file without encrypted keys holds: "one
// CERTIFICATE", "2 CERTIFICATE blocks and one unencrypted PRIVATE KEY".
func describeBlocks(blocks []pemBlock, kinds []pemKind) string {
	var parts []string
	for i := 0; i < len(blocks); {
		n := 1
		for i+n < len(blocks) && blocks[i+n].Type == blocks[i].Type {
			n++
		}
		what := blocks[i].Type
		if kinds[i] == pemPlainKey {
			what = "unencrypted " + what
		}
		if n == 1 {
			parts = append(parts, "one "+what)
		} else {
			parts = append(parts, fmt.Sprintf("%d %s blocks", n, what))
		}
		i += n
	}
	if len(parts) > 3 {
		parts = append(parts[:3], fmt.Sprintf("%d more", len(parts)-3))
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

// DecryptKey decrypts an encrypted PKCS#8 or legacy key block into
// scratch, which has room for its bytes, and returns the label and DER of
// the unencrypted key.
func DecryptKey(b *pem.Block, pass, scratch []byte) (string, []byte, error) {
	if b.Type == "ENCRYPTED PRIVATE KEY" {
		der, err := decryptPKCS8(b.Bytes, pass, scratch)
		return "PRIVATE KEY", der, err
	}
	der, err := decryptLegacy(b, pass, scratch)
	return b.Type, der, err
}

// pemEncodedLen is the size of a PEM block of n bytes wrapped at width.
func pemEncodedLen(label string, n, width int) int {
	b64 := base64.StdEncoding.EncodedLen(n)
	lines := (b64 + width - 1) / width
	return len("-----BEGIN ") + len("-----END ") + 2*len(label) + 2*len("-----\n") + b64 + lines
}

// encodePEM writes der as a PEM block into dst, which has room for exactly
// pemEncodedLen bytes, and returns that length. The base64 is written in
// place, then its lines are moved left to make room for the line breaks:
// no copy of the key is made outside dst.
func encodePEM(dst []byte, label string, der []byte, width int) int {
	n := copy(dst, "-----BEGIN "+label+"-----\n")
	b64 := base64.StdEncoding.EncodedLen(len(der))
	lines := (b64 + width - 1) / width
	// Encode right-aligned in the body, then move each line into place.
	body := dst[n : n+b64+lines]
	base64.StdEncoding.Encode(body[lines:], der)
	w := 0
	for r := lines; r < len(body); r += width {
		end := min(r+width, len(body))
		w += copy(body[w:], body[r:end])
		body[w] = '\n'
		w++
	}
	n += len(body)
	n += copy(dst[n:], "-----END "+label+"-----\n")
	return n
}

// unpad removes PKCS#7 padding for a block size of bs.
func unpad(b []byte, bs int) ([]byte, bool) {
	if len(b) == 0 || len(b)%bs != 0 {
		return nil, false
	}
	p := int(b[len(b)-1])
	if p == 0 || p > bs {
		return nil, false
	}
	for _, c := range b[len(b)-p:] {
		if int(c) != p {
			return nil, false
		}
	}
	return b[:len(b)-p], true
}

// errWrongPassphrase is what a CBC key without a MAC says when its padding
// or structure is wrong after decryption.
func errWrongPassphrase() error {
	return fail.Undecryptablef("wrong passphrase or corrupt key")
}
