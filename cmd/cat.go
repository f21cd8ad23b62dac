package cmd

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/secretcat/secretcat/secretfd"
)

type catOptions struct {
	fd     int
	name   string
	socket string
	wait   time.Duration
}

const catLong = `cat writes the contents of a secret descriptor to standard output, for
programs that can only read a file or a pipe:

    secretcat key.age -- sh -c 'secretcat cat | legacy-tool --key-stdin'

Warning: the bytes then leave secret memory. They pass through a pipe (kernel
memory in the direct map) and the reading program's ordinary memory, where
swap, core dumps and /proc/PID/mem can reach them. Prefer consumers that map
the descriptor themselves.

The descriptor is SECRETCAT_FD, or --fd N, or the one named NAME in
SECRETCAT_FDS and SECRETCAT_FDNAMES (--name), or the one received from a
"secretcat open --socket PATH" (--socket, with --name to choose among
several; it waits --wait for the socket to appear). cat refuses descriptors that are not secret memory, and exits 3
when it cannot find or read one.`

func newCatCommand() *cobra.Command {
	o := &catOptions{}
	c := &cobra.Command{
		Use:   "cat [--fd N | --name NAME] [--socket PATH]",
		Short: "Write a secret descriptor's bytes to standard output",
		Long:  catLong,
		Args:  usageArgs(cobra.NoArgs),
		RunE:  func(*cobra.Command, []string) error { return o.cat() },
	}
	f := c.Flags()
	fdVar(f, &o.fd, false, "fd", "the secret descriptor `N` (default: SECRETCAT_FD)")
	f.StringVar(&o.name, "name", "", "the secret descriptor named `NAME` in SECRETCAT_FDNAMES, or among those received with --socket")
	f.StringVar(&o.socket, "socket", "", "receive the descriptor from secretcat open --socket `PATH`")
	addWaitFlag(c, &o.wait)
	return c
}

func (o *catOptions) cat() error {
	if o.fd >= 0 && (o.name != "" || o.socket != "") {
		return usageError("--fd cannot be combined with --name or --socket")
	}
	fd, err := o.find()
	if err != nil {
		return &exitError{code: ExitInput, err: err}
	}
	m, err := secretfd.Map(fd)
	if err != nil {
		unix.Close(fd)
		return &exitError{code: ExitInput, err: err}
	}
	defer m.Close()
	_, err = os.Stdout.Write(m.Bytes())
	return err
}

// find returns the descriptor to write.
func (o *catOptions) find() (int, error) {
	switch {
	case o.fd >= 0:
		return o.fd, nil
	case o.socket == "":
		return secretfd.Lookup(o.name)
	}
	offers, err := secretfd.Dial(o.socket, o.wait)
	if err != nil {
		return -1, err
	}
	chosen := -1
	for _, of := range offers {
		if chosen < 0 && (o.name == "" || of.Name == o.name) {
			chosen = of.Fd
		} else {
			unix.Close(of.Fd)
		}
	}
	if chosen < 0 {
		return -1, fmt.Errorf("%s offered no descriptor named %q", o.socket, o.name)
	}
	return chosen, nil
}

// defaultWait is how long a consumer waits for the socket of a secretcat
// open started alongside it.
const defaultWait = 10 * time.Second

func addWaitFlag(c *cobra.Command, wait *time.Duration) {
	c.Flags().DurationVar(wait, "wait", defaultWait, "with --socket, wait up to `DURATION` for the socket to appear and listen")
}
