// Package secretmem creates and fills secret-memory files: file descriptors
// from memfd_secret(2) whose pages are removed from the kernel's direct map
// and are never swapped, dumped or readable through /proc/PID/mem.
//
// A secret file is sized once, before it is mapped (a mapped secret file cannot
// be resized), filled through a shared mapping, then handed to another program
// by fd inheritance or SCM_RIGHTS: it cannot be reopened through /proc.
package secretmem

import (
	"errors"
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// File is a secret-memory file owned by this process.
type File struct {
	fd       int
	size     int64
	mem      []byte // shared read-write mapping while the file is being filled
	fallback bool   // a sealed memfd_create file, not secret memory
}

// Create makes a secret-memory file of exactly size bytes and maps it
// read-write, ready to be filled through Bytes. The descriptor is close-on-exec
// until it is moved (MoveTo). A failed system call is an *Error; a size
// below 0 or above 1 TiB is refused before any.
func Create(size int64) (*File, error) {
	if size < 0 || size > maxSize {
		return nil, fmt.Errorf("secret file size %d out of range", size)
	}
	fd, err := unix.MemfdSecret(unix.O_CLOEXEC)
	if err != nil {
		return nil, NewError("memfd_secret", size, err)
	}
	f := &File{fd: fd, size: size}
	if err := unix.Ftruncate(fd, size); err != nil {
		f.Close()
		return nil, NewError("ftruncate", size, err)
	}
	if size > 0 {
		mem, err := MapShared(fd, size, unix.PROT_READ|unix.PROT_WRITE)
		if err != nil {
			f.Close()
			return nil, NewError("mmap", size, err)
		}
		f.mem = mem
	}
	return f, nil
}

// MapShared maps size bytes of fd, shared. unix.Mmap would also record the
// mapping in a global map, which costs an allocation and a lock.
func MapShared(fd int, size int64, prot int) ([]byte, error) {
	p, err := unix.MmapPtr(fd, 0, nil, uintptr(size), prot, unix.MAP_SHARED)
	if err != nil {
		return nil, err
	}
	return unsafe.Slice((*byte)(p), size), nil
}

// Unmap unmaps a mapping made by MapShared.
func Unmap(b []byte) error {
	return unix.MunmapPtr(unsafe.Pointer(unsafe.SliceData(b)), uintptr(len(b)))
}

// maxSize bounds a single secret file; it is far beyond any memlock limit.
const maxSize = 1 << 40

// Bytes returns the writable mapping of the file, nil once Seal was called or
// when the file is empty.
func (f *File) Bytes() []byte { return f.mem }

// Size returns the size of the file in bytes.
func (f *File) Size() int64 { return f.size }

// Fd returns the file descriptor.
func (f *File) Fd() int { return f.fd }

// Fallback reports whether the file is a CreateFallback file.
func (f *File) Fallback() bool { return f.fallback }

// Seal unmaps the file once it is filled, so that this process no longer holds
// the plaintext in its address space; the contents stay in the file. A
// fallback file is also sealed against any further change of size or
// contents.
func (f *File) Seal() error {
	if f.mem != nil {
		err := Unmap(f.mem)
		f.mem = nil
		if err != nil {
			return err
		}
	}
	if f.fallback {
		if _, err := unix.FcntlInt(uintptr(f.fd), unix.F_ADD_SEALS, fallbackSeals); err != nil {
			return fmt.Errorf("sealing the fallback memory file: %w", err)
		}
	}
	return nil
}

// Close wipes the mapping if it is still present, unmaps it and closes the
// descriptor. The kernel frees the pages once no other descriptor or mapping
// refers to them. Close is safe to call more than once.
func (f *File) Close() error {
	if f.mem != nil {
		clear(f.mem)
		Unmap(f.mem)
		f.mem = nil
	}
	if f.fd < 0 {
		return nil
	}
	err := unix.Close(f.fd)
	f.fd = -1
	return err
}

// Kind classifies why secret memory could not be used, so that callers can
// explain the cause and choose an exit status.
type Kind int

const (
	// Failed is any other failure.
	Failed Kind = iota
	// Unsupported means the kernel has no memfd_secret: older than 5.14, built
	// without CONFIG_SECRETMEM, or 5.14 to 6.4 booted without
	// secretmem.enable=1.
	Unsupported
	// Refused means a security policy (typically a container's seccomp
	// profile) denied the system call.
	Refused
	// OverLimit means the mapping does not fit in RLIMIT_MEMLOCK.
	OverLimit
)

// Error describes a failure to create or map secret memory.
type Error struct {
	Op   string // the system call that failed
	Size int64  // bytes requested
	Kind Kind
	Err  error
	// Limit is RLIMIT_MEMLOCK when the mapping failed over it (OverLimit),
	// nil when it could not be read.
	Limit *Memlock
}

// NewError classifies a failure of op (memfd_secret, ftruncate or mmap) for a
// secret file of size bytes.
func NewError(op string, size int64, err error) *Error {
	e := &Error{Op: op, Size: size, Err: err, Kind: Failed}
	switch {
	case op == "memfd_secret" && errors.Is(err, unix.ENOSYS):
		e.Kind = Unsupported
	case op == "memfd_secret" && errors.Is(err, unix.EPERM):
		e.Kind = Refused
	case op == "mmap" && (errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.ENOMEM) || errors.Is(err, unix.EPERM)):
		e.Kind = OverLimit
		if lim, err := ReadMemlock(); err == nil {
			e.Limit = &lim
		}
	}
	return e
}

