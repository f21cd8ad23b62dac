package cmd

import (
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/secretcat/secretcat/secretfd"
)

// runOptions are the flags of the run command (and of the root command, which
// runs when no subcommand is named).
type runOptions struct {
	decryptOptions
	fd        int
	listenFds bool
	noSubst   bool
	sockets   []string // names of the sockets inherited with LISTEN_FDS, for --listen-fds
}

func addRunFlags(c *cobra.Command, o *runOptions) {
	o.decryptOptions.addFlags(c)
	f := c.Flags()
	fdVar(f, &o.fd, true, "fd", "first descriptor `N` for the secret files; the rest follow consecutively (default: the first number above every inherited descriptor, usually 3)")
	f.BoolVar(&o.listenFds, "listen-fds", false, "also set LISTEN_FDS, LISTEN_PID and LISTEN_FDNAMES as sd_listen_fds(3) expects: the secret files follow the sockets inherited from a socket activator, or start at 3")
	f.BoolVar(&o.noSubst, "no-subst", false, "pass COMMAND's arguments as they are, without replacing {fd} and {fd:NAME}")
}

// run decrypts every FILE into its own secret descriptor and replaces this
// process with COMMAND. It only returns on failure, having closed every
// secret file: COMMAND never starts with a partial set.
func (o *runOptions) run(c *cobra.Command, args []string) error {
	dash := c.ArgsLenAtDash()
	if dash < 0 {
		return usageError("missing '--' before COMMAND: usage is secretcat [flags] FILE... -- COMMAND [ARG...]")
	}
	paths, command := args[:dash], args[dash:]
	if len(paths) == 0 {
		return usageError("no FILE to decrypt before '--'")
	}
	if len(command) == 0 {
		return usageError("no COMMAND after '--'")
	}
	files, err := o.plan(paths)
	if err != nil {
		return err
	}
	if err := o.checkSources(files); err != nil {
		return err
	}
	// Claim the descriptor numbers before this process opens anything.
	slots, err := o.reserve(len(files))
	if err != nil {
		return err
	}
	defer slots.Release()
	argv := command
	if !o.noSubst {
		if argv, err = substitute(command, files, o.fd); err != nil {
			return err
		}
	}
	defer closeAll(files)
	hard, err := harden()
	if err != nil {
		return err
	}

	path, err := lookPath(command[0])
	if err != nil {
		return err
	}
	memory, err := o.memoryKind()
	if err != nil {
		return err
	}
	if err := o.decrypt(files, memory); err != nil {
		return err
	}
	secrets := make([]*secretfd.File, len(files))
	for i, f := range files {
		secrets[i] = f.file
	}
	if err := slots.Place(secrets); err != nil {
		return err
	}
	if o.readsStdin(paths) {
		if err := nullStdin(); err != nil {
			return err
		}
	}
	if err := hard.restore(); err != nil {
		return err
	}
	err = syscall.Exec(path, argv, o.environ(files, memory))
	return execError(command[0], err)
}

// substitute replaces {fd} with the first descriptor and {fd:NAME} with the
// descriptor named NAME in every argument but COMMAND itself.
func substitute(command []string, files []*secretFile, first int) ([]string, error) {
	fdOf := func(name string) (int, bool) {
		if name == "" {
			return first, true
		}
		for j, f := range files {
			if f.name == name {
				return first + j, true
			}
		}
		return 0, false
	}
	argv := append([]string{command[0]}, command[1:]...)
	for i := 1; i < len(argv); i++ {
		expanded, unknown := expandPlaceholders(argv[i], fdOf)
		if unknown != "" {
			return nil, usageError("argument %q refers to {fd:%s}, but no FILE is named %q (names: %s)", argv[i], unknown, unknown, strings.Join(names(files), ", "))
		}
		argv[i] = expanded
	}
	return argv, nil
}

// expandPlaceholders replaces each {fd} and {fd:NAME} (NAME without braces)
// in arg with fdOf(NAME), NAME being "" for {fd}. It returns the first name
// fdOf does not know. (A scanner rather than a regular expression: compiling
// one would cost every run a third of its start-up.)
func expandPlaceholders(arg string, fdOf func(name string) (int, bool)) (string, string) {
	var b strings.Builder
	for {
		i := strings.Index(arg, "{fd")
		if i < 0 {
			b.WriteString(arg)
			return b.String(), ""
		}
		b.WriteString(arg[:i])
		rest := arg[i+len("{fd"):]
		name, ok := "", false
		switch {
		case strings.HasPrefix(rest, "}"):
			ok, rest = true, rest[1:]
		case strings.HasPrefix(rest, ":"):
			if end := strings.IndexAny(rest[1:], "{}"); end >= 0 && rest[1+end] == '}' {
				name, ok, rest = rest[1:1+end], true, rest[2+end:]
			}
		}
		if !ok { // not a placeholder: keep "{fd" and go on after it
			b.WriteString("{fd")
			arg = rest
			continue
		}
		fd, known := fdOf(name)
		if !known {
			return "", name
		}
		b.WriteString(strconv.Itoa(fd))
		arg = rest
	}
}

func names(files []*secretFile) []string {
	n := make([]string, len(files))
	for i, f := range files {
		n[i] = f.name
	}
	return n
}

// environ is this process's environment with the variables that tell COMMAND
// where its secret descriptors are.
func (o *runOptions) environ(files []*secretFile, memory string) []string {
	fds := make([]string, len(files))
	for i := range files {
		fds[i] = strconv.Itoa(o.fd + i)
	}
	set := map[string]string{
		secretfd.EnvFd:      fds[0],
		secretfd.EnvFds:     strings.Join(fds, ","),
		secretfd.EnvFdNames: strings.Join(names(files), ":"),
		secretfd.EnvMemory:  memory,
	}
	if o.listenFds {
		set["LISTEN_FDS"] = strconv.Itoa(len(o.sockets) + len(files))
		set["LISTEN_PID"] = strconv.Itoa(os.Getpid())
		set["LISTEN_FDNAMES"] = strings.Join(append(o.sockets, names(files)...), ":")
	}
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if _, replaced := set[k]; !replaced {
			env = append(env, kv)
		}
	}
	for _, k := range []string{secretfd.EnvFd, secretfd.EnvFds, secretfd.EnvFdNames, secretfd.EnvMemory, "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES"} {
		if v, ok := set[k]; ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}
