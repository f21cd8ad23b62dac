package cmd

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/secretcat/secretcat/internal/fdplace"
	"github.com/secretcat/secretcat/internal/secretmem"
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
	fds       []int    // the secret files' descriptor numbers, from reserve
	fd3       string   // what held descriptor 3 when reserve chose another
	preload   bool
	heap      heapSize
	socket    string        // run --socket: receive from secretcat open
	wait      time.Duration // how long to wait for the socket
}

func addRunFlags(c *cobra.Command, o *runOptions) {
	o.decryptOptions.addFlags(c)
	f := c.Flags()
	fdVar(f, &o.fd, true, "fd", "first descriptor `N` of the secret files (default: the lowest free one, 3 unless it is taken)")
	f.BoolVar(&o.listenFds, "listen-fds", false, "also set LISTEN_FDS, LISTEN_PID and LISTEN_FDNAMES for sd_listen_fds(3), after any inherited sockets")
	f.BoolVar(&o.noSubst, "no-subst", false, "leave {fd}, {fd:NAME}, {path} and {path:NAME} in COMMAND's arguments as they are")
	f.BoolVar(&o.preload, "preload", false, "add the preload library to LD_PRELOAD, so that COMMAND can open its secret descriptors as /dev/fd/N")
	addHeapFlag(c, &o.heap)
}

// run decrypts every FILE into its own secret descriptor and replaces this
// process with COMMAND. It only returns on failure, having closed every
// secret file: COMMAND never starts with a partial set.
func (o *runOptions) run(c *cobra.Command, args []string) error {
	if len(args) == 0 && c.Flags().NFlag() == 0 {
		fmt.Fprint(c.ErrOrStderr(), c.Root().UsageString())
		return errUsageShown
	}
	dash := c.ArgsLenAtDash()
	if dash < 0 {
		return usageError("missing '--' before COMMAND: usage is secretcat [flags] FILE... -- COMMAND [ARG...]")
	}
	paths, command := args[:dash], args[dash:]
	if len(command) == 0 {
		return usageError("no COMMAND after '--'")
	}
	if o.socket != "" {
		for _, name := range []string{"identity", "plugin", "der", "allow-unencrypted", "passphrase-file", "passphrase-fd"} {
			if c.Flags().Changed(name) {
				return usageError("--%s decrypts FILEs, but --socket receives descriptors that secretcat open has already decrypted: give it to open", name)
			}
		}
		return o.runSocket(paths, command)
	}
	if len(paths) == 0 {
		return usageError("no FILE to decrypt before '--'")
	}
	files, err := o.plan(paths)
	if err != nil {
		return err
	}
	if err := o.checkSources(files); err != nil {
		return err
	}
	decrypt := func(memory string) error { return o.decrypt(files, memory) }
	return o.exec(files, command, o.memoryKind, decrypt, o.readsStdin(paths))
}

// runSocket receives the descriptors of a secretcat open --socket, names
// them as offered (or as --name OFFERED=NAME renames them) and execs COMMAND
// with them as run does with decrypted FILEs.
func (o *runOptions) runSocket(paths, command []string) error {
	if len(paths) > 0 {
		return usageError("--socket receives the descriptors: give no FILE before '--' (got %s)", strings.Join(paths, " "))
	}
	offers, err := secretfd.Dial(o.socket, o.wait)
	if err != nil {
		return &exitError{code: ExitInput, err: err}
	}
	fds := make([]int, len(offers))
	offered := make([]string, len(offers))
	for i, of := range offers {
		fds[i], offered[i] = of.Fd, of.Name
	}
	keep := 0 // --fd's numbers stay free
	if o.fd >= 0 {
		keep = o.fd + len(fds)
	}
	received, err := fdplace.Adopt(fds, o.fallback, keep)
	if err != nil {
		return &exitError{code: ExitInput, err: fmt.Errorf("%s: %w", o.socket, err)}
	}
	files := make([]*secretFile, len(received))
	memory := secretfd.MemorySecret
	for i, f := range received {
		files[i] = &secretFile{path: o.socket, name: offered[i], file: f}
		if f.Fallback() {
			memory = secretfd.MemoryFallback
		}
	}
	renames, err := o.nameFiles(offered)
	if err != nil {
		closeAll(files)
		return err
	}
	for _, f := range files {
		if name, ok := renames[f.name]; ok {
			f.name = name
		}
		if err := checkName(f.name); err != nil {
			closeAll(files)
			return &exitError{code: ExitInput, err: fmt.Errorf("%s: %w", o.socket, err)}
		}
	}
	kind := func() (string, error) { return memory, nil }
	return o.exec(files, command, kind, nil, false)
}

