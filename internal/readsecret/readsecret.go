// Package readsecret reads secrets (identity files, passphrases) from files
// and descriptors without leaving copies of them on the heap.
package readsecret

import (
	"errors"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// Open opens path for reading, close-on-exec, like os.Open but outside
// the Go runtime's poller. os.Open registers every file with epoll, which
// costs a dozen system calls on the first open (an epoll instance, an
// eventfd) and four more on each, only for epoll to refuse regular files.
// secretcat reads its files with blocking reads, which is also what the
// poller falls back to.
func Open(path string) (int, error) {
	for {
		fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != unix.EINTR {
			return fd, err
		}
	}
}

// ErrTooLong is returned by Fd and File for a source longer than its limit.
var ErrTooLong = errors.New("too long")

// Fd reads the descriptor fd to its end, for secrets such as
// identity files and passphrases. Unlike io.ReadAll, it wipes every buffer it
// outgrows, and everything read if it fails, so that no copy of the secret is
// left on the heap; the first buffer fits a regular file whole. It reads at
// most limit bytes, and fails with ErrTooLong on a longer source.
func Fd(fd int, limit int) ([]byte, error) {
	size := 4096
	var st unix.Stat_t
	if unix.Fstat(fd, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFREG && st.Size < int64(limit) {
		size = int(st.Size) + 1 // room to read the end of the file
	}
	return read(func(b []byte) (int, error) {
		for {
			n, err := unix.Read(fd, b)
			switch {
			case err == unix.EINTR:
				continue
			case err == nil && n == 0:
				return -1, nil
			}
			return n, err
		}
	}, size, limit)
}

// Reader reads r to its end as Fd reads a descriptor: directly from the
// descriptor of an *os.File, through r's Read otherwise (whose own buffers,
// if it has any, are out of reach).
func Reader(r io.Reader, limit int) ([]byte, error) {
	if f, ok := r.(*os.File); ok {
		return Fd(int(f.Fd()), limit)
	}
	return read(func(b []byte) (int, error) {
		n, err := r.Read(b)
		if err == io.EOF {
			if n == 0 {
				return -1, nil
			}
			err = nil // the next read says EOF again
		}
		return n, err
	}, 4096, limit)
}

// read reads with readFn, which returns -1 at the end, into a buffer
// of size bytes at first, doubled as needed, each outgrown one wiped.
func read(readFn func([]byte) (int, error), size, limit int) ([]byte, error) {
	buf := make([]byte, 0, size)
	for {
		if len(buf) == cap(buf) {
			grown := make([]byte, len(buf), 2*cap(buf))
			copy(grown, buf)
			clear(buf)
			buf = grown
		}
		n, err := readFn(buf[len(buf):cap(buf)])
		if err != nil {
			clear(buf)
			return nil, err
		}
		if n < 0 {
			return buf, nil
		}
		buf = buf[:len(buf)+n]
		if len(buf) > limit {
			clear(buf)
			return nil, ErrTooLong
		}
	}
}

// File reads the file at path as Fd reads a descriptor.
func File(path string, limit int) ([]byte, error) {
	fd, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	return Fd(fd, limit)
}
