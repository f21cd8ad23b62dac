// Package cmd is the secretcat command line: cobra wiring over the crypt,
// secretfd and internal packages, and the only code that words their errors
// for a user.
package cmd

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

const runUsage = "[run] [flags] FILE... -- COMMAND [ARG...]"

// rootLong is the description of secretcat and secretcat run: what --help
// shows first and what their man pages begin with. How the descriptors are
// delivered, numbered and named, the identities, the passphrases and the
// exit statuses are the man pages' sections (docs/man/src), not repeated
// here.
const rootLong = `secretcat decrypts age files, SOPS documents and encrypted private keys
straight into Linux secret memory (memfd_secret(2)) and runs COMMAND with each
plaintext in a file descriptor: the plaintext never touches a disk, a pipe,
the page cache or the kernel's direct map, and no other process, root
included, can read it through /proc/PID/mem or ptrace.

FILE is recognised by its content: age, binary or armored; or a PEM file with
encrypted private keys: PKCS#8 (PBES2 with PBKDF2 or scrypt), legacy OpenSSL
(DEK-Info) or OpenSSH, delivered as openssl pkey, openssl rsa -traditional or
ssh-keygen -p would write them unencrypted, other blocks (certificates) in
order (--der for a single key's DER); - is standard input. If anything fails,
COMMAND is not started and every secret descriptor is closed.

A FILE named like a subcommand (run, open, cat, doctor, help, completion)
needs the explicit "secretcat run FILE -- ...".`

const rootExample = `  secretcat -i key.txt server.key.age -- ./server --key-fd {fd}
  secretcat -i key.txt tls.age ca.age -- ./signer --tls {fd:tls} --ca {fd:ca}
  secretcat --listen-fds -i key.txt key.age -- ./daemon
  secretcat --preload -i id.txt k.age -- nginx  # ssl_certificate_key /dev/fd/3;
  secretcat --preload -i key.txt key.age -- openssl pkey -in {path} -pubout`

// NewCommand returns the secretcat command tree reading stdin from stdin.
func NewCommand(stdin *os.File) *cobra.Command {
	rootOpts := &runOptions{decryptOptions: decryptOptions{stdin: stdin}}
	root := &cobra.Command{
		Use:           "secretcat " + runUsage,
		Short:         "Decrypt files into secret memory and run a command with the descriptors",
		Long:          rootLong,
		Example:       rootExample,
		Args:          cobra.ArbitraryArgs,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	addRunFlags(root, rootOpts)
	version := root.Flags().Bool("version", false, "print the version and exit")
	root.RunE = func(c *cobra.Command, args []string) error {
		if *version {
			info, _ := debug.ReadBuildInfo()
			fmt.Fprintln(c.OutOrStdout(), versionText(info))
			return nil
		}
		return rootOpts.run(c, args)
	}

	runOpts := &runOptions{decryptOptions: decryptOptions{stdin: stdin}}
	run := &cobra.Command{
		Use:     "run [flags] {FILE... | --socket PATH} -- COMMAND [ARG...]",
		Short:   "Decrypt FILEs and exec COMMAND with the secret descriptors",
		Long:    rootLong,
		Example: rootExample,
		Args:    cobra.ArbitraryArgs,
		RunE:    runOpts.run,
	}
	addRunFlags(run, runOpts)
	run.Flags().StringVar(&runOpts.socket, "socket", "", "instead of decrypting FILEs, receive the descriptors from secretcat open --socket `PATH`")
	addWaitFlag(run, &runOpts.wait)
	root.AddCommand(run, newOpenCommand(stdin), newCatCommand(), newDoctorCommand())
	setCompletionCommand(root)
	root.SetHelpFunc(help)
	root.SetUsageFunc(usage)
	setCompletions(root)

	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageError("%v (see '%s --help')", err, c.CommandPath())
	})
	return root
}

// errUsageShown is the error of a command line that only got the short
// usage in answer.
var errUsageShown = &exitError{code: ExitUsage, err: errors.New("usage shown")}

// Main runs secretcat with os.Args and returns its exit status.
func Main() int {
	return guard(os.Stderr, func() int {
		root := NewCommand(os.Stdin)
		if len(os.Args) > 1 && strings.HasPrefix(os.Args[1], cobra.ShellCompRequestCmd) {
			plainUsages(root)
		}
		if err := root.Execute(); err != nil {
			if err != errUsageShown {
				fmt.Fprintf(os.Stderr, "secretcat: %v%s%s\n", err, descriptorHint(err), explain(err))
			}
			return exitCode(err)
		}
		return 0
	})
}

// guard runs main and turns a panic into an internal-error message on w and
// ExitFailure: a Go panic would exit 2, the status of a usage error. The
// deferred functions of main, which close the secret files, have run by
// then.
func guard(w io.Writer, main func() int) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(w, "secretcat: internal error: %s%s: this is a bug in secretcat; please report it with the command line that caused it\n", panicText(r), panicSite())
			code = ExitFailure
		}
	}()
	return main()
}

// panicText describes a panic's value. Only errors and strings are shown in
// full; other values could hold anything, secrets included, so only their
// type is.
func panicText(r any) string {
	switch r := r.(type) {
	case error:
		return r.Error()
	case string:
		return r
	}
	return fmt.Sprintf("panic with a %T", r)
}

// panicSite names the function that panicked and its line, from within the
// deferred function that recovered; "" if it cannot be found. Unlike a
// stack trace it shows no argument values.
func panicSite() string {
	pc := make([]uintptr, 32)
	frames := runtime.CallersFrames(pc[:runtime.Callers(1, pc)])
	panicking := false
	for {
		f, more := frames.Next()
		switch {
		case f.Function == "runtime.gopanic":
			panicking = true
		case panicking && !strings.HasPrefix(f.Function, "runtime."):
			return fmt.Sprintf(" in %s (%s:%d)", f.Function, filepath.Base(f.File), f.Line)
		}
		if !more {
			return ""
		}
	}
}
