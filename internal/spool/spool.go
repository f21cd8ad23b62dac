// Package spool holds a stream (standard input, a pipe) in an ordinary
// memory file, so that decryption can read it like a regular file.
package spool

import (
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// spoolName names the memory file that holds a stream's ciphertext, as
// /proc/PID/fd shows it: /memfd:secretcat-ciphertext.
const spoolName = "secretcat-ciphertext"

// pipeSize is how much a pipe is asked to hold, and how much is moved per
// call: the largest size an unprivileged process may give a pipe by
// default (/proc/sys/fs/pipe-max-size).
const pipeSize = 1 << 20

// copyBuffer is the buffer of a copy that cannot splice.
const copyBuffer = 256 << 10

// ReadError marks a failure to read the stream, as opposed to a failure of
// the memory file.
type ReadError struct{ Err error }

// Error returns the message of the read error.
func (e ReadError) Error() string { return e.Err.Error() }

// Unwrap returns the read error.
func (e ReadError) Unwrap() error { return e.Err }

// Hold copies head and then the rest of src into a new ordinary memory
// file (memfd_create), which decryption then reads like a regular file, so
// that a stream needs no more memory than its size, and that once: the
// plaintext size is only known at its end, and secret memory is sized once.
// The ciphertext is not secret, so ordinary memory is fit for it; the file
// is close-on-exec and this process's alone. A pipe moves into it by
// splice(2), without passing through this process's memory.
func Hold(head []byte, src io.Reader) (*os.File, int64, error) {
	fd, err := unix.MemfdCreate(spoolName, unix.MFD_CLOEXEC)
	if err != nil {
		return nil, 0, fmt.Errorf("memfd_create: %w", err)
	}
	f := os.NewFile(uintptr(fd), spoolName)
	n, err := writeAll(fd, head)
	if err == nil {
		var m int64
		if sf, ok := src.(*os.File); ok {
			m, err = spliceAll(int(sf.Fd()), fd)
		} else {
			m, err = copyReader(fd, src)
		}
		n += m
	}
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, n, nil
}

// copyReader copies src to the file dst through a buffer that it fills
// before each write: an armor reader returns a line's 48 bytes at a time.
func copyReader(dst int, src io.Reader) (int64, error) {
	buf := make([]byte, copyBuffer)
	var total int64
	for {
		n, err := io.ReadFull(src, buf)
		if _, werr := writeAll(dst, buf[:n]); werr != nil {
			return total, werr
		}
		total += int64(n)
		switch err {
		case nil:
		case io.EOF, io.ErrUnexpectedEOF:
			return total, nil
		default:
			return total, ReadError{err}
		}
	}
}

// spliceAll moves everything src holds to the file dst: by splice(2) when
// src is a pipe, by read(2) and write(2) otherwise (a terminal, a socket, a
// character device).
func spliceAll(src, dst int) (int64, error) {
	var st unix.Stat_t
	if err := unix.Fstat(src, &st); err != nil {
		return 0, ReadError{err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFIFO {
		return copyAll(src, dst)
	}
	// A larger pipe: fewer and larger transfers, for the writer too. It is
	// only a hint, refused beyond the user's pipe quota.
	unix.FcntlInt(uintptr(src), unix.F_SETPIPE_SZ, pipeSize)
	var total int64
	for {
		n, err := unix.Splice(src, nil, dst, nil, pipeSize, unix.SPLICE_F_MOVE)
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN: // a non-blocking pipe
			if err := waitReadable(src); err != nil {
				return total, ReadError{err}
			}
			continue
		case err == unix.ENOMEM || err == unix.ENOSPC:
			return total, err // the memory file's
		case err != nil:
			return total, ReadError{err}
		case n == 0:
			return total, nil
		}
		total += int64(n)
	}
}

// copyAll copies src to dst through a buffer.
func copyAll(src, dst int) (int64, error) {
	buf := make([]byte, copyBuffer)
	var total int64
	for {
		n, err := unix.Read(src, buf)
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			if err := waitReadable(src); err != nil {
				return total, ReadError{err}
			}
			continue
		case err != nil:
			return total, ReadError{err}
		case n == 0:
			return total, nil
		}
		if _, err := writeAll(dst, buf[:n]); err != nil {
			return total, err
		}
		total += int64(n)
	}
}

// waitReadable waits until the non-blocking descriptor fd has something to
// read, or its end.
func waitReadable(fd int) error {
	for {
		_, err := unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}, -1)
		if err != unix.EINTR {
			return err
		}
	}
}

// writeAll writes all of p to fd.
func writeAll(fd int, p []byte) (int64, error) {
	var total int64
	for len(p) > 0 {
		n, err := unix.Write(fd, p)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return total, err
		}
		p = p[n:]
		total += int64(n)
	}
	return total, nil
}
