package crypt

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"filippo.io/age/armor"
)

// Input is ciphertext ready for random access: a regular file read in place,
// or a stream (stdin, a pipe) or armored file buffered in memory. Ciphertext is
// not secret, so buffering it is harmless.
type Input struct {
	// Name is how messages refer to the input: its path, or "standard input".
	Name   string
	Format Format
	r      io.ReaderAt
	size   int64
	file   *os.File
}

// Open opens path, or stdin when path is "-", and detects its format.
func Open(path string, stdin io.Reader) (*Input, error) {
	in := &Input{Name: path}
	if path == "-" {
		in.Name = "standard input"
		data, err := io.ReadAll(stdin)
		if err != nil {
			return nil, malformed("reading standard input: %v", err)
		}
		in.r, in.size = bytes.NewReader(data), int64(len(data))
	} else {
		fd, err := openFile(path)
		if err != nil {
			return nil, malformed("%v", err)
		}
		f := os.NewFile(uintptr(fd), path)
		if err := in.attach(f); err != nil {
			f.Close()
			return nil, err
		}
	}
	head := make([]byte, DetectLen)
	n, err := in.r.ReadAt(head, 0)
	if err != nil && err != io.EOF {
		in.Close()
		return nil, malformed("reading: %v", err)
	}
	in.Format = Detect(head[:n])
	if in.Format == AgeArmor {
		if err := in.dearmor(); err != nil {
			in.Close()
			return nil, err
		}
	}
	return in, nil
}

// attach uses a regular file in place and buffers anything else.
func (in *Input) attach(f *os.File) error {
	st, err := f.Stat()
	if err != nil {
		return malformed("%v", unwrapPath(err))
	}
	switch {
	case st.IsDir():
		return malformed("is a directory")
	case st.Mode().IsRegular():
		in.file, in.r, in.size = f, f, st.Size()
		return nil
	}
	data, err := io.ReadAll(f)
	f.Close()
	if err != nil {
		return malformed("reading: %v", unwrapPath(err))
	}
	in.r, in.size = bytes.NewReader(data), int64(len(data))
	return nil
}

func (in *Input) dearmor() error {
	data, err := io.ReadAll(armor.NewReader(io.NewSectionReader(in.r, 0, in.size)))
	if err != nil {
		return malformed("invalid armor: %v", err)
	}
	if in.file != nil {
		in.file.Close()
		in.file = nil
	}
	in.r, in.size = bytes.NewReader(data), int64(len(data))
	return nil
}

// Size is the size of the (de-armored) ciphertext.
func (in *Input) Size() int64 { return in.size }

// Close releases the input's file, if any.
func (in *Input) Close() error {
	if in.file != nil {
		return in.file.Close()
	}
	return nil
}

// unwrapPath drops the operation and path from an *os.PathError: messages
// already name the file.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// errUnknownFormat explains what the input was expected to look like.
var errUnknownFormat = errors.New("unrecognized format: expected an age file (binary, starting with \"age-encryption.org/v1\", or armored, starting with \"" + armorHead + "\") or a PEM file with an encrypted private key")

// Plan is a decryption whose plaintext size is known and whose key material
// is ready: Decrypt writes the plaintext into memory from a Destination.
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
func (in *Input) Prepare(ids Options) (Plan, error) {
	switch in.Format {
	case Age, AgeArmor:
		return prepareAge(in.r, in.size, ids)
	case PEM:
		if in.size > maxPEMFile {
			return nil, malformed("a PEM file of %d bytes is too large for keys and certificates", in.size)
		}
		data := make([]byte, in.size)
		if _, err := in.r.ReadAt(data, 0); err != nil && err != io.EOF {
			return nil, malformed("reading: %v", err)
		}
		return preparePEM(data, ids)
	}
	if in.size == 0 {
		return nil, malformed("the file is empty: expected an age file or a PEM file with an encrypted private key")
	}
	return nil, &Error{Kind: Malformed, Err: errUnknownFormat}
}

// DecryptTo decrypts the input into memory returned by dst.
func (in *Input) DecryptTo(ids Options, dst Destination) error {
	plan, err := in.Prepare(ids)
	if err != nil {
		return err
	}
	mem, err := dst(plan.Size())
	if err != nil {
		plan.Discard()
		return err
	}
	return plan.Decrypt(mem)
}

// ErrSize is returned by a Destination that got memory of the wrong size.
var ErrSize = fmt.Errorf("destination has the wrong size")
