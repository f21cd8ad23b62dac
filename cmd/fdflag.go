package cmd

import (
	"fmt"
	"strconv"

	"github.com/spf13/pflag"

	"github.com/secretcat/secretcat/secretfd"
)

// fdFlag is a flag holding a descriptor number, -1 until it is given. It
// range-checks what it is given, so that no number wraps around to another
// descriptor, and says what went wrong without strconv's wording.
type fdFlag struct {
	fd      *int
	noStdio bool // refuse 0, 1 and 2
}

// fdVar defines a descriptor flag with no default: *fd is -1 until it is
// given. With noStdio it refuses standard input, output and error.
func fdVar(f *pflag.FlagSet, fd *int, noStdio bool, name, usage string) {
	*fd = -1
	f.Var(fdFlag{fd, noStdio}, name, usage)
}

func (f fdFlag) Set(s string) error {
	n, err := secretfd.ParseFd(s)
	switch {
	case err != nil && f.noStdio:
		return fmt.Errorf("not a descriptor number (3 to %d)", secretfd.MaxFd)
	case err != nil:
		return err
	case n < 3 && f.noStdio:
		return fmt.Errorf("descriptor %d is standard %s: use 3 or more", n, [...]string{"input", "output", "error"}[n])
	}
	*f.fd = n
	return nil
}

// String is empty while the flag is not given, so that help shows no
// default.
func (f fdFlag) String() string {
	if f.fd == nil || *f.fd < 0 {
		return ""
	}
	return strconv.Itoa(*f.fd)
}

func (f fdFlag) Type() string { return "int" }
