package cmd

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/secretcat/secretcat/crypt"
	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"
	"golang.org/x/term"
)

// passphraseOptions say where passphrases come from: a file, a descriptor, or
// else the terminal. Never the command line or the environment.
type passphraseOptions struct {
	file  string
	fd    int
	saved []byte // the passphrase from file or fd, read once
}

// maxPassphrase bounds what is read from a passphrase file or descriptor.
const maxPassphrase = 64 << 10

func (p *passphraseOptions) addFlags(c *cobra.Command) {
	c.Flags().StringVar(&p.file, "passphrase-file", "", "read the passphrase from the first line of `PATH`, for passphrase-encrypted files, identity files and SSH keys")
	c.Flags().IntVar(&p.fd, "passphrase-fd", -1, "read the passphrase from the first line of descriptor `N` (read once, then closed)")
}

// check rejects contradictory passphrase flags.
func (p *passphraseOptions) check() error {
	if p.file != "" && p.fd >= 0 {
		return usageError("--passphrase-file and --passphrase-fd are mutually exclusive")
	}
	return nil
}

// read returns a passphrase that the caller must wipe. It prompts on the
// terminal only when neither --passphrase-file nor --passphrase-fd is given.
func (p *passphraseOptions) read(prompt string) ([]byte, error) {
	if p.file == "" && p.fd < 0 {
		return promptTerminal(prompt)
	}
	if p.saved == nil {
		data, err := p.readSource()
		if err != nil {
			return nil, err
		}
		line, _, _ := bytes.Cut(data, []byte("\n"))
		p.saved = bytes.Clone(bytes.TrimSuffix(line, []byte("\r")))
		clear(data)
	}
	return bytes.Clone(p.saved), nil
}

// source returns the passphrase callback for the encrypted file name.
func (p *passphraseOptions) source(name string) func() ([]byte, error) {
	return func() ([]byte, error) { return p.read(fmt.Sprintf("Enter passphrase for %s: ", name)) }
}

// wipe erases the saved passphrase.
func (p *passphraseOptions) wipe() {
	clear(p.saved)
	p.saved = nil
}

func (p *passphraseOptions) readSource() ([]byte, error) {
	fd, what := p.fd, fmt.Sprintf("descriptor %d", p.fd)
	if p.file != "" {
		var err error
		if fd, err = unix.Open(p.file, unix.O_RDONLY|unix.O_CLOEXEC, 0); err != nil {
			return nil, fmt.Errorf("passphrase file %s: %w", p.file, err)
		}
		what = "passphrase file " + p.file
	}
	defer unix.Close(fd)
	buf, err := crypt.ReadSecret(fd, maxPassphrase)
	if errors.Is(err, crypt.ErrTooLong) {
		return nil, fmt.Errorf("%s is longer than %d bytes: not a passphrase", what, maxPassphrase)
	}
	if err != nil {
		return nil, fmt.Errorf("reading the passphrase from %s: %w", what, err)
	}
	return buf, nil
}

// errNoTerminal is returned when a passphrase is needed, none was supplied,
// and there is no terminal to ask on.
var errNoTerminal = errors.New("no terminal to ask for the passphrase on (/dev/tty): use --passphrase-file or --passphrase-fd")

// promptTerminal asks on /dev/tty with echo off. A signal during the prompt
// restores the terminal before secretcat exits, so echo is never left off.
func promptTerminal(prompt string) ([]byte, error) {
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return nil, errNoTerminal
	}
	defer tty.Close()
	fd := int(tty.Fd())
	state, err := term.GetState(fd)
	if err != nil {
		return nil, errNoTerminal
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT)
	done := make(chan struct{})
	defer func() {
		signal.Stop(sigs)
		close(done)
	}()
	go func() {
		select {
		case s := <-sigs:
			term.Restore(fd, state)
			tty.WriteString("\n")
			os.Exit(128 + int(s.(syscall.Signal)))
		case <-done:
		}
	}()
	// Echo goes off before the prompt shows, so that nothing typed ahead of
	// it is echoed either; the line is then read in canonical mode. Only
	// the signal handler and the deferred Restore change the terminal after
	// this, so a signal always leaves it as it was.
	defer term.Restore(fd, state)
	t, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return nil, errNoTerminal
	}
	t.Lflag &^= unix.ECHO
	t.Lflag |= unix.ICANON | unix.ISIG
	t.Iflag |= unix.ICRNL
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, t); err != nil {
		return nil, errNoTerminal
	}
	if _, err := tty.WriteString(prompt); err != nil {
		return nil, errNoTerminal
	}
	pass, err := readLine(fd)
	tty.WriteString("\n")
	if err != nil {
		return nil, fmt.Errorf("reading the passphrase from the terminal: %w", err)
	}
	return pass, nil
}

// readLine reads one line from a terminal in canonical mode, without its
// line end. The kernel hands over at most a line per read, and a line holds
// at most 4095 bytes, so one buffer of that size is enough.
func readLine(fd int) ([]byte, error) {
	buf := make([]byte, 4096)
	n := 0
	for n < len(buf) {
		k, err := unix.Read(fd, buf[n:])
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			clear(buf)
			return nil, err
		}
		if k == 0 {
			break
		}
		n += k
		if buf[n-1] == '\n' {
			n--
			break
		}
	}
	line := bytes.TrimSuffix(buf[:n], []byte("\r"))
	return line, nil
}
