package agefile

import (
	"bytes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"filippo.io/age"
	"filippo.io/age/plugin"
	"golang.org/x/crypto/chacha20poly1305"

	"github.com/secretcat/secretcat/crypt/internal/fail"
	"github.com/secretcat/secretcat/crypt/internal/format"
	"github.com/secretcat/secretcat/crypt/internal/wipe"
)

// The age payload is STREAM: 64 KiB chunks, each sealed with
// ChaCha20-Poly1305 under a nonce made of an 11-byte big-endian chunk counter
// and a final byte that is 1 on the last chunk only.
const (
	chunkSize    = 64 << 10
	encChunkSize = chunkSize + chacha20poly1305.Overhead
	nonceSize    = 16 // the payload nonce that salts the stream key
)

// Plan is an age file whose header has been authenticated and whose
// payload size has been checked.
type Plan struct {
	src     io.ReaderAt
	offset  int64 // where the first chunk starts
	encSize int64 // bytes of chunks
	size    int64 // plaintext bytes
	chunks  int64
	aead    cipher.AEAD
	done    *atomic.Int64 // Options.Progress
}

// Prepare authenticates the header of the age file src of size bytes with
// the given identities, unwraps its file key and checks the payload's size,
// so that the caller can allocate exactly the plaintext's size.
func Prepare(src io.ReaderAt, size int64, ids Options) (*Plan, error) {
	header, nonce, err := readHeader(src, size)
	if err != nil {
		return nil, err
	}
	if len(nonce) < nonceSize {
		return nil, fail.Undecryptablef("file is truncated: the payload nonce is missing")
	}
	offset := int64(len(header) + nonceSize)
	encSize := size - offset
	chunks, plainSize, err := payloadLayout(encSize)
	if err != nil {
		return nil, err
	}

	fileKey, err := ids.unwrapFileKey(header)
	if err != nil {
		return nil, err
	}
	streamKey, err := hkdf.Key(sha256.New, fileKey, nonce, "payload", chacha20poly1305.KeySize)
	clear(fileKey)
	if err != nil {
		return nil, fmt.Errorf("deriving the payload key: %v", err)
	}
	aead, err := chacha20poly1305.New(streamKey)
	clear(streamKey)
	if err != nil {
		return nil, err
	}
	return &Plan{src: src, offset: offset, encSize: encSize, size: plainSize, chunks: chunks, aead: aead, done: ids.Progress}, nil
}

// maxHeader bounds an age header, as age does.
const maxHeader = 2 << 20

// footer starts the last line of an age header, which holds its MAC. No other
// line can start with it: recipient lines start with "-> " and body lines are
// base64.
var footer = []byte("\n---")

// readHeader reads the age header at the start of src, up to and including
// the line of its MAC, and the payload nonce after it, or what there is of
// it. The header is found in one read of its first page: parsing it is left
// to age.DecryptHeader, and the payload starts right after it, as in age. A
// file with no header line ending is checked with age's parser for the
// reason.
func readHeader(src io.ReaderAt, size int64) (header, nonce []byte, err error) {
	buf := make([]byte, min(size, 4096))
	for {
		n, err := src.ReadAt(buf, 0)
		if err != nil && err != io.EOF {
			return nil, nil, fail.Malformedf("reading: %v", err)
		}
		buf = buf[:n]
		done := n < cap(buf) || int64(n) == size || n >= maxHeader // nothing more to read
		end := -1
		if i := bytes.Index(buf, footer); i >= 0 {
			if j := bytes.IndexByte(buf[i+1:], '\n'); j >= 0 {
				end = i + 1 + j + 1
			}
		}
		if end >= 0 && (n >= end+nonceSize || done) {
			return buf[:end], buf[end:min(n, end+nonceSize)], nil
		}
		if done {
			return nil, nil, unfinishedHeader(buf)
		}
		buf = make([]byte, min(size, 2*int64(n), maxHeader+nonceSize))
	}
}

// unfinishedHeader explains a file that ends, or a header that reaches
// maxHeader, before the end of the MAC line. Where age's parser reads every
// line there is without fault and wants more, the file is cut short: it is
// truncated, like a payload that is cut short. Otherwise the header is
// malformed, or too long.
func unfinishedHeader(buf []byte) error {
	if len(buf) >= maxHeader {
		return fail.Malformedf("invalid age header: longer than %d MiB without a MAC line", maxHeader>>20)
	}
	_, err := age.ExtractHeader(bytes.NewReader(buf))
	if err == nil || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		bytes.HasPrefix([]byte(format.AgeIntro+"v1\n"), buf) { // the intro line, cut short
		return fail.Undecryptablef("file is truncated: it ends within the age header, before its MAC line")
	}
	return fail.Malformedf("invalid age header: %v", err)
}

// checkHeader parses an age header with age's parser, for the reason it is
// malformed; it is nil for a well-formed header.
func checkHeader(header []byte) error {
	if _, err := age.ExtractHeader(bytes.NewReader(header)); err != nil {
		return fail.Malformedf("invalid age header: %v", err)
	}
	return nil
}

