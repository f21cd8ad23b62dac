package cmd

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/secretcat/secretcat/crypt"
	"github.com/secretcat/secretcat/secretfd"
)

// runOptions are the flags of the run command (and of the root command, which
// runs when no subcommand is named).
type runOptions struct {
	identities []string
	names      []string
	fd         int
	listenFds  bool
	noSubst    bool
	fallback   bool
	passphrase passphraseOptions
	stdin      io.Reader
}

func addRunFlags(c *cobra.Command, o *runOptions) {
	f := c.Flags()
	f.StringArrayVarP(&o.identities, "identity", "i", nil, "identity `FILE` (age, SSH or plugin identities); repeatable; - reads standard input")
	f.StringArrayVar(&o.names, "name", nil, "`NAME` of the next FILE's descriptor (default: FILE's base name without .age); repeatable, in FILE order")
	f.IntVar(&o.fd, "fd", 3, "first descriptor `N` for the secret files; the rest follow consecutively")
	f.BoolVar(&o.listenFds, "listen-fds", false, "also set LISTEN_FDS, LISTEN_PID and LISTEN_FDNAMES as sd_listen_fds(3) expects (descriptors start at 3)")
	f.BoolVar(&o.noSubst, "no-subst", false, "pass COMMAND's arguments as they are, without replacing {fd} and {fd:NAME}")
	f.BoolVar(&o.fallback, "allow-fallback", false, "where memfd_secret is unavailable, use sealed memfd_create memory instead: much weaker (swappable, in the direct map, readable by root), with a warning; COMMAND sees SECRETCAT_MEMORY=fallback")
	o.passphrase.addFlags(c)
}

// secretFile is one FILE of the command line on its way to a descriptor.
type secretFile struct {
	path string
	name string
	plan crypt.Plan
	file *secretfd.File
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
	if err := o.passphrase.check(); err != nil {
		return err
	}
	if o.listenFds && o.fd != 3 {
		return usageError("--listen-fds needs the descriptors to start at 3, not %d", o.fd)
	}
	if o.fd < 3 {
		return usageError("--fd %d would replace standard input, output or error: use 3 or more", o.fd)
	}
	argv := command
	if !o.noSubst {
		if argv, err = substitute(command, files, o.fd); err != nil {
			return err
		}
	}

	// Claim the descriptor numbers before this process opens anything.
	targets := make([]int, len(files))
	for i := range targets {
		targets[i] = o.fd + i
	}
	slots, err := secretfd.Reserve(targets)
	if err != nil {
		return usageError("%v", err)
	}
	defer slots.Release()
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
	if err := hard.restore(); err != nil {
		return err
	}
	err = syscall.Exec(path, argv, o.environ(files, memory))
	return execError(command[0], err)
}

// plan names each FILE and checks the names.
func (o *runOptions) plan(paths []string) ([]*secretFile, error) {
	if len(o.names) > len(paths) {
		return nil, usageError("%d --name flags for %d files", len(o.names), len(paths))
	}
	files := make([]*secretFile, len(paths))
	seen := map[string]string{}
	for i, p := range paths {
		name := defaultName(p)
		if i < len(o.names) {
			name = o.names[i]
		}
		if err := checkName(name); err != nil {
			return nil, usageError("%s: %v", p, err)
		}
		if other, dup := seen[name]; dup {
			return nil, usageError("%s and %s have the same name %q: give each a distinct --name", other, p, name)
		}
		seen[name] = p
		files[i] = &secretFile{path: p, name: name}
	}
	return files, nil
}

// defaultName is FILE's base name without .age, or "stdin" for -.
func defaultName(path string) string {
	if path == "-" {
		return "stdin"
	}
	return strings.TrimSuffix(filepath.Base(path), ".age")
}

// checkName accepts the names that fit in SECRETCAT_FDNAMES, LISTEN_FDNAMES
// and {fd:NAME}: printable ASCII without spaces, ':', ',', '{' or '}'.
func checkName(name string) error {
	if name == "" || len(name) > 255 {
		return fmt.Errorf("descriptor name must have 1 to 255 characters: use --name")
	}
	for _, r := range name {
		if r <= ' ' || r > '~' || strings.ContainsRune(":,{}", r) {
			return fmt.Errorf("descriptor name %q may not contain %q: use --name", name, r)
		}
	}
	return nil
}

