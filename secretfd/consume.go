package secretfd

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Environment variables set by secretcat for the program it runs.
const (
	EnvFd      = "SECRETCAT_FD"      // the first secret descriptor
	EnvFds     = "SECRETCAT_FDS"     // all secret descriptors, comma-separated
	EnvFdNames = "SECRETCAT_FDNAMES" // a name per descriptor, colon-separated
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
		return parseFd(v)
	}
	fds := strings.Split(os.Getenv(EnvFds), ",")
	names := strings.Split(os.Getenv(EnvFdNames), ":")
	for i, n := range names {
		if n == name && i < len(fds) {
			return parseFd(fds[i])
		}
	}
	return -1, fmt.Errorf("no secret descriptor named %q in %s=%q", name, EnvFdNames, os.Getenv(EnvFdNames))
}

func parseFd(s string) (int, error) {
	fd, err := strconv.Atoi(s)
	if err != nil || fd < 0 {
		return -1, fmt.Errorf("invalid descriptor number %q", s)
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
	if !IsSecret(fd) && !(os.Getenv(EnvMemory) == MemoryFallback && IsFallback(fd)) {
		return nil, fmt.Errorf("descriptor %d is not a secret-memory file", fd)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, fmt.Errorf("descriptor %d: fstat: %w", fd, err)
	}
	m := &Mapping{fd: fd}
	if st.Size > 0 {
		data, err := mapShared(fd, st.Size, unix.PROT_READ)
		if err != nil {
			return nil, NewError("mmap", st.Size, err)
		}
		m.data = data
	}
	return m, nil
}

// Bytes returns the contents of the secret file. The slice is valid until
// Close and must not be retained or copied to ordinary memory longer than
// needed.
func (m *Mapping) Bytes() []byte { return m.data }

// Close unmaps the file and closes its descriptor.
func (m *Mapping) Close() error {
	if m.data != nil {
		unmap(m.data)
		m.data = nil
	}
	return unix.Close(m.fd)
}
