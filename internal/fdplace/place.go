// Package fdplace puts secret files at the descriptor numbers a program
// expects to find them at: it lists the descriptors open in this process
// (Scan), claims the numbers early (Reserve) and moves the files there
// (Place), and takes over files received from another process (Adopt).
package fdplace

import (
	"fmt"
	"os"
	"slices"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/secretcat/secretcat/internal/secretmem"
	"github.com/secretcat/secretcat/secretfd"
)

// Descriptors are the descriptors open in this process, as Scan found them.
//
// A program's descriptors are numbered from the lowest free one, and the Go
// runtime opens its own (the netpoller's epoll and eventfd) on first use, so
// the numbers a child is to find its secret files at must be claimed before
// anything else in the process opens a file. The descriptors secretcat
// inherited belong to its caller and go on to the child: they are never
// replaced.
type Descriptors struct {
	// Inherited are the descriptors open without close-on-exec: the ones
	// this process inherited through execve, if Scan runs before it opens
	// any of its own (it opens all of its own close-on-exec). Sorted.
	Inherited []int
	own       []int // close-on-exec: this process's own, the runtime's
	// Limit is the soft RLIMIT_NOFILE: new descriptors are below it.
	Limit int
}

// Scan lists the descriptors open in this process, from /proc/self/fd, or,
// without /proc, by trying every number below the descriptor limit.
func Scan() (*Descriptors, error) {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
		return nil, fmt.Errorf("reading RLIMIT_NOFILE: %w", err)
	}
	d := &Descriptors{Limit: int(min(rl.Cur, secretfd.MaxFd))}
	fds, err := listFds()
	if err != nil {
		fds = nil
		for fd := 0; fd < d.Limit; fd++ {
			fds = append(fds, fd)
		}
	}
	for _, fd := range fds {
		flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
		switch {
		case err != nil:
		case flags&unix.FD_CLOEXEC == 0:
			d.Inherited = append(d.Inherited, fd)
		default:
			d.own = append(d.own, fd)
		}
	}
	slices.Sort(d.Inherited)
	slices.Sort(d.own)
	return d, nil
}

