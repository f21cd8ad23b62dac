// Package secretfd is what a program run by secretcat needs to read its
// secrets: find the secret descriptors it was given (Lookup), or receive
// them from a secretcat open --socket (Dial), and map them (Map).
//
// A secret descriptor refers to a memfd_secret(2) file, whose pages are
// removed from the kernel's direct map and are never swapped, dumped or
// readable through /proc/PID/mem. It cannot be read(2) or reopened through
// /proc: a shared read-only mapping is the only way to its contents.
package secretfd

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/secretcat/secretcat/internal/secretmem"
)

// Environment variables set by secretcat for the program it runs.
const (
	EnvFd      = "SECRETCAT_FD"      // the first secret descriptor
	EnvFds     = "SECRETCAT_FDS"     // all secret descriptors, comma-separated
	EnvFdNames = "SECRETCAT_FDNAMES" // a name per descriptor, colon-separated
)

// EnvMemory tells a consumer which kind of memory holds its secrets:
// MemorySecret, or MemoryFallback when secretcat ran with --allow-fallback on
// a system without memfd_secret.
const EnvMemory = "SECRETCAT_MEMORY"

// Values of EnvMemory.
const (
	MemorySecret   = "secret"
	MemoryFallback = "fallback"
)

// Lookup returns the descriptor that secretcat passed under name, using the
// SECRETCAT_FDS and SECRETCAT_FDNAMES environment variables. An empty name
// means the first descriptor (SECRETCAT_FD).
func Lookup(name string) (int, error) {
	if name == "" {
		v := os.Getenv(EnvFd)
		if v == "" {
			return -1, fmt.Errorf("%s is not set: run this program under secretcat", EnvFd)
		}
		return lookupFd(EnvFd, v)
	}
	fds := strings.Split(os.Getenv(EnvFds), ",")
	names := strings.Split(os.Getenv(EnvFdNames), ":")
	for i, n := range names {
		if n == name && i < len(fds) {
			return lookupFd(EnvFds, fds[i])
		}
	}
	return -1, fmt.Errorf("no secret descriptor named %q in %s=%q", name, EnvFdNames, os.Getenv(EnvFdNames))
}

func lookupFd(env, s string) (int, error) {
	fd, err := ParseFd(s)
	if err != nil {
		return -1, fmt.Errorf("%s: %q is %w", env, s, err)
	}
	return fd, nil
}

// MaxFd is the highest descriptor number there can be: descriptors are C ints.
const MaxFd = 1<<31 - 1

// ErrNotFd is returned by ParseFd for anything but a descriptor number.
var ErrNotFd = errors.New("not a descriptor number (0 to 2147483647)")

// ParseFd parses a descriptor number: decimal digits only, at most MaxFd. It
// refuses signs, spaces and larger numbers rather than let a number wrap
// around to another descriptor where the kernel truncates it to 32 bits.
func ParseFd(s string) (int, error) {
	if s == "" || len(s) > len("2147483647") {
		return -1, ErrNotFd
	}
	fd := 0
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return -1, ErrNotFd
		}
		fd = fd*10 + int(c-'0')
	}
	if fd > MaxFd {
		return -1, ErrNotFd
	}
	return fd, nil
}

// Mapping is a read-only view of a secret file received from another process.
type Mapping struct {
	fd   int
	data []byte
}

// Map maps the secret file open at fd read-only and shared, the only way its
// contents can be read: read(2) and MAP_PRIVATE are refused by the kernel.
// It fails if fd is not a secret-memory file, unless SECRETCAT_MEMORY says
// that secretcat ran in fallback mode and fd is a sealed fallback file.
func Map(fd int) (*Mapping, error) {
	if !secretmem.IsSecret(fd) && !(os.Getenv(EnvMemory) == MemoryFallback && secretmem.IsFallback(fd)) {
		return nil, fmt.Errorf("descriptor %d is not a secret-memory file", fd)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, fmt.Errorf("descriptor %d: fstat: %w", fd, err)
	}
	m := &Mapping{fd: fd}
	if st.Size > 0 {
		data, err := secretmem.MapShared(fd, st.Size, unix.PROT_READ)
		if err != nil {
			return nil, mapError(fd, secretmem.NewError("mmap", st.Size, err))
		}
		m.data = data
	}
	return m, nil
}

// mapError words a failure to map descriptor fd for the program that
// maps it: over the locked-memory limit, it is that program's limit to
// raise.
func mapError(fd int, err *secretmem.Error) error {
	if err.Kind == secretmem.OverLimit {
		return fmt.Errorf("descriptor %d: %w: raise this program's RLIMIT_MEMLOCK ('ulimit -l' in the shell that starts it, LimitMEMLOCK= in its systemd unit)", fd, err)
	}
	return fmt.Errorf("descriptor %d: %w", fd, err)
}

// Bytes returns the contents of the secret file. The slice is valid until
// Close and must not be retained or copied to ordinary memory longer than
// needed.
func (m *Mapping) Bytes() []byte { return m.data }

// Close unmaps the file and closes its descriptor.
func (m *Mapping) Close() error {
	if m.data != nil {
		secretmem.Unmap(m.data)
		m.data = nil
	}
	return unix.Close(m.fd)
}
