package crypt

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"filippo.io/age/armor"
	"golang.org/x/sys/unix"

	"github.com/secretcat/secretcat/crypt/agefile"
	"github.com/secretcat/secretcat/crypt/internal/fail"
	"github.com/secretcat/secretcat/crypt/internal/format"
	"github.com/secretcat/secretcat/crypt/pemkey"
	"github.com/secretcat/secretcat/internal/readsecret"
	"github.com/secretcat/secretcat/internal/spool"
)

// Input is ciphertext ready for random access: a regular file read in place,
// or a stream (stdin, a pipe) or an armored file whose (de-armored)
// ciphertext was copied into an ordinary memory file. Ciphertext is not
// secret, so holding it there is harmless; it is held once.
type Input struct {
	// Name is how messages refer to the input: its path, or "standard input".
	Name string
	// Format is what Detect makes of the input's content.
	Format Format
	r      io.ReaderAt
	size   int64
	file   *os.File // closed by Close: the file opened or the memory file
	// spooled says that file is a memory file that holds a stream.
	spooled bool
	// pemInLine says that an input of unknown format has PEM's BEGIN
	// inside a line, where PEM readers find no block.
	pemInLine bool
}

// Open opens path, or stdin when path is "-", and detects its format.
func Open(path string, stdin io.Reader) (*Input, error) {
	in := &Input{Name: path}
	var err error
	if path == "-" {
		in.Name = "standard input"
		if f, ok := stdin.(*os.File); ok {
			err = in.attach(f, false)
		} else {
			err = in.stream(stdin)
		}
	} else {
		var fd int
		if fd, err = readsecret.Open(path); err != nil {
			return nil, fail.Malformedf("%w", err)
		}
		err = in.attach(os.NewFile(uintptr(fd), path), true)
	}
	if err == nil && in.Format == Unknown {
		err = in.detectFurther()
	}
	if err != nil {
		in.Close()
		return nil, err
	}
	return in, nil
}

// detectFurther detects the format of an input that its first bytes did
// not tell, from as much of it as a PEM file may hold.
func (in *Input) detectFurther() error {
	// PEM text may be an unencrypted key: wiped once detected.
	data := make([]byte, min(in.size, pemkey.MaxFile))
	defer clear(data)
	n, err := in.r.ReadAt(data, 0)
	if err != nil && err != io.EOF {
		return fail.Malformedf("reading: %v", err)
	}
	in.Format = Detect(data[:n])
	in.pemInLine = in.Format == Unknown && bytes.Contains(data[:n], []byte(format.PEMBegin))
	if in.Format == AgeArmor {
		return in.hold(nil, armor.NewReader(io.NewSectionReader(in.r, 0, in.size)))
	}
	return nil
}

// attach reads a regular file in place, from its current offset, and any
// other file as a stream. owned says that the input owns f, and closes it.
func (in *Input) attach(f *os.File, owned bool) error {
	st, err := f.Stat()
	if err != nil || st.IsDir() || !st.Mode().IsRegular() {
		if owned {
			defer f.Close()
		}
		switch {
		case err != nil:
			return fail.Malformedf("%v", fail.UnwrapPath(err))
		case st.IsDir():
			return fail.Malformedf("is a directory")
		}
		return in.stream(f)
	}
	start := int64(0)
	if !owned { // standard input may have been read from already
		if start, err = unix.Seek(int(f.Fd()), 0, io.SeekCurrent); err != nil {
			return fail.Malformedf("%v", err)
		}
	}
	in.r, in.size = io.NewSectionReader(f, start, st.Size()-start), max(0, st.Size()-start)
	if owned {
		in.file = f
	}
	head := make([]byte, DetectLen)
	defer clear(head) // it may be an unencrypted PEM key
	n, err := in.r.ReadAt(head, 0)
	if err != nil && err != io.EOF {
		in.Close()
		return fail.Malformedf("reading: %v", err)
	}
	in.Format = Detect(head[:n])
	if in.Format == AgeArmor {
		return in.hold(nil, armor.NewReader(io.NewSectionReader(in.r, 0, in.size)))
	}
	return nil
}

// stream reads src to its end into a memory file, de-armored if it is
// armored: the format is told from its first bytes.
func (in *Input) stream(src io.Reader) error {
	head := make([]byte, DetectLen)
	defer clear(head) // it may be an unencrypted PEM key
	n, err := io.ReadFull(src, head)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return fail.Malformedf("reading: %v", fail.UnwrapPath(err))
	}
	head = head[:n]
	in.Format = Detect(head)
	if in.Format == AgeArmor {
		return in.hold(nil, armor.NewReader(io.MultiReader(bytes.NewReader(head), src)))
	}
	return in.hold(head, src)
}

