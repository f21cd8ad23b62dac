package cmd

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/secretcat/secretcat/secretfd"
)

// openOptions are the flags of secretcat open.
type openOptions struct {
	decryptOptions
	json       bool
	socket     string
	count      int
	timeout    time.Duration
	allowGetfd bool
}

const openLong = `open decrypts each FILE into a secret descriptor for a consumer that is
not secretcat's child (a supervisor, a daemon, a script's coprocess), and
holds the descriptors until they are taken or it is told to stop.

A secret descriptor cannot be reopened through /proc/PID/fd, so it must be
passed. open announces one line per descriptor on standard output:

    fd=5 name=key size=21 pid=1234
    {"fd":5,"name":"key","size":21,"pid":1234}     (with --json)

fd is the number in secretcat's process, pid is secretcat's PID.

- If standard output is a unix socket, each line travels with its
  descriptor (SCM_RIGHTS); open exits once all are sent.
- With --socket PATH, open listens on a new unix socket at PATH (mode
  0600), hands every line and descriptor to a peer whose uid is its own
  (SO_PEERCRED), --count times (default once), removes PATH and exits.
- Otherwise it prints the lines and waits, while a parent takes the
  descriptors with pidfd_getfd(2), until standard input (a pipe, socket or
  terminal) is closed, SIGTERM, SIGINT or SIGHUP arrives, or --timeout
  passes. pidfd_getfd needs ptrace access to secretcat, which its hardening
  (not dumpable) denies to all but CAP_SYS_PTRACE; --allow-getfd makes it
  dumpable again once the plaintext and keys are gone from its memory, so
  that a same-user parent can take them (subject to Yama's ptrace_scope).

Standard input does not count when a FILE or identity was read from it.
Then it closes every descriptor and exits 0; on --timeout with --socket and
no taker, or on any failure, with the statuses of secretcat(1).`

func newOpenCommand(stdin *os.File) *cobra.Command {
	o := &openOptions{decryptOptions: decryptOptions{stdin: stdin}}
	c := &cobra.Command{
		Use:   "open [flags] FILE...",
		Short: "Decrypt FILEs into secret descriptors and hand them to a consumer that is not a child",
		Long:  openLong,
		Example: `  secretcat open --socket /run/app/key.sock -i key.txt tls.key.age &
  secretcat cat --socket /run/app/key.sock | legacy-tool`,
		Args: usageArgs(cobra.MinimumNArgs(1)),
		RunE: func(c *cobra.Command, args []string) error { return o.open(args, stdin) },
	}
	o.decryptOptions.addFlags(c)
	f := c.Flags()
	f.BoolVar(&o.json, "json", false, "announce each descriptor as a JSON object on one line")
	f.StringVar(&o.socket, "socket", "", "listen on a new unix socket at `PATH` and hand the descriptors to a peer of the same uid")
	f.IntVar(&o.count, "count", 1, "with --socket, serve `N` peers before exiting")
	f.DurationVar(&o.timeout, "timeout", 0, "stop after `DURATION` (e.g. 30s) even if nothing took the descriptors; 0 waits forever")
	f.BoolVar(&o.allowGetfd, "allow-getfd", false, "once decrypted, let same-user processes ptrace secretcat, so that a parent can take the descriptors with pidfd_getfd(2)")
	return c
}

func (o *openOptions) open(paths []string, stdin *os.File) error {
	if o.count < 1 {
		return usageError("--count must be at least 1")
	}
	files, err := o.plan(paths)
	if err != nil {
		return err
	}
	if err := o.checkSources(files); err != nil {
		return err
	}
	defer closeAll(files)
	if _, err := harden(); err != nil {
		return err
	}
	var listener *net.UnixListener
	if o.socket != "" {
		if listener, err = listen(o.socket); err != nil {
			return err
		}
		defer listener.Close()
	}
	memory, err := o.memoryKind()
	if err != nil {
		return err
	}
	if err := o.decrypt(files, memory); err != nil {
		return err
	}
	lines := make([]string, len(files))
	for i, f := range files {
		lines[i] = secretfd.Offer{Fd: f.file.Fd(), Name: f.name, Size: f.file.Size(), Pid: os.Getpid()}.Line(o.json)
	}

	switch {
	case listener != nil:
		return o.serve(listener, files, lines)
	case isSocket(os.Stdout):
		conn, err := net.FileConn(os.Stdout)
		if err != nil {
			return err
		}
		defer conn.Close()
		uc, ok := conn.(*net.UnixConn)
		if !ok {
			return fmt.Errorf("standard output is a socket, but not a unix socket: descriptors cannot travel over it")
		}
		return sendAll(uc, files, lines)
	}
	if o.allowGetfd {
		if err := unix.Prctl(unix.PR_SET_DUMPABLE, 1, 0, 0, 0); err != nil {
			return err
		}
	}
	// Catch stop signals before announcing: a consumer may answer the
	// announcement with SIGTERM at once.
	stop := stopSignals()
	defer signal.Stop(stop)
	for _, l := range lines {
		fmt.Println(l)
	}
	o.waitForStop(stop, stdin, o.readsStdin(paths))
	return nil
}

