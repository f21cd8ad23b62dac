package secretfd

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// Slots are descriptor numbers held for secret files until they are placed.
//
// A program's descriptors are numbered from the lowest free one, and the Go
// runtime opens its own (the netpoller's epoll and eventfd) on first use, so
// the numbers a child expects (3, 4, ...) must be claimed before anything else
// in the process opens a file. Reserve holds each free target number with a
// close-on-exec placeholder; Place later replaces the placeholders, and only
// them, with the secret files.
type Slots struct {
	fds []int
}

// Reserve claims the descriptor numbers fds. It must run before this process
// opens any file. A number that is already open and close-on-exec belongs to
// this process and cannot be used; one that is open without close-on-exec was
// inherited and will be replaced by Place.
func Reserve(fds []int) (*Slots, error) {
	placeholder := -1
	defer func() {
		if placeholder >= 0 && !contains(fds, placeholder) {
			unix.Close(placeholder)
		}
	}()
	for _, fd := range fds {
		flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
		switch {
		case errors.Is(err, unix.EBADF):
			if placeholder < 0 {
				// An eventfd: the cheapest descriptor to make, with no
				// path to look up.
				if placeholder, err = unix.Eventfd(0, unix.EFD_CLOEXEC); err != nil {
					return nil, fmt.Errorf("reserving descriptor %d: %w", fd, err)
				}
				if placeholder == fd {
					continue
				}
			}
			if err := unix.Dup3(placeholder, fd, unix.O_CLOEXEC); err != nil {
				return nil, fmt.Errorf("cannot use descriptor %d: %w (check 'ulimit -n')", fd, err)
			}
		case err != nil:
			return nil, fmt.Errorf("cannot use descriptor %d: %w", fd, err)
		case flags&unix.FD_CLOEXEC != 0 && fd != placeholder:
			return nil, fmt.Errorf("descriptor %d is in use by secretcat itself: choose another first descriptor with --fd", fd)
		}
	}
	return &Slots{fds: fds}, nil
}

func contains(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// Fds returns the reserved descriptor numbers.
func (s *Slots) Fds() []int { return s.fds }

// Place moves files[i] to the i-th reserved number and clears close-on-exec,
// so that the files, and no other descriptor this process opened, survive
// execve. The files must be sealed.
func (s *Slots) Place(files []*File) error {
	if len(files) != len(s.fds) {
		return fmt.Errorf("placing %d secret files in %d descriptors", len(files), len(s.fds))
	}
	for i, f := range files {
		target := s.fds[i]
		if err := unix.Dup3(f.fd, target, 0); err != nil {
			return fmt.Errorf("moving secret file to descriptor %d: %w", target, err)
		}
		unix.Close(f.fd)
		f.fd = target
	}
	return nil
}

// Release closes the placeholders that were not replaced.
func (s *Slots) Release() {
	for _, fd := range s.fds {
		if flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err == nil && flags&unix.FD_CLOEXEC != 0 {
			unix.Close(fd)
		}
	}
}
