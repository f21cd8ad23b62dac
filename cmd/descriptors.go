package cmd

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/secretcat/secretcat/internal/fdplace"
	"github.com/secretcat/secretcat/secretfd"
)

// reserve claims the descriptor numbers of count secret files and sets
// o.fds to them: consecutive from --fd's, or with --listen-fds from the one
// right after the sockets of a socket activator, or else the lowest free
// ones from 3, whatever is open in between or above them. Inherited descriptors belong to COMMAND too
// and are never replaced; a --passphrase-fd is read and closed, but in use
// until then. When 3 is taken and reserve chose the number, o.fd3 says by
// what. It must run before secretcat opens any descriptor of its own.
func (o *runOptions) reserve(count int) (*fdplace.Slots, error) {
	fds, err := fdplace.Scan()
	if err != nil {
		return nil, err
	}
	for _, s := range o.passphrase.sources {
		if s.fd > 0 { // closed before COMMAND runs
			fds.Consumed(s.fd)
		}
	}
	explicit := o.fd >= 0
	flag := "--fd " + strconv.Itoa(o.fd)
	if o.listenFds {
		if o.sockets, err = inheritedSockets(); err != nil {
			return nil, err
		}
		first := 3 + len(o.sockets)
		if explicit && o.fd != first {
			after := ""
			if len(o.sockets) > 0 {
				after = fmt.Sprintf(", after the %d sockets inherited with LISTEN_FDS", len(o.sockets))
			}
			return nil, usageError("--listen-fds places the secret files at %d%s, as sd_listen_fds(3) expects: leave out --fd %d", first, after, o.fd)
		}
		o.fd, explicit, flag = first, true, "--listen-fds"
	}
	if explicit {
		o.fds = fdplace.Run(o.fd, count)
	} else {
		o.fds = fds.Free(3, count)
		if o.fds[0] != 3 {
			o.fd3 = o.holder(fds, 3)
		}
	}
	slots, err := fds.Reserve(o.fds)
	var inUse *fdplace.InUseError
	var noFile *fdplace.NoFileError
	switch {
	case err == nil || !explicit:
		return slots, err
	case errors.As(err, &inUse) && inUse.Inherited:
		return nil, usageError("%s: %v: choose another --fd, or leave --fd out for the lowest free one (%d)", flag, err, fds.Free(3, 1)[0])
	case errors.As(err, &inUse):
		return nil, usageError("%s: %v: choose another --fd", flag, err)
	case errors.As(err, &noFile) && o.fd+count > noFile.Limit:
		return nil, usageError("%s: %v, but descriptors stop below the limit of %d (ulimit -n): choose a lower --fd or raise the limit", flag, err, noFile.Limit)
	}
	return nil, err
}

// holder says what holds descriptor fd, which Scan found open.
func (o *runOptions) holder(fds *fdplace.Descriptors, fd int) string {
	for _, s := range o.passphrase.sources {
		if s.fd == fd {
			return fmt.Sprintf("--passphrase-fd %d", fd)
		}
	}
	what := "in use"
	if slices.Contains(fds.Inherited, fd) {
		what = "inherited"
	}
	if link := fdplace.Link(fd); link != "" {
		what += " (" + link + ")"
	}
	return what
}

// fd3Note tells a user of --preload, whose program's configuration likely
// names /dev/fd/3, that the secret files are elsewhere because descriptor 3
// is held (o.fd3 says by what), before the program fails to decode what it
// finds there.
func (o *runOptions) fd3Note(count int) string {
	at := fmt.Sprintf("the secret file is at %d", o.fds[0])
	if count > 1 {
		at = fmt.Sprintf("the secret files are at %s", strings.Join(fdList(o.fds), ", "))
	}
	return fmt.Sprintf("descriptor 3 is %s, so %s: a configuration that names /dev/fd/3 will not find it; start secretcat with descriptor 3 free (3<&- in a shell), or name %s", o.fd3, at, fdPath(o.fds[0]))
}

// inheritedSockets returns the names of the sockets that a socket activator
// (systemd, systemd-socket-activate) passed to secretcat: LISTEN_FDS
// descriptors from 3, named by LISTEN_FDNAMES ("unknown" when it is unset,
// as sd_listen_fds_with_names(3) says), when LISTEN_PID is secretcat's PID.
// COMMAND keeps that PID, so they are its sockets too.
func inheritedSockets() ([]string, error) {
	if os.Getenv("LISTEN_PID") != strconv.Itoa(os.Getpid()) {
		return nil, nil
	}
	v := os.Getenv("LISTEN_FDS")
	n, err := secretfd.ParseFd(v)
	if err != nil || n > secretfd.MaxFd-3 {
		return nil, usageError("inherited LISTEN_FDS=%q is not a number of descriptors", v)
	}
	if n == 0 {
		return nil, nil
	}
	names, ok := os.LookupEnv("LISTEN_FDNAMES")
	if !ok {
		return strings.Split(strings.Repeat("unknown:", n-1)+"unknown", ":"), nil
	}
	if split := strings.Split(names, ":"); len(split) == n {
		return split, nil
	}
	return nil, usageError("inherited LISTEN_FDNAMES=%q does not name the %d descriptors of LISTEN_FDS", names, n)
}

// fdList returns the descriptor numbers fds as decimal strings.
func fdList(fds []int) []string {
	s := make([]string, len(fds))
	for i, fd := range fds {
		s[i] = strconv.Itoa(fd)
	}
	return s
}
