package cmd

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"
	"golang.org/x/term"

	"github.com/secretcat/secretcat/internal/handoff"
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
- With --socket PATH, open listens on a unix socket at PATH (mode 0600)
  and hands every line and descriptor to each process whose uid is its own
  (SO_PEERCRED) that connects, until --count of them (default 1) have read
  them all; one that leaves early does not count. --count 0 serves every
  consumer until a stop signal or --timeout (the processes of a supervisor
  such as Postfix's master, for which the preload library connects:
  SECRETCAT_PRELOAD_SOCKET in secretcat(1)). PATH appears only once
  open listens. A socket nobody listens on (left by a killed secretcat) is
  replaced, a live one never.
- Otherwise it prints the lines and waits, while a parent takes the
  descriptors with pidfd_getfd(2), until standard input (a pipe, socket or
  terminal) is closed, SIGTERM, SIGINT or SIGHUP arrives, or --timeout
  passes. pidfd_getfd needs ptrace access to secretcat, which its hardening
  (not dumpable) denies to all but CAP_SYS_PTRACE; --allow-getfd makes it
  dumpable again once the plaintext and keys are gone from its memory, so
  that a same-user parent can take them (subject to Yama's ptrace_scope).

Standard input does not count when a FILE or identity was read from it.
Then it closes every descriptor and exits 0. With --socket, a stop signal
or --timeout before --count consumers took the descriptors is a failure
(with --count 0 it is how open ends).`

func newOpenCommand(stdin *os.File) *cobra.Command {
	o := &openOptions{decryptOptions: decryptOptions{stdin: stdin}}
	c := &cobra.Command{
		Use:   "open [flags] FILE...",
		Short: "Decrypt FILEs for a process that is not secretcat's child",
		Long:  openLong,
		Example: `  secretcat open --socket /run/app/key.sock -i key.txt tls.key.age &
  secretcat cat --socket /run/app/key.sock | legacy-tool`,
		Args: usageArgs(cobra.MinimumNArgs(1)),
		RunE: func(c *cobra.Command, args []string) error { return o.open(args, stdin) },
	}
	o.decryptOptions.addFlags(c)
	f := c.Flags()
	f.BoolVar(&o.json, "json", false, "announce each descriptor as a JSON object on one line")
	f.StringVar(&o.socket, "socket", "", "listen on a unix socket at `PATH` and hand the descriptors to consumers of the same uid")
	f.IntVar(&o.count, "count", 1, "with --socket, exit once `N` consumers have taken the descriptors; 0 serves until stopped")
	f.DurationVar(&o.timeout, "timeout", 0, "stop after `DURATION` (e.g. 30s) even if nothing took the descriptors; 0 waits forever")
	f.BoolVar(&o.allowGetfd, "allow-getfd", false, "once decrypted, let same-user processes ptrace secretcat, so that a parent can take the descriptors with pidfd_getfd(2)")
	return c
}

func (o *openOptions) open(paths []string, stdin *os.File) error {
	if o.count < 0 {
		return usageError("--count must be 0 (serve until stopped) or more")
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
	// Stop signals are caught from here on: the socket path is removed on
	// the way out, and a consumer may answer the announcement with SIGTERM
	// at once.
	ctx, cancel := o.stopContext()
	defer cancel()
	var listener *socketListener
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
	if ctx.Err() != nil {
		return fmt.Errorf("stopped before the descriptors were offered: %v", o.why(ctx))
	}
	lines := make([]string, len(files))
	for i, f := range files {
		lines[i] = handoff.Line(secretfd.Offer{Fd: f.file.Fd(), Name: f.name, Size: f.file.Size(), Pid: os.Getpid()}, o.json)
	}

	switch {
	case listener != nil:
		return o.serve(ctx, listener, files, lines)
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
	for _, l := range lines {
		fmt.Println(l)
	}
	o.waitForStop(ctx, stdin, o.readsStdin(paths))
	return nil
}

// stopContext ends on SIGTERM, SIGINT or SIGHUP, or when --timeout passes.
func (o *openOptions) stopContext() (context.Context, context.CancelFunc) {
	parent, cancelTimeout := context.Background(), context.CancelFunc(func() {})
	if o.timeout > 0 {
		parent, cancelTimeout = context.WithTimeout(parent, o.timeout)
	}
	ctx, stop := signal.NotifyContext(parent, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	return ctx, func() { stop(); cancelTimeout() }
}

// why says what ended ctx: a signal or --timeout.
func (o *openOptions) why(ctx context.Context) string {
	if errors.Is(context.Cause(ctx), context.DeadlineExceeded) {
		return fmt.Sprintf("--timeout %v passed", o.timeout)
	}
	return context.Cause(ctx).Error()
}

// peerWait bounds how long a connected consumer may take to read the
// descriptors before secretcat drops it and waits for another.
const peerWait = 5 * time.Second

// serve hands the descriptors to --count consumers of this uid, or with
// --count 0 to every one until ctx ends. A consumer counts once it has read
// every line and descriptor: one that connects and leaves does not use up
// the offer.
func (o *openOptions) serve(ctx context.Context, l *socketListener, files []*secretFile, lines []string) error {
	stopListening := context.AfterFunc(ctx, func() { l.Close() })
	defer stopListening()
	for served := 0; o.count == 0 || served < o.count; {
		if isTerminal(os.Stderr) {
			warnf("waiting for a process of uid %d to connect to %s (%s)", os.Getuid(), o.socket, o.progress(served))
		}
		conn, err := l.AcceptUnix()
		if err == nil {
			if o.handOff(ctx, conn, files, lines) {
				served++
			}
			conn.Close()
		}
		if ctx.Err() != nil && o.count == 0 {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%d of %d consumers took the descriptors from %s: %v", served, o.count, o.socket, o.why(ctx))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// progress says how many consumers took the descriptors so far.
func (o *openOptions) progress(served int) string {
	if o.count == 0 {
		return fmt.Sprintf("%d served until stopped", served)
	}
	return fmt.Sprintf("%d of %d served", served, o.count)
}

// handOff sends every line and descriptor to the consumer on conn and
// reports whether it read them all.
func (o *openOptions) handOff(ctx context.Context, conn *net.UnixConn, files []*secretFile, lines []string) bool {
	uid, err := peerUID(conn)
	if err != nil || uid != os.Getuid() {
		warnf("refused a connection to %s from uid %d: only uid %d may take the descriptors", o.socket, uid, os.Getuid())
		return false
	}
	taken, err := false, sendAll(conn, files, lines)
	if err == nil {
		conn.CloseWrite()
		peerCtx, cancel := context.WithTimeout(ctx, peerWait)
		defer cancel()
		taken, err = handoff.Taken(peerCtx, conn)
	}
	switch {
	case ctx.Err() != nil:
		return false
	case errors.Is(err, context.DeadlineExceeded):
		warnf("a consumer of %s took nothing within %v: waiting for another", o.socket, peerWait)
	case !taken:
		warnf("a consumer left %s before taking the descriptors: waiting for another", o.socket)
	}
	return taken
}

func sendAll(conn *net.UnixConn, files []*secretFile, lines []string) error {
	for i, f := range files {
		if err := handoff.Send(conn, lines[i], f.file.Fd()); err != nil {
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
	if err := raw.Control(func(fd uintptr) {
		var cred *unix.Ucred
		cred, cerr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
		if cerr == nil {
			uid = int(cred.Uid)
		}
	}); err != nil {
		return -1, err
	}
	return uid, cerr
}

// waitForStop returns when standard input (if it is a pipe, socket or
// terminal, and did not carry a FILE or identity) reaches its end, or ctx
// ends: a stop signal or --timeout.
func (o *openOptions) waitForStop(ctx context.Context, stdin *os.File, stdinUsed bool) {
	done := make(chan struct{}, 1)
	watched := !stdinUsed && watchable(stdin)
	if watched {
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
	if isTerminal(os.Stderr) {
		warnf("holding the descriptors until %s", o.stopConditions(watched, isTerminal(stdin)))
	}
	select {
	case <-ctx.Done():
	case <-done:
	}
}

// stopConditions says in words what ends the wait of open without --socket.
func (o *openOptions) stopConditions(stdinWatched, stdinTerminal bool) string {
	var when []string
	switch {
	case stdinWatched && stdinTerminal:
		when = append(when, "standard input ends (Ctrl-D)")
	case stdinWatched:
		when = append(when, "standard input ends")
	}
	when = append(when, "SIGINT (Ctrl-C), SIGTERM or SIGHUP arrives")
	if o.timeout > 0 {
		when = append(when, fmt.Sprintf("--timeout %v passes", o.timeout))
	}
	return strings.Join(when, ", or ")
}

func isTerminal(f *os.File) bool {
	return term.IsTerminal(int(f.Fd()))
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

func isSocket(f *os.File) bool {
	var st unix.Stat_t
	return unix.Fstat(int(f.Fd()), &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFSOCK
}