// hold makes head and the rest of src the input's ciphertext, in a memory
// file, in place of the file the input had.
func (in *Input) hold(head []byte, src io.Reader) error {
	f, size, err := spool.Hold(head, src)
	in.Close()
	var re spool.ReadError
	if in.Format == AgeArmor && errors.As(err, &re) {
		return fail.Malformedf("invalid armor: %v", re.Err)
	}
	if err != nil {
		return spoolError(err)
	}
	in.file, in.r, in.size, in.spooled = f, f, size, true
	return nil
}

// readPEM reads a PEM file whole into scratch memory: it holds keys,
// unencrypted ones too with AllowUnencrypted, that pass through to the
// plaintext, and so must never be in ordinary memory. Without scratch, it
// reads into the heap and wipes it on release. A memory file that held it,
// from a stream, is emptied.
func (in *Input) readPEM(scratch func(int64) ([]byte, func(), error)) ([]byte, func(), error) {
	if scratch == nil {
		scratch = func(size int64) ([]byte, func(), error) {
			b := make([]byte, size)
			return b, func() { clear(b) }, nil
		}
	}
	data, release, err := scratch(in.size)
	if err != nil {
		return nil, nil, err
	}
	if _, err := in.r.ReadAt(data, 0); err != nil && err != io.EOF {
		release()
		return nil, nil, fail.Malformedf("reading: %v", err)
	}
	if in.spooled {
		in.file.Truncate(0)
	}
	return data, release, nil
}

// heldPEM is the plan of a PEM file read into scratch memory, which it
// wipes and releases with the plan.
type heldPEM struct {
	*pemkey.Plan
	release func()
}

func (p *heldPEM) Decrypt(dst []byte) error {
	defer p.Discard()
	return p.Plan.Decrypt(dst)
}

func (p *heldPEM) Discard() {
	p.Plan.Discard()
	if p.release != nil {
		p.release()
		p.release = nil
	}
}

// Close releases the input's file, if any.
func (in *Input) Close() error {
	if in.file == nil {
		return nil
	}
	err := in.file.Close()
	in.file = nil
	return err
}

// spoolError says which side of a spool failed: reading the stream, or
// holding its contents in memory.
func spoolError(err error) error {
	var re spool.ReadError
	if errors.As(err, &re) {
		return fail.Malformedf("reading: %v", fail.UnwrapPath(re.Err))
	}
	return fmt.Errorf("holding the ciphertext in memory: %w", err)
}

// errUnknownFormat explains what the input was expected to look like.
var errUnknownFormat = errors.New("unrecognized format: expected an age file (binary, starting with \"age-encryption.org/v1\", or armored, starting with \"" + format.ArmorHead + "\"), a PEM file with an encrypted private key, or a SOPS document")

// Plan is a decryption whose plaintext size is known and whose key material
// is ready: Decrypt writes the plaintext into memory of that size.
type Plan interface {
	// Size is the exact plaintext size.
	Size() int64
	// Decrypt writes the plaintext into dst, which must be Size bytes, and
	// erases the key material. On failure, dst is wiped.
	Decrypt(dst []byte) error
	// Discard erases the key material without decrypting.
	Discard()
}

// Prepare checks the input's header, unwraps its file key with the given
// identities and computes the plaintext size, so that the caller can allocate
// exactly that much secret memory.
func (in *Input) Prepare(opts Options) (Plan, error) {
	switch in.Format {
	case Age, AgeArmor:
		plan, err := agefile.Prepare(in.r, in.size, agefile.Options{
			Identities: opts.Identities, Passphrase: opts.Passphrase, Progress: opts.Progress})
		if err != nil {
			return nil, err
		}
		return plan, nil
	case PEM:
		if in.size > pemkey.MaxFile {
			return nil, fail.Malformedf("a PEM file of %d bytes is too large for keys and certificates", in.size)
		}
		data, release, err := in.readPEM(opts.Scratch)
		if err != nil {
			return nil, err
		}
		plan, err := pemkey.Prepare(data, pemkey.Options{
			Passphrase: opts.Passphrase, Scratch: opts.Scratch, DER: opts.DER, AllowUnencrypted: opts.AllowUnencrypted})
		if err != nil {
			release()
			return nil, err
		}
		return &heldPEM{plan, release}, nil
	case SOPS:
		return prepareSOPS(in, opts)
	}
	if in.size == 0 {
		return nil, fail.Malformedf("the file is empty: expected an age file or a PEM file with an encrypted private key")
	}
	if in.pemInLine {
		return nil, fail.Malformedf("no PEM block: \"%s\" appears only inside a line, as in a certificate or key quoted in JSON or YAML, where PEM readers (openssl, encoding/pem) find no block; %w", format.PEMBegin, errUnknownFormat)
	}
	return nil, &fail.Error{Kind: fail.Malformed, Err: errUnknownFormat}
}
