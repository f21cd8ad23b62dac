package secretmem

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// fallbackSeals make a filled fallback file immutable.
const fallbackSeals = unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE | unix.F_SEAL_SEAL

// CreateFallback makes an ordinary, sealable memory file (memfd_create(2)) of
// exactly size bytes, for systems without secret memory. It is much weaker:
// its pages stay in the kernel's direct map, can be swapped, and are readable
// by root and by same-user processes that can ptrace the holder. Seal makes
// it immutable once filled.
func CreateFallback(size int64) (*File, error) {
	flags := unix.MFD_CLOEXEC | unix.MFD_ALLOW_SEALING
	fd, err := unix.MemfdCreate("secretcat", flags|unix.MFD_NOEXEC_SEAL)
	if err != nil { // MFD_NOEXEC_SEAL needs Linux 6.3
		fd, err = unix.MemfdCreate("secretcat", flags)
	}
	if err != nil {
		return nil, fmt.Errorf("memfd_create: %w", err)
	}
	f := &File{fd: fd, size: size, fallback: true}
	if err := unix.Ftruncate(fd, size); err != nil {
		f.Close()
		return nil, fmt.Errorf("ftruncate: %w", err)
	}
	if size > 0 {
		mem, err := MapShared(fd, size, unix.PROT_READ|unix.PROT_WRITE)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("mmap: %w", err)
		}
		f.mem = mem
	}
	return f, nil
}

// IsFallback reports whether fd is a fully sealed memory file as made by
// CreateFallback and Seal.
func IsFallback(fd int) bool {
	seals, err := unix.FcntlInt(uintptr(fd), unix.F_GET_SEALS, 0)
	return err == nil && seals&fallbackSeals == fallbackSeals
}
