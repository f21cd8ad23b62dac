package cmd

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// defaultPath is searched when PATH is unset, as by execvp(3).
const defaultPath = "/usr/local/bin:/usr/bin:/bin"

// lookPath finds name as execvp(3) and env(1) do: a name with a slash is used
// as it is, any other is searched in PATH. A file that exists but cannot be
// executed yields ExitCannotExec, a missing one ExitNotFound, with env(1)'s
// wording.
func lookPath(name string) (string, error) {
	if name == "" {
		return "", &exitError{code: ExitNotFound, err: errors.New("'': No such file or directory")}
	}
	if strings.Contains(name, "/") {
		if err := checkExecutable(name); err != nil {
			return "", execError(name, err)
		}
		return name, nil
	}
	path, ok := os.LookupEnv("PATH")
	if !ok {
		path = defaultPath
	}
	var denied error
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			dir = "."
		}
		candidate := filepath.Join(dir, name)
		err := checkExecutable(candidate)
		if err == nil {
			return candidate, nil
		}
		if errors.Is(err, unix.EACCES) && denied == nil {
			denied = err
		}
	}
	if denied != nil {
		return "", execError(name, denied)
	}
	return "", execError(name, unix.ENOENT)
}

// checkExecutable predicts whether execve(2) of path can succeed.
func checkExecutable(path string) error {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return unix.EACCES
	}
	return unix.Faccessat(unix.AT_FDCWD, path, unix.X_OK, unix.AT_EACCESS)
}

// execError reports a failure to run name with env(1)'s wording and exit
// status.
func execError(name string, err error) error {
	code := ExitCannotExec
	if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR) {
		code = ExitNotFound
	}
	var errno syscall.Errno
	msg := err.Error()
	if errors.As(err, &errno) {
		msg = errnoText(errno)
	}
	return &exitError{code: code, err: errors.New("'" + name + "': " + msg)}
}

// nullStdin puts /dev/null at standard input, for COMMAND, when secretcat
// read a FILE, an identity or a passphrase from it: whatever was there
// (a file can be read again with pread) is not COMMAND's to read.
func nullStdin() error {
	null, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err == nil {
		err = unix.Dup3(null, 0, 0)
		unix.Close(null)
	}
	if err != nil {
		return fmt.Errorf("replacing standard input, which secretcat read, with /dev/null: %w", err)
	}
	return nil
}

// errnoText capitalises an errno's text as strerror(3) does.
func errnoText(e syscall.Errno) string {
	s := e.Error()
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