// exec reserves the descriptors of files, fills them with fill (nil when
// they are full already) in memory of the kind that memoryKind chooses,
// places them and replaces this process with COMMAND. It only returns on
// failure, having closed every secret file: COMMAND never starts with a
// partial set.
func (o *runOptions) exec(files []*secretFile, command []string, memoryKind func() (string, error), fill func(memory string) error, readsStdin bool) error {
	defer closeAll(files)
	// Claim the descriptor numbers before this process opens anything.
	slots, err := o.reserve(len(files))
	if err != nil {
		return err
	}
	defer slots.Release()
	argv, usedPath := command, false
	if !o.noSubst {
		if argv, usedPath, err = substitute(command, files, o.fds); err != nil {
			return err
		}
	}
	preload := ""
	if o.preload || o.heap.bytes > 0 {
		if preload, err = findPreload(); err != nil {
			return err
		}
		if o.fd3 != "" {
			warnf("%s", o.fd3Note(len(files)))
		}
	}
	hard, err := harden()
	if err != nil {
		return err
	}

	path, err := lookPath(command[0])
	if err != nil {
		return err
	}
	if preload != "" {
		if note := preloadReach(path); note != "" {
			warnf("%s", note)
		}
	}
	memory, err := memoryKind()
	if err != nil {
		return err
	}
	if usedPath && preload == "" && memory != secretfd.MemoryFallback {
		return usageError("{path} needs --preload: the kernel refuses to reopen a secret descriptor through /dev/fd/N, the preload library opens it for COMMAND (see secretcat-run(1))")
	}
	if o.heap.bytes > 0 {
		if memory != secretfd.MemorySecret {
			return &exitError{code: ExitUnavailable, err: fmt.Errorf("--openssl-secret-heap needs secret memory, and --allow-fallback does not give it: drop one of them")}
		}
		o.alsoLocked, o.alsoLockedFor = o.heap.lockedSizes(), o.heap.describe()
	}
	if fill != nil {
		if err := fill(memory); err != nil {
			return err
		}
	}
	secrets := make([]*secretmem.File, len(files))
	for i, f := range files {
		secrets[i] = f.file
	}
	if err := slots.Place(secrets); err != nil {
		return err
	}
	if readsStdin {
		if err := nullStdin(); err != nil {
			return err
		}
	}
	if err := hard.restore(); err != nil {
		return err
	}
	err = syscall.Exec(path, argv, o.environ(files, memory, preload))
	return execError(command[0], err)
}

// substitute replaces {fd} and {path} with the first descriptor's number
// and /dev/fd/N path, and {fd:NAME} and {path:NAME} with those of the
// descriptor named NAME, in every argument but COMMAND itself; files[i] is
// at fds[i]. It reports whether any {path} was used.
func substitute(command []string, files []*secretFile, fds []int) ([]string, bool, error) {
	usedPath, missing := false, ""
	value := func(kind, name string) (string, bool) {
		fd := -1
		for j, f := range files {
			if name == "" || f.name == name {
				fd = fds[j]
				break
			}
		}
		if fd < 0 {
			missing = name
			return "", false
		}
		if kind == "path" {
			usedPath = true
			return fdPath(fd), true
		}
		return strconv.Itoa(fd), true
	}
	argv := append([]string{command[0]}, command[1:]...)
	for i := 1; i < len(argv); i++ {
		expanded, unknown := expandPlaceholders(argv[i], value)
		if unknown != "" {
			return nil, false, usageError("argument %q refers to %s, but no FILE is named %q (names: %s)", argv[i], unknown, missing, strings.Join(names(files), ", "))
		}
		argv[i] = expanded
	}
	return argv, usedPath, nil
}

// placeholderKinds are the words that may follow "{" in a placeholder.
var placeholderKinds = [...]string{"fd", "path"}

// expandPlaceholders replaces each {KIND} and {KIND:NAME} (KIND one of
// placeholderKinds, NAME without braces) in arg with value(KIND, NAME), NAME
// being "" for {KIND}. It returns the first placeholder that value does not
// know. (A scanner rather than a regular expression: compiling one would
// cost every run a third of its start-up.)
func expandPlaceholders(arg string, value func(kind, name string) (string, bool)) (string, string) {
	var b strings.Builder
	for {
		i := strings.IndexByte(arg, '{')
		if i < 0 {
			b.WriteString(arg)
			return b.String(), ""
		}
		b.WriteString(arg[:i])
		arg = arg[i+1:]
		kind, name, rest, ok := placeholder(arg)
		if !ok { // not a placeholder: keep "{" and go on after it
			b.WriteByte('{')
			continue
		}
		v, known := value(kind, name)
		if !known {
			return "", "{" + kind + ":" + name + "}"
		}
		b.WriteString(v)
		arg = rest
	}
}

// placeholder parses "KIND}" or "KIND:NAME}" at the start of s, the part of
// a placeholder after its "{".
func placeholder(s string) (kind, name, rest string, ok bool) {
	for _, k := range placeholderKinds {
		r, found := strings.CutPrefix(s, k)
		if !found {
			continue
		}
		switch {
		case strings.HasPrefix(r, "}"):
			return k, "", r[1:], true
		case strings.HasPrefix(r, ":"):
			if end := strings.IndexAny(r[1:], "{}"); end >= 0 && r[1+end] == '}' {
				return k, r[1 : 1+end], r[2+end:], true
			}
		}
	}
	return "", "", "", false
}

func names(files []*secretFile) []string {
	n := make([]string, len(files))
	for i, f := range files {
		n[i] = f.name
	}
	return n
}

// environ is this process's environment with the variables that tell COMMAND
// where its secret descriptors are, and with the preload library, if any,
// added to LD_PRELOAD.
func (o *runOptions) environ(files []*secretFile, memory, preload string) []string {
	fds := fdList(o.fds)
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
	if preload != "" {
		set["LD_PRELOAD"] = withPreload(os.Getenv("LD_PRELOAD"), preload)
	}
	if o.heap.bytes > 0 {
		set[envHeap] = o.heap.String()
	}
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		// A heap size inherited from an outer secretcat does not turn the
		// heap on without --openssl-secret-heap.
		if _, replaced := set[k]; !replaced && k != envHeap {
			env = append(env, kv)
		}
	}
	for _, k := range []string{secretfd.EnvFd, secretfd.EnvFds, secretfd.EnvFdNames, secretfd.EnvMemory, "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "LD_PRELOAD", envHeap} {
		if v, ok := set[k]; ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}
