package cmd

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// socketListener is the unix socket of open --socket, at path.
type socketListener struct {
	*net.UnixListener
	path     string
	dev, ino uint64
}

// listen makes a unix socket at path, readable and writable by this user
// only, that listens before the path appears: a consumer that finds the path
// can connect at once. A socket that nobody listens on (left by a secretcat
// that was killed) is replaced; a live one never is.
func listen(path string) (*socketListener, error) {
	stale, err := checkSocketPath(path)
	if err != nil {
		return nil, err
	}
	// Bind and listen under a temporary name in the same directory, then
	// link the socket to path: link(2), unlike rename(2), never replaces
	// what another process created there meanwhile.
	tmp := filepath.Join(filepath.Dir(path), fmt.Sprintf(".secretcat-%d-%08x", os.Getpid(), rand.Uint32()))
	old := unix.Umask(0o177)
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: tmp, Net: "unix"})
	unix.Umask(old)
	if err != nil {
		return nil, &exitError{code: ExitFailure, err: fmt.Errorf("--socket %s: %w", path, err)}
	}
	l.SetUnlinkOnClose(false)
	defer unix.Unlink(tmp)
	if stale {
		if err := unix.Unlink(path); err != nil && !errors.Is(err, unix.ENOENT) {
			l.Close()
			return nil, &exitError{code: ExitFailure, err: fmt.Errorf("--socket %s: removing the stale socket: %w", path, err)}
		}
		warnf("--socket %s: replaced a stale socket that nobody listened on", path)
	}
	if err := unix.Link(tmp, path); err != nil {
		l.Close()
		if errors.Is(err, unix.EEXIST) {
			return nil, usageError("--socket %s: the path exists; remove it or choose another", path)
		}
		return nil, &exitError{code: ExitFailure, err: fmt.Errorf("--socket %s: %w", path, err)}
	}
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		l.Close()
		return nil, &exitError{code: ExitFailure, err: fmt.Errorf("--socket %s: %w", path, err)}
	}
	return &socketListener{UnixListener: l, path: path, dev: st.Dev, ino: st.Ino}, nil
}

// checkSocketPath reports whether path holds a stale socket, and refuses
// any other file that exists there.
func checkSocketPath(path string) (stale bool, err error) {
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); errors.Is(err, unix.ENOENT) {
		return false, nil
	} else if err != nil {
		return false, &exitError{code: ExitFailure, err: fmt.Errorf("--socket %s: %w", path, err)}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFSOCK {
		return false, usageError("--socket %s: the path exists and is not a socket; remove it or choose another", path)
	}
	conn, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: path, Net: "unix"})
	switch {
	case err == nil:
		conn.Close()
		return false, usageError("--socket %s: the path exists and someone listens on it (another secretcat open?); choose another", path)
	case errors.Is(err, unix.ECONNREFUSED):
		return true, nil
	}
	return false, usageError("--socket %s: the path exists and cannot be checked (%v); remove it or choose another", path, err)
}

// Close removes path, unless it is no longer this socket, and stops
// listening.
func (l *socketListener) Close() error {
	var st unix.Stat_t
	if unix.Lstat(l.path, &st) == nil && st.Dev == l.dev && st.Ino == l.ino {
		unix.Unlink(l.path)
	}
	return l.UnixListener.Close()
}