// memoryKind checks, before any passphrase is asked for, that secret memory
// works, and chooses the fallback when it does not and --allow-fallback
// permits it.
func (o *runOptions) memoryKind() (string, error) {
	err := secretfd.Available()
	if err == nil {
		return secretfd.MemorySecret, nil
	}
	if !o.fallback {
		return "", err
	}
	warnf("WARNING: %v", err)
	warnf("WARNING: --allow-fallback: secrets go to ordinary sealed memory (memfd_create): they stay in the kernel's direct map, may be swapped out, and root can read them")
	return secretfd.MemoryFallback, nil
}

// decrypt reads and checks every FILE, makes sure their secret memory fits
// the locked-memory limit, then decrypts each into its own secret file.
func (o *runOptions) decrypt(files []*secretFile, memory string) error {
	ids, err := o.loadIdentities(files)
	if err != nil {
		return err
	}
	defer crypt.WipeIdentities(ids.Age)
	defer o.passphrase.wipe()
	sizes := make([]int64, len(files))
	for i, f := range files {
		in, err := crypt.Open(f.path, o.stdin)
		if err != nil {
			return fileError(f.path, err)
		}
		ids.Passphrase = o.passphrase.source(in.Name)
		f.plan, err = in.Prepare(ids)
		if err != nil {
			in.Close()
			return fileError(f.path, err)
		}
		defer in.Close()
		sizes[i] = f.plan.Size()
	}
	create := secretfd.Create
	if memory == secretfd.MemoryFallback {
		create = secretfd.CreateFallback
	} else if err := secretfd.EnsureMemlock(sizes...); err != nil {
		paths := make([]string, len(files))
		for i, f := range files {
			paths[i] = displayPath(f.path)
		}
		return &exitError{code: ExitMemlock, err: fmt.Errorf("%s: %w", strings.Join(paths, ", "), err)}
	}
	for _, f := range files {
		if f.file, err = create(f.plan.Size()); err != nil {
			return fileError(f.path, err)
		}
		err := f.plan.Decrypt(f.file.Bytes())
		f.plan = nil
		if err != nil {
			return fileError(f.path, err)
		}
		if err := f.file.Seal(); err != nil {
			return fileError(f.path, err)
		}
	}
	return nil
}

// fileError prefixes err with the file it concerns.
func fileError(path string, err error) error {
	return &exitError{code: exitCode(err), err: fmt.Errorf("%s: %w", displayPath(path), err)}
}

// displayPath is how messages name a FILE argument.
func displayPath(path string) string {
	if path == "-" {
		return "standard input"
	}
	return path
}

// closeAll wipes and closes whatever secret files and keys exist.
func closeAll(files []*secretFile) {
	for _, f := range files {
		if f.plan != nil {
			f.plan.Discard()
		}
		if f.file != nil {
			f.file.Close()
		}
	}
}

var placeholder = regexp.MustCompile(`\{fd(?::([^{}]*))?\}`)

// substitute replaces {fd} with the first descriptor and {fd:NAME} with the
// descriptor named NAME in every argument but COMMAND itself.
func substitute(command []string, files []*secretFile, first int) ([]string, error) {
	argv := append([]string{command[0]}, command[1:]...)
	for i := 1; i < len(argv); i++ {
		var unknown string
		argv[i] = placeholder.ReplaceAllStringFunc(argv[i], func(m string) string {
			name := placeholder.FindStringSubmatch(m)[1]
			if m == "{fd}" {
				return strconv.Itoa(first)
			}
			for j, f := range files {
				if f.name == name {
					return strconv.Itoa(first + j)
				}
			}
			unknown = name
			return m
		})
		if unknown != "" {
			return nil, usageError("argument %q refers to {fd:%s}, but no FILE is named %q (names: %s)", command[i], unknown, unknown, strings.Join(names(files), ", "))
		}
	}
	return argv, nil
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
		set["LISTEN_FDS"] = strconv.Itoa(len(files))
		set["LISTEN_PID"] = strconv.Itoa(os.Getpid())
		set["LISTEN_FDNAMES"] = set[secretfd.EnvFdNames]
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