// payloadLayout returns the number of chunks and the plaintext size of a
// payload of encSize bytes. Every chunk but the last is full; the last may be
// short, and is empty only when it is the only one.
func payloadLayout(encSize int64) (chunks, plainSize int64, err error) {
	if encSize <= 0 {
		return 0, 0, fail.Undecryptablef("file is truncated: the payload is missing")
	}
	chunks = (encSize + encChunkSize - 1) / encChunkSize
	plainSize = encSize - chunks*chacha20poly1305.Overhead
	want := (plainSize + chunkSize - 1) / chunkSize
	if plainSize == 0 {
		want = 1
	}
	if plainSize < 0 || want != chunks {
		return 0, 0, fail.Undecryptablef("file is truncated or corrupted: a payload of %d bytes cannot be a sequence of age chunks", encSize)
	}
	return chunks, plainSize, nil
}

// headerError classifies an error from age.DecryptHeader: a malformed header,
// no identity for any recipient, or an error of the identity that matched.
func headerError(header []byte, err error) error {
	var notFound *plugin.NotFoundError
	if errors.As(err, &notFound) {
		return fail.Malformedf("age plugin %q is not installed: age-plugin-%s is not in PATH (see https://age-encryption.org/awesome#plugins)", notFound.Name, notFound.Name)
	}
	var noMatch *age.NoIdentityMatchError
	if errors.As(err, &noMatch) {
		reason := ""
		if len(noMatch.Errors) == 1 {
			reason = noMatch.Errors[0].Error()
		}
		return fail.WithNeed(fail.Undecryptablef("%s", noMatchMessage(noMatch.StanzaTypes, reason)), fail.NeedIdentity)
	}
	if err := checkHeader(header); err != nil {
		return err
	}
	return fail.Undecryptablef("%w", err) // an identity's own error, such as its Prompt's
}

// noMatchMessage lists the recipient types of the file, as age does, so that
// the user can tell which kind of identity is needed.
func noMatchMessage(stanzaTypes []string, reason string) string {
	var types []string
	for _, t := range stanzaTypes {
		if !strings.HasPrefix(t, "X-") && !contains(types, t) { // skip grease
			types = append(types, t)
		}
	}
	msg := "no identity matched any of the recipients"
	if len(types) > 0 {
		msg += fmt.Sprintf(" (the file is encrypted to: %s)", strings.Join(types, ", "))
	}
	if reason != "" {
		msg += ": " + reason
	}
	return msg
}

// stanzaTypes lists the recipient stanza types of a well-formed header.
func stanzaTypes(header []byte) []string {
	var types []string
	for _, line := range strings.Split(string(header), "\n") {
		if rest, ok := strings.CutPrefix(line, "-> "); ok {
			t, _, _ := strings.Cut(rest, " ")
			types = append(types, t)
		}
	}
	return types
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Size is the exact plaintext size.
func (p *Plan) Size() int64 { return p.size }

// Discard erases the payload key without decrypting.
func (p *Plan) Discard() { wipe.AEAD(p.aead) }

// Decrypt opens every chunk straight into dst. Chunks are independent once
// the payload size is known, so they are split between workers, one per
// CPU: filling fresh secret memory is bound by page faults (each page leaves
// the direct map), and faulting on every core overlaps with decryption.
func (p *Plan) Decrypt(dst []byte) error {
	defer p.Discard()
	if int64(len(dst)) != p.size {
		return fail.ErrSize
	}
	workers := int64(runtime.GOMAXPROCS(0))
	if perWorker := int64(4); p.chunks < workers*perWorker {
		workers = max(1, p.chunks/perWorker)
	}
	var (
		wg      sync.WaitGroup
		failed  atomic.Bool
		errOnce sync.Once
		first   error
	)
	if workers == 1 { // small files: no goroutine, no thread to start
		first = p.decryptRange(dst, 0, p.chunks, &failed)
	} else {
		for w := range workers {
			lo, hi := p.chunks*w/workers, p.chunks*(w+1)/workers
			wg.Go(func() {
				if err := p.decryptRange(dst, lo, hi, &failed); err != nil {
					errOnce.Do(func() { first = err })
					failed.Store(true)
				}
			})
		}
		wg.Wait()
	}
	if first != nil {
		clear(dst)
		return first
	}
	return nil
}

func (p *Plan) decryptRange(dst []byte, lo, hi int64, failed *atomic.Bool) error {
	buf := make([]byte, encChunkSize)
	var nonce [chacha20poly1305.NonceSize]byte
	for i := lo; i < hi && !failed.Load(); i++ {
		in := buf[:min(encChunkSize, p.encSize-i*encChunkSize)]
		if _, err := p.src.ReadAt(in, p.offset+i*encChunkSize); err != nil {
			return fail.Undecryptablef("reading payload chunk %d: %v", i, err)
		}
		binary.BigEndian.PutUint64(nonce[3:11], uint64(i))
		if i == p.chunks-1 {
			nonce[11] = 1
		}
		start := i * chunkSize
		out := dst[start : start : start+int64(len(in)-chacha20poly1305.Overhead)]
		if _, err := p.aead.Open(out, nonce[:], in, nil); err != nil {
			return fail.Undecryptablef("payload chunk %d of %d failed authentication: the file is corrupted, truncated or tampered with", i+1, p.chunks)
		}
		if p.done != nil {
			p.done.Add(int64(cap(out)))
		}
	}
	return nil
}