// Unwrap returns the error of the system call.
func (e *Error) Unwrap() error { return e.Err }

// Error states the failure. Why secret memory is missing here, and what to
// do about it, is the diagnosis's to say (internal/diagnose), when asked.
func (e *Error) Error() string {
	switch e.Kind {
	case Unsupported:
		return fmt.Sprintf("secret memory is not available: memfd_secret: %v", e.Err)
	case Refused:
		return fmt.Sprintf("secret memory was refused: memfd_secret: %v", e.Err)
	case OverLimit:
		limit := "unknown"
		if e.Limit != nil {
			limit = FormatLimit(e.Limit.Soft)
		}
		return fmt.Sprintf("secret memory over the locked-memory limit: mapping %s needs RLIMIT_MEMLOCK of at least %s, the limit is %s",
			FormatBytes(e.Size), FormatBytes(PageRound(e.Size)), limit)
	}
	return fmt.Sprintf("secret memory: %s of %d bytes: %v", e.Op, e.Size, e.Err)
}

// IsSecret reports whether fd refers to a secret-memory file.
func IsSecret(fd int) bool {
	var st unix.Statfs_t
	return unix.Fstatfs(fd, &st) == nil && st.Type == unix.SECRETMEM_MAGIC
}

var pageSize = int64(os.Getpagesize())

// PageRound rounds n bytes up to whole pages, as mappings count them.
func PageRound(n int64) int64 { return (n + pageSize - 1) / pageSize * pageSize }

// Available checks that secret memory can be created, without mapping any:
// it fails with the same *Error that Create would.
func Available() error {
	fd, err := unix.MemfdSecret(unix.O_CLOEXEC)
	if err != nil {
		return NewError("memfd_secret", 0, err)
	}
	return unix.Close(fd)
}

// Probe creates a one-page secret file, maps it, writes to it and closes it:
// the whole path that secretcat takes, at the smallest size.
func Probe() error {
	f, err := Create(pageSize)
	if err != nil {
		return err
	}
	f.Bytes()[0] = 1
	return f.Close()
}

// New makes a File of a secret or fallback file open at fd, of size bytes,
// that another process filled and sealed: it is not mapped here.
func New(fd int, size int64, fallback bool) *File {
	return &File{fd: fd, size: size, fallback: fallback}
}

// MoveTo moves the file to descriptor target, replacing what is open there,
// without close-on-exec: the file survives execve.
func (f *File) MoveTo(target int) error {
	if err := unix.Dup3(f.fd, target, 0); err != nil {
		return err
	}
	unix.Close(f.fd)
	f.fd = target
	return nil
}