// listen makes the unix socket at path, readable and writable by this user
// only.
func listen(path string) (*net.UnixListener, error) {
	if _, err := os.Lstat(path); err == nil {
		return nil, usageError("--socket %s: the path exists; remove it or choose another", path)
	}
	old := unix.Umask(0o177)
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	unix.Umask(old)
	if err != nil {
		return nil, &exitError{code: ExitFailure, err: fmt.Errorf("--socket %s: %w", path, err)}
	}
	l.SetUnlinkOnClose(true)
	return l, nil
}

// serve hands the descriptors to --count peers of this uid.
func (o *openOptions) serve(l *net.UnixListener, files []*secretFile, lines []string) error {
	if o.timeout > 0 {
		l.SetDeadline(time.Now().Add(o.timeout))
	}
	stop := stopSignals()
	defer signal.Stop(stop)
	go func() {
		<-stop
		l.Close()
	}()
	for served := 0; served < o.count; {
		conn, err := l.AcceptUnix()
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				return fmt.Errorf("no consumer connected to %s within %v", o.socket, o.timeout)
			}
			return fmt.Errorf("stopped before a consumer connected to %s", o.socket)
		}
		uid, err := peerUID(conn)
		if err != nil || uid != os.Getuid() {
			warnf("refused a connection to %s from uid %d: only uid %d may take the descriptors", o.socket, uid, os.Getuid())
			conn.Close()
			continue
		}
		err = sendAll(conn, files, lines)
		conn.Close()
		if err != nil {
			return err
		}
		served++
	}
	return nil
}

func sendAll(conn *net.UnixConn, files []*secretFile, lines []string) error {
	for i, f := range files {
		if err := secretfd.Send(conn, lines[i], f.file.Fd()); err != nil {
			return fmt.Errorf("sending %s: %w", displayPath(f.path), err)
		}
	}
	return nil
}

func peerUID(conn *net.UnixConn) (int, error) {
	raw, err := conn.SyscallConn()
	if err != nil {
		return -1, err
	}
	uid := -1
	var cerr error
	raw.Control(func(fd uintptr) {
		var cred *unix.Ucred
		cred, cerr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
		if cerr == nil {
			uid = int(cred.Uid)
		}
	})
	return uid, cerr
}

// waitForStop returns when standard input (if it is a pipe, socket or
// terminal, and did not carry a FILE or identity) reaches its end, a stop
// signal arrives, or --timeout passes.
func (o *openOptions) waitForStop(stop <-chan os.Signal, stdin *os.File, stdinUsed bool) {
	done := make(chan struct{}, 1)
	if !stdinUsed && watchable(stdin) {
		go func() {
			buf := make([]byte, 512)
			for {
				if _, err := stdin.Read(buf); err != nil {
					done <- struct{}{}
					return
				}
			}
		}()
	}
	var timeout <-chan time.Time
	if o.timeout > 0 {
		timeout = time.After(o.timeout)
	}
	select {
	case <-stop:
	case <-done:
	case <-timeout:
	}
}

func stopSignals() chan os.Signal {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	return c
}

// watchable reports whether f's end means "stop": a pipe, a socket or a
// terminal. /dev/null or a regular file (a background job's usual stdin)
// would end at once.
func watchable(f *os.File) bool {
	var st unix.Stat_t
	if unix.Fstat(int(f.Fd()), &st) != nil {
		return false
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFIFO, unix.S_IFSOCK:
		return true
	case unix.S_IFCHR:
		_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
		return err == nil
	}
	return false
}

func usesStdin(paths []string) bool {
	for _, p := range paths {
		if p == "-" {
			return true
		}
	}
	return false
}

func isSocket(f *os.File) bool {
	var st unix.Stat_t
	return unix.Fstat(int(f.Fd()), &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFSOCK
}
