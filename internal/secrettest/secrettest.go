// Package secrettest decides, for tests, whether they may do without secret
// memory: only where it is truly unavailable (memfd_secret answers ENOSYS
// or EPERM, as under qemu-user, gVisor or an old kernel), and never on amd64
// CI, whose machines have it: a skip there would hide a regression.
package secrettest

import (
	"errors"
	"fmt"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/secretcat/secretcat/internal/secretmem"
	"github.com/secretcat/secretcat/internal/testenv"
)

// Unavailable returns why secret memory is unavailable here, "" when it
// works. Where it must work, or fails in an unexpected way, it returns an
// error instead.
func Unavailable() (string, error) {
	fd, err := unix.MemfdSecret(unix.O_CLOEXEC)
	if err == nil {
		unix.Close(fd)
	}
	return decide(err, runtime.GOARCH, testenv.CI())
}

// decide is Unavailable for the outcome err of memfd_secret, on goarch,
// in CI or not.
func decide(err error, goarch string, ci bool) (string, error) {
	switch {
	case err == nil:
		return "", nil
	case ci && goarch == "amd64":
		return "", fmt.Errorf("memfd_secret: %v on amd64 CI, where secret memory must work: no test may do without it here", err)
	case errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EPERM):
		return fmt.Sprintf("secret memory is not available on this %s system (memfd_secret: %v; 'secretcat doctor' says why)", goarch, err), nil
	}
	return "", fmt.Errorf("memfd_secret: %v", err)
}

// Need skips t, saying why, where secret memory is truly unavailable, and
// fails it where secret memory must work but does not.
func Need(t testing.TB) {
	t.Helper()
	why, err := Unavailable()
	if err != nil {
		t.Fatal(err)
	}
	if why != "" {
		t.Skip(why)
	}
}

// Create makes a file for a test to decrypt into: secret memory, as
// secretcat uses, or fallback memory where secret memory is truly
// unavailable (see Unavailable), where parsing and decryption behave alike.
func Create(size int64) (*secretmem.File, error) {
	why, err := Unavailable()
	switch {
	case err != nil:
		return nil, err
	case why != "":
		return secretmem.CreateFallback(size)
	}
	return secretmem.Create(size)
}
