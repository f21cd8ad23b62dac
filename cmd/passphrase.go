package cmd

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"
	"golang.org/x/term"

	"github.com/secretcat/secretcat/internal/readsecret"
)

// passphraseOptions say where passphrases come from: files, descriptors, or
// else the terminal. Never the command line or the environment.
//
// Each --passphrase-file and --passphrase-fd value is [FILE=]SOURCE. With
// FILE=, the source serves FILE alone, which must be a FILE or an identity
// file of the command line, written as it is there; without, it serves every
// file that has no source of its own. A file has at most one source, so a
// passphrase cannot land on a file it was not given for; files without any
// source are asked for on the terminal, each with its own prompt.
type passphraseOptions struct {
	files, fds []string           // the flags' values, as given
	sources    map[string]*source // by FILE; "" serves every other file
}

// source is one --passphrase-file or --passphrase-fd.
type source struct {
	flag string // the flag as given, for messages
	path string // a file to open when needed; "" for a descriptor
	fd   int    // the descriptor to read, -1 for a path
	pass []byte // its first line, once read
	read bool
}

// maxPassphrase bounds what is read from a passphrase file or descriptor.
const maxPassphrase = 64 << 10

func (p *passphraseOptions) addFlags(c *cobra.Command) {
	c.Flags().StringArrayVar(&p.files, "passphrase-file", nil, "passphrase from the first line of `[FILE=]PATH` (- is standard input); FILE= gives FILE its own; repeatable")
	c.Flags().StringArrayVar(&p.fds, "passphrase-fd", nil, "passphrase: first line of descriptor `[FILE=]N`, then closed; FILE= gives FILE its own; repeatable")
}

// parse checks the passphrase flags against the FILEs and identity files
// that may need a passphrase (targets), and checks that every passphrase
// file is there to be read and every descriptor open, whether or not a file
// turns out to need it. stdin says what already reads standard input, if
// anything. It opens nothing: files are opened when needed (a FIFO blocks
// until written to), and it runs before secretcat opens any descriptor of
// its own, so that an open descriptor was inherited.
func (p *passphraseOptions) parse(targets []string, stdin string) error {
	p.sources = map[string]*source{}
	fdUsers := map[int]string{}
	add := func(flag, value string) error {
		target, src, _ := strings.Cut(value, "=")
		if !strings.Contains(value, "=") {
			target, src = "", value
		}
		s := &source{flag: fmt.Sprintf("--%s %s", flag, value), fd: -1}
		if target != "" && !slices.Contains(targets, target) {
			return usageError("%s: %s is not a FILE or identity file of this command line (give FILE as it is written there; for a PATH containing '=', write =PATH)", s.flag, target)
		}
		if prev, dup := p.sources[target]; dup {
			if target == "" {
				return usageError("%s and %s both give the passphrase of every file: give one, or one per file as FILE=PATH or FILE=N", prev.flag, s.flag)
			}
			return usageError("%s and %s both give the passphrase of %s: give one", prev.flag, s.flag, target)
		}
		switch {
		case flag == "passphrase-fd":
			n, err := strconv.ParseInt(src, 10, 32)
			if err != nil || n < 0 {
				return usageError("%s: %q is not a descriptor number", s.flag, src)
			}
			s.fd = int(n)
		case src == "-":
			s.fd = 0
		case src == "":
			return usageError("%s: the path is empty", s.flag)
		default:
			s.path = src
			if err := unix.Faccessat(unix.AT_FDCWD, s.path, unix.R_OK, 0); err != nil {
				return &exitError{code: ExitInput, err: fmt.Errorf("passphrase file %s: %w", s.path, err)}
			}
		}
		if s.fd >= 0 {
			if other, ok := fdUsers[s.fd]; ok {
				return usageError("%s and %s both read descriptor %d: it is read once, to its end, for one passphrase source", other, s.flag, s.fd)
			}
			if s.fd == 0 && stdin != "" {
				return usageError("%s reads standard input, which %s already reads", s.flag, stdin)
			}
			flags, err := unix.FcntlInt(uintptr(s.fd), unix.F_GETFD, 0)
			if err != nil || flags&unix.FD_CLOEXEC != 0 {
				return usageError("%s: descriptor %d is not open (secretcat reads only descriptors it inherited)", s.flag, s.fd)
			}
			fdUsers[s.fd] = s.flag
		}
		p.sources[target] = s
		return nil
	}
	for _, v := range p.files {
		if err := add("passphrase-file", v); err != nil {
			return err
		}
	}
	for _, v := range p.fds {
		if err := add("passphrase-fd", v); err != nil {
			return err
		}
	}
	return nil
}