// listFds lists the numbers in /proc/self/fd, but for the directory's own.
func listFds() ([]int, error) {
	dir, err := unix.Open("/proc/self/fd", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(dir)
	var fds []int
	var names []string
	buf := make([]byte, 4096)
	for {
		n, err := unix.Getdents(dir, buf)
		if err != nil {
			return nil, err
		}
		if n <= 0 {
			return fds, nil
		}
		_, _, names = unix.ParseDirent(buf[:n], -1, names[:0])
		for _, name := range names {
			if fd, err := secretfd.ParseFd(name); err == nil && fd != dir {
				fds = append(fds, fd)
			}
		}
	}
}

// Consumed marks inherited descriptors that this process reads and closes
// itself, such as a passphrase's: they do not reach the child, but they are
// in use until then.
func (d *Descriptors) Consumed(fds ...int) {
	for _, fd := range fds {
		if i := slices.Index(d.Inherited, fd); i >= 0 {
			d.Inherited = slices.Delete(d.Inherited, i, i+1)
			d.own = append(d.own, fd)
		}
	}
	slices.Sort(d.own)
}

// Free returns the count lowest numbers, at least min, that are free:
// neither inherited nor this process's own. Descriptors in between or above
// do not move them up, so that a configuration that names /dev/fd/3 finds
// the first secret file there whenever 3 is free, whatever else a shell or
// job runner leaked into the process.
func (d *Descriptors) Free(min, count int) []int {
	var fds []int
	for fd := min; len(fds) < count; fd++ {
		if !slices.Contains(d.Inherited, fd) && !slices.Contains(d.own, fd) {
			fds = append(fds, fd)
		}
	}
	return fds
}

// Run returns count consecutive numbers from first.
func Run(first, count int) []int {
	fds := make([]int, count)
	for i := range fds {
		fds[i] = first + i
	}
	return fds
}

// InUseError reports a descriptor number that is taken already.
type InUseError struct {
	Fd        int
	Inherited bool   // inherited rather than opened by this process
	Link      string // what it refers to, as /proc/self/fd shows it
}

// Error says which descriptor is taken, and by whom.
func (e *InUseError) Error() string {
	if !e.Inherited {
		return fmt.Sprintf("descriptor %d is in use by secretcat itself", e.Fd)
	}
	if e.Link == "" {
		return fmt.Sprintf("descriptor %d is inherited, and secretcat does not replace a descriptor it inherited", e.Fd)
	}
	return fmt.Sprintf("descriptor %d is inherited (%s), and secretcat does not replace a descriptor it inherited", e.Fd, e.Link)
}

// NoFileError reports secret files whose descriptors do not fit under the
// descriptor limit. It matches unix.EMFILE.
type NoFileError struct {
	First, Last int // the descriptors needed
	Limit       int // the soft RLIMIT_NOFILE
}

// Error names the descriptors needed.
func (e *NoFileError) Error() string {
	if e.First == e.Last {
		return fmt.Sprintf("the secret file needs descriptor %d", e.First)
	}
	return fmt.Sprintf("the secret files need descriptors %d to %d", e.First, e.Last)
}

// Unwrap returns unix.EMFILE.
func (e *NoFileError) Unwrap() error { return unix.EMFILE }

// Slots are descriptor numbers held for secret files until they are placed.
type Slots struct {
	fds []int
}

// Reserve claims the descriptor numbers fds, in increasing order, with a
// close-on-exec placeholder in each, which Place replaces with a secret
// file. It refuses numbers that are open already (*InUseError) and numbers
// at or above the descriptor limit (*NoFileError).
func (d *Descriptors) Reserve(fds []int) (*Slots, error) {
	first, last := fds[0], fds[len(fds)-1]
	if last >= d.Limit {
		return nil, &NoFileError{First: first, Last: last, Limit: d.Limit}
	}
	for _, fd := range fds {
		switch {
		case slices.Contains(d.Inherited, fd):
			return nil, &InUseError{Fd: fd, Inherited: true, Link: Link(fd)}
		case isOpen(fd): // this process's own, opened before or after Scan
			// After running out of descriptors the runtime may leave one
			// open: then the limit is the trouble, not this number.
			probe, err := unix.Eventfd(0, unix.EFD_CLOEXEC)
			if err != nil {
				return nil, &NoFileError{First: first, Last: last, Limit: d.Limit}
			}
			unix.Close(probe)
			return nil, &InUseError{Fd: fd}
		}
	}
	placeholder := -1
	defer func() {
		if placeholder >= 0 && !slices.Contains(fds, placeholder) {
			unix.Close(placeholder)
		}
	}()
	s := &Slots{}
	for _, fd := range fds {
		if placeholder < 0 {
			// An eventfd: the cheapest descriptor to make, with no path
			// to look up.
			var err error
			if placeholder, err = unix.Eventfd(0, unix.EFD_CLOEXEC); err != nil {
				s.Release()
				return nil, fmt.Errorf("reserving descriptor %d: %w", fd, err)
			}
		}
		if placeholder != fd {
			if err := unix.Dup3(placeholder, fd, unix.O_CLOEXEC); err != nil {
				s.Release()
				return nil, fmt.Errorf("reserving descriptor %d: %w", fd, err)
			}
		}
		s.fds = append(s.fds, fd)
	}
	return s, nil
}

func isOpen(fd int) bool {
	_, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	return err == nil
}

// Place moves files[i] to the i-th reserved number and clears close-on-exec,
// so that the files, and no other descriptor this process opened, survive
// execve. The files must be sealed.
func (s *Slots) Place(files []*secretmem.File) error {
	if len(files) != len(s.fds) {
		return fmt.Errorf("placing %d secret files in %d descriptors", len(files), len(s.fds))
	}
	for i, f := range files {
		if err := f.MoveTo(s.fds[i]); err != nil {
			return fmt.Errorf("moving secret file to descriptor %d: %w", s.fds[i], err)
		}
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

// NotSecretError reports a received descriptor that is not secret memory.
type NotSecretError struct {
	N, Of  int  // the descriptor's place among those received, from 1
	Sealed bool // ordinary sealed memory, as CreateFallback makes
}

// Error says which descriptor, and what it is.
func (e *NotSecretError) Error() string {
	if e.Sealed {
		return fmt.Sprintf("descriptor %d of %d is ordinary sealed memory, not secret memory", e.N, e.Of)
	}
	return fmt.Sprintf("descriptor %d of %d is not secret memory", e.N, e.Of)
}

// Adopt takes over descriptors received from another process (see
// secretfd.Dial) as sealed Files, ready for Place. Each must be secret
// memory or, if fallback is set, a sealed fallback memory file (see
// secretmem.CreateFallback); size is what fstat says. Adopt moves them, close-on-exec, above every descriptor open
// in this process and, where the descriptor limit allows, to keep or above,
// so that the numbers below stay free for Reserve. On failure it closes
// every one of fds.
func Adopt(fds []int, fallback bool, keep int) (files []*secretmem.File, err error) {
	defer func() {
		if err != nil {
			for _, fd := range fds {
				unix.Close(fd)
			}
			for _, f := range files {
				f.Close()
			}
			files = nil
		}
	}()
	above := 0
	open, err := listFds()
	if err != nil {
		return nil, fmt.Errorf("listing open descriptors: %w", err)
	}
	for _, fd := range open {
		above = max(above, fd+1)
	}
	for i, fd := range fds {
		var st unix.Stat_t
		isSecret, sealed := secretmem.IsSecret(fd), secretmem.IsFallback(fd)
		isFallback := !isSecret && fallback && sealed
		if !isSecret && !isFallback {
			return nil, &NotSecretError{N: i + 1, Of: len(fds), Sealed: sealed}
		}
		if err := unix.Fstat(fd, &st); err != nil {
			return nil, fmt.Errorf("descriptor %d of %d: fstat: %w", i+1, len(fds), err)
		}
		moved, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, max(above, keep))
		if err != nil && keep > above { // keep is beyond the limit
			keep = 0
			moved, err = unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, above)
		}
		if err != nil {
			return nil, fmt.Errorf("moving descriptor %d of %d: %w", i+1, len(fds), err)
		}
		unix.Close(fd)
		fds[i] = -1
		above = moved + 1
		files = append(files, secretmem.New(moved, st.Size, isFallback))
	}
	return files, nil
}

// Link is what /proc/self/fd names descriptor fd after (a path, or
// "socket:[N]", "pipe:[N]"), or "" when it cannot be read.
func Link(fd int) string {
	link, _ := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
	return link
}
