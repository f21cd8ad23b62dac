package cmd

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/secretcat/secretcat/crypt"
	"github.com/secretcat/secretcat/internal/secretmem"
)

// Exit statuses of secretcat itself. When it runs a command, the command
// replaces secretcat and its status is the command's own.
const (
	ExitFailure     = 1   // any other failure
	ExitUsage       = 2   // invalid command line, or no usable passphrase source
	ExitInput       = 3   // an input, identity or passphrase file cannot be read or is malformed
	ExitDecrypt     = 4   // decryption failed: no matching identity, wrong passphrase, tampered or truncated data
	ExitUnavailable = 5   // secret memory is not available on this system
	ExitMemlock     = 6   // secret memory exceeds RLIMIT_MEMLOCK
	ExitPreload     = 7   // --preload: the preload library is missing or unusable
	ExitCannotExec  = 126 // COMMAND was found but could not be executed
	ExitNotFound    = 127 // COMMAND was not found
)

// exitError is an error with the exit status it calls for.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageError(format string, args ...any) error {
	return &exitError{code: ExitUsage, err: fmt.Errorf(format, args...)}
}

// usageArgs makes the errors of a cobra argument check usage errors.
func usageArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if err := check(c, args); err != nil {
			return usageError("%v (see '%s --help')", err, c.CommandPath())
		}
		return nil
	}
}

// descriptorHint explains running out of descriptors: secretcat's own limit
// (EMFILE) or the system's (ENFILE), rather than anything about the file
// that was being opened.
func descriptorHint(err error) string {
	switch {
	case errors.Is(err, unix.EMFILE):
		limit := "unknown"
		var rl unix.Rlimit
		if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err == nil {
			limit = strconv.FormatUint(rl.Cur, 10)
		}
		return fmt.Sprintf(" (secretcat ran out of descriptors: the limit is %s; raise it with 'ulimit -n' or LimitNOFILE= in a systemd unit)", limit)
	case errors.Is(err, unix.ENFILE):
		return " (the system ran out of open files: see fs.file-max in sysctl(8))"
	}
	return ""
}

// exitCode chooses the exit status for err.
func exitCode(err error) int {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	if errors.Is(err, unix.EMFILE) || errors.Is(err, unix.ENFILE) {
		return ExitFailure // not the file's fault, nor the kernel's lack
	}
	var se *secretmem.Error
	if errors.As(err, &se) {
		switch se.Kind {
		case secretmem.OverLimit:
			return ExitMemlock
		case secretmem.Unsupported, secretmem.Refused:
			return ExitUnavailable
		}
		return ExitFailure
	}
	var le *secretmem.LimitError
	if errors.As(err, &le) {
		return ExitMemlock
	}
	switch crypt.KindOf(err) {
	case crypt.Malformed:
		return ExitInput
	case crypt.Undecryptable:
		return ExitDecrypt
	case crypt.NoKey:
		return ExitUsage
	}
	return ExitFailure
}