// readsStdin reports whether a passphrase source is standard input.
func (p *passphraseOptions) readsStdin() bool {
	for _, s := range p.sources {
		if s.fd == 0 {
			return true
		}
	}
	return false
}

// read returns the passphrase of what (a FILE or "identity file PATH",
// "SSH key PATH"), whose path on the command line is target; the caller
// wipes it. It prompts on the terminal only when no flag gives a source for
// target. Its errors name what, and carry their exit status.
func (p *passphraseOptions) read(target, what string) ([]byte, error) {
	s := p.sources[target]
	if s == nil {
		s = p.sources[""]
	}
	if s == nil {
		status.pause()
		defer status.resume()
		return promptTerminal(what)
	}
	if !s.read {
		data, err := s.readAll()
		if err != nil {
			return nil, &exitError{code: ExitInput, err: fmt.Errorf("the passphrase of %s: %s: %w", what, s.flag, err)}
		}
		line, _, _ := bytes.Cut(data, []byte("\n"))
		s.pass = bytes.Clone(bytes.TrimSuffix(line, []byte("\r")))
		s.read = true
		clear(data)
	}
	if len(s.pass) == 0 {
		return nil, &exitError{code: ExitInput, err: fmt.Errorf("the passphrase of %s is empty (%s)", what, s.flag)}
	}
	return bytes.Clone(s.pass), nil
}

// source returns the passphrase callback for the FILE path, called name in
// messages.
func (p *passphraseOptions) source(path, name string) func() ([]byte, error) {
	return func() ([]byte, error) { return p.read(path, name) }
}

// wipe erases the passphrases read and closes the descriptors given, read
// or not, so that COMMAND inherits none of them. Standard input stays open.
func (p *passphraseOptions) wipe() {
	for _, s := range p.sources {
		clear(s.pass)
		s.pass = nil
		if s.fd > 0 {
			unix.Close(s.fd)
			s.fd = -1
		}
	}
}

// readAll reads the source to its end.
func (s *source) readAll() ([]byte, error) {
	fd := s.fd
	if s.path != "" {
		var err error
		if fd, err = unix.Open(s.path, unix.O_RDONLY|unix.O_CLOEXEC, 0); err != nil {
			return nil, err
		}
		defer unix.Close(fd)
	}
	buf, err := readsecret.Fd(fd, maxPassphrase)
	if errors.Is(err, readsecret.ErrTooLong) {
		return nil, fmt.Errorf("longer than %d bytes: not a passphrase", maxPassphrase)
	}
	return buf, err
}

// promptTerminal asks for the passphrase of what on /dev/tty with echo off.
// A signal during the prompt restores the terminal before secretcat exits,
// so echo is never left off. Without a terminal, it fails with a usage
// error: the command line gave no source for what. It is not x/term's
// ReadPassword, which turns echo off only after the caller has written the
// prompt (what is typed ahead is echoed), leaves echo off when a signal
// ends the process during the prompt, and reads a byte at a time into a
// slice grown by append: a 20-byte passphrase leaves unwiped copies of its
// first 8 and 16 bytes on the heap. readLine reads the line into one buffer
// that the caller wipes.
func promptTerminal(what string) ([]byte, error) {
	errNoTerminal := usageError("the passphrase of %s is needed and there is no terminal (/dev/tty) to ask for it: give it with --passphrase-file or --passphrase-fd", what)
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
	if _, err := tty.WriteString("Enter passphrase for " + what + ": "); err != nil {
		return nil, errNoTerminal
	}
	pass, err := readLine(fd)
	tty.WriteString("\n")
	if err != nil {
		return nil, &exitError{code: ExitInput, err: fmt.Errorf("reading the passphrase of %s from the terminal: %w", what, err)}
	}
	if len(pass) == 0 {
		return nil, &exitError{code: ExitInput, err: fmt.Errorf("the passphrase of %s is empty (typed at the terminal)", what)}
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
