// Package agefile decrypts age files (age-encryption.org/v1) straight into
// the caller's memory, with native X25519, scrypt and SSH identities and
// age plugins, and parses identity files, encrypted ones included.
package agefile

import (
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
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

// readHeader reads the age header at the start of src with age's own
// parser, and the payload nonce after it, or what there is of it.
// age.ExtractHeader returns the header as age encodes it, which is byte for
// byte the header of the file: age's parser takes only its own encoding
// (canonical base64, full body lines), and the MAC covers that encoding. So
// the payload starts right after it, as in age.
func readHeader(src io.ReaderAt, size int64) (header, nonce []byte, err error) {
	header, err = age.ExtractHeader(io.NewSectionReader(src, 0, size))
	if err != nil {
		return nil, nil, headerParseError(src, size, err)
	}
	nonce = make([]byte, max(0, min(nonceSize, size-int64(len(header)))))
	if _, err := src.ReadAt(nonce, int64(len(header))); err != nil && err != io.EOF {
		return nil, nil, fail.Malformedf("reading: %v", err)
	}
	return header, nonce, nil
}

// headerParseError explains why age's parser took no header from src. A
// file that ends where age's parser wants more, or within the intro line,
// is cut short: truncated, like a payload that is cut short. Otherwise the
// header is malformed, or too long.
func headerParseError(src io.ReaderAt, size int64, err error) error {
	truncated := errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
	intro := format.AgeIntro + "v1\n"
	if !truncated && size < int64(len(intro)) {
		start := make([]byte, size)
		n, _ := src.ReadAt(start, 0)
		truncated = n > 0 && strings.HasPrefix(intro, string(start[:n]))
	}
	if truncated {
		return fail.Undecryptablef("file is truncated: it ends within the age header, before its MAC line")
	}
	return fail.Malformedf("invalid age header: %v", err)
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

// headerError classifies an error from age.DecryptHeader on a header that
// readHeader parsed: a plugin that is missing, no identity for any
// recipient, or an error of the identity that matched.
func headerError(err error) error {
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
	return fail.Undecryptablef("%w", err) // an identity's own error, such as its Prompt's
}

// noMatchMessage lists the recipient types of the file, as age does, so that
// the user can tell which kind of identity is needed.
func noMatchMessage(stanzaTypes []string, reason string) string {
	var types []string
	for _, t := range stanzaTypes {
		if !strings.HasPrefix(t, "X-") && !slices.Contains(types, t) { // skip grease
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

// stanzaTypes lists the recipient stanza types of a header that readHeader
// parsed, as age reports them when no identity matches.
func stanzaTypes(header []byte) []string {
	var noMatch *age.NoIdentityMatchError
	if _, err := age.DecryptHeader(header, matchNone{}); errors.As(err, &noMatch) {
		return noMatch.StanzaTypes
	}
	return nil
}

// matchNone is an identity that matches no recipient.
type matchNone struct{}

func (matchNone) Unwrap([]*age.Stanza) ([]byte, error) { return nil, age.ErrIncorrectIdentity }

// Size is the exact plaintext size.
func (p *Plan) Size() int64 { return p.size }

// Discard erases the payload key without decrypting.
func (p *Plan) Discard() { wipe.AEAD(p.aead) }

// Decrypt opens every chunk straight into dst. age's readers (age.Decrypt,
// age.DecryptReaderAt) open each chunk into a buffer of their own, which
// would leave plaintext on the heap (TestNoPlaintextOnHeap scans for it),
// one chunk at a time; so this part of age is secretcat's own. Chunks are
// independent once
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
