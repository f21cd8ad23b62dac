package cmd

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"filippo.io/age/plugin"
	"github.com/spf13/cobra"

	"github.com/secretcat/secretcat/crypt"
	"github.com/secretcat/secretcat/crypt/agefile"
	"github.com/secretcat/secretcat/internal/secretmem"
	"github.com/secretcat/secretcat/secretfd"
)

// decryptOptions are the flags that say how FILEs are decrypted, shared by
// the commands that decrypt (run, open).
type decryptOptions struct {
	identities       []string // -i, in order
	plugins          []string // -j, in order
	pluginOrder      []bool   // for each -i or -j in turn, whether it was -j
	names            []string
	extracts         []string // --extract FILE=EXPR
	fallback         bool
	der              bool
	allowUnencrypted bool
	passphrase       passphraseOptions
	stdin            io.Reader
	// alsoLocked is locked memory COMMAND needs beyond the FILEs (the
	// OpenSSL secret heap), named by alsoLockedFor in messages.
	alsoLocked    []int64
	alsoLockedFor string
}

func (o *decryptOptions) addFlags(c *cobra.Command) {
	f := c.Flags()
	f.VarP(identityFlag{o, false}, "identity", "i", "identity `FILE` (age, SSH or plugin); repeatable; - is standard input")
	f.VarP(identityFlag{o, true}, "plugin", "j", "the default identity of age plugin `NAME`, as age -d -j; repeatable")
	f.StringArrayVar(&o.names, "name", nil, "name FILE's descriptor: `FILE=NAME`, FILE as written (default: its base name without .age); repeatable")
	f.StringArrayVar(&o.extracts, "extract", nil, "SOPS `FILE=EXPR`: deliver only EXPR, as sops --extract")
	f.BoolVar(&o.fallback, "allow-fallback", false, "without memfd_secret, use much weaker sealed memfd_create memory, with a warning (SECRETCAT_MEMORY=fallback)")
	f.BoolVar(&o.der, "der", false, "deliver a PEM file's single key as DER instead of PEM")
	f.BoolVar(&o.allowUnencrypted, "allow-unencrypted", false, "let a PEM FILE without an encrypted key (a plain key, certificates) through")
	o.passphrase.addFlags(c)
}

// identityFlag is -i or -j. Both keep their order, as in age, so that
// "-j agent -i fallback.age" tries the plugin before asking for the
// passphrase of an encrypted identity file.
type identityFlag struct {
	o      *decryptOptions
	plugin bool
}

func (f identityFlag) Set(s string) error {
	if f.plugin {
		if plugin.EncodeIdentity(s, nil) == "" {
			return fmt.Errorf("%q is not an age plugin name (the NAME of age-plugin-NAME: letters, digits and - . + _)", s)
		}
		f.o.plugins = append(f.o.plugins, s)
	} else {
		f.o.identities = append(f.o.identities, s)
	}
	f.o.pluginOrder = append(f.o.pluginOrder, f.plugin)
	return nil
}

func (f identityFlag) String() string {
	if f.plugin {
		return strings.Join(f.o.plugins, ",")
	}
	return strings.Join(f.o.identities, ",")
}

func (f identityFlag) Type() string { return "stringArray" }

// secretFile is one FILE of the command line on its way to a descriptor.
type secretFile struct {
	path    string
	name    string
	extract string // --extract FILE=EXPR
	plan    crypt.Plan
	file    *secretmem.File
}

// plan names each FILE and checks the names.
func (o *decryptOptions) plan(paths []string) ([]*secretFile, error) {
	names, err := o.nameFiles(paths)
	if err != nil {
		return nil, err
	}
	files := make([]*secretFile, len(paths))
	seen := map[string]string{}
	for i, p := range paths {
		name, named := names[p]
		if !named {
			name = defaultName(p)
		}
		if err := checkName(name); err != nil {
			return nil, usageError("%s: %v", p, err)
		}
		if other, dup := seen[name]; dup {
			return nil, usageError("%s and %s have the same name %q: give each a distinct one with --name FILE=NAME", other, p, name)
		}
		seen[name] = p
		files[i] = &secretFile{path: p, name: name}
	}
	return files, o.extractFiles(files)
}

// extractFiles gives each FILE its --extract FILE=EXPR. EXPR starts with
// "[" and may hold "=", so FILE is the shortest FILE of the command line
// that v starts with, followed by "=[".
func (o *decryptOptions) extractFiles(files []*secretFile) error {
	for _, v := range o.extracts {
		var file *secretFile
		for _, f := range files {
			if strings.HasPrefix(v, f.path+"=[") && (file == nil || len(f.path) < len(file.path)) {
				file = f
			}
		}
		switch {
		case file == nil:
			return usageError("--extract %s: give FILE=EXPR, FILE as written among the FILEs and EXPR in sops's syntax, as in --extract %s='[\"key\"][0]'", v, files[0].path)
		case file.extract != "":
			return usageError("--extract %s: %s has an --extract already: give one", v, file.path)
		}
		file.extract = v[len(file.path)+1:]
	}
	return nil
}

// nameFiles maps each FILE that a --name FILE=NAME names to NAME. FILE is
// written as on the command line, and NAME, which cannot hold '=', follows
// the last '='. A name stands with its FILE, so that it cannot land on
// another one whatever the order of the flags and FILEs.
func (o *decryptOptions) nameFiles(paths []string) (map[string]string, error) {
	names := map[string]string{}
	for _, v := range o.names {
		i := strings.LastIndex(v, "=")
		if i < 0 {
			return nil, usageError("--name %s: give FILE=NAME, as in --name %s=%s: a name goes with the FILE it names, not by the order of the flags", v, paths[0], v)
		}
		file, name := v[:i], v[i+1:]
		switch {
		case slices.Contains(paths, file):
		case slices.Contains(paths, name):
			return nil, usageError("--name %s: %s is not a FILE of this command line, but %s is: give FILE=NAME, as in --name %s=%s", v, file, name, name, file)
		default:
			return nil, usageError("--name %s: %s is not a FILE of this command line (give FILE as it is written there)", v, file)
		}
		if prev, dup := names[file]; dup {
			return nil, usageError("--name %s=%s and --name %s both name %s: give one", file, prev, v, file)
		}
		names[file] = name
	}
	return names, nil
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
		return fmt.Errorf("descriptor name must have 1 to 255 characters: use --name FILE=NAME")
	}
	for _, r := range name {
		if r <= ' ' || r > '~' || strings.ContainsRune(":,{}", r) {
			return fmt.Errorf("descriptor name %q may not contain %q: use --name FILE=NAME", name, r)
		}
	}
	return nil
}

// memoryKind checks, before any passphrase is asked for, that secret memory
// works, and chooses the fallback when it does not and --allow-fallback
// permits it.
func (o *decryptOptions) memoryKind() (string, error) {
	err := secretmem.Available()
	if err == nil {
		return secretfd.MemorySecret, nil
	}
	var se *secretmem.Error
	if !o.fallback || !errors.As(err, &se) || (se.Kind != secretmem.Unsupported && se.Kind != secretmem.Refused) {
		return "", err
	}
	warnf("WARNING: %v", err)
	warnf("WARNING: --allow-fallback: secrets go to ordinary sealed memory (memfd_create): they stay in the kernel's direct map, may be swapped out, and root can read them")
	return secretfd.MemoryFallback, nil
}

// decrypt reads and checks every FILE, makes sure their secret memory fits
// the locked-memory limit, then decrypts each into its own secret file.
func (o *decryptOptions) decrypt(files []*secretFile, memory string) error {
	defer o.passphrase.wipe()
	status.start()
	defer status.stop()
	ids, err := o.loadIdentities()
	if err != nil {
		return err
	}
	defer func() { agefile.WipeIdentities(ids.Identities) }()
	create := secretmem.Create
	if memory == secretfd.MemoryFallback {
		create = secretmem.CreateFallback
	}
	ids.DER, ids.AllowUnencrypted = o.der, o.allowUnencrypted
	ids.Scratch = func(size int64) ([]byte, func(), error) {
		f, err := create(size)
		if err != nil {
			return nil, nil, err
		}
		return f.Bytes(), func() { f.Close() }, nil
	}

	sizes := make([]int64, len(files))
	for i, f := range files {
		status.set("reading "+displayPath(f.path), 0)
		in, err := crypt.Open(f.path, o.stdin)
		if err != nil {
			return fileError(f.path, err)
		}
		// Tried once: if sops's places hold no identity either, this
		// document fails below for want of one, before any other comes.
		if in.Format == crypt.SOPS && len(ids.Identities) == 0 && !o.identitiesGiven() {
			if ids.Identities, err = sopsIdentities(); err != nil {
				in.Close()
				return fileError(f.path, err)
			}
		}
		if err := o.checkFormatFlags(f, in.Format); err != nil {
			in.Close()
			return err
		}
		ids.Extract = f.extract
		ids.Passphrase = o.passphrase.source(f.path, in.Name)
		ids.Progress = status.set("unlocking "+displayPath(f.path), 0)
		f.plan, err = in.Prepare(ids)
		if err != nil {
			in.Close()
			return fileError(f.path, err)
		}
		defer in.Close()
		sizes[i] = f.plan.Size()
	}
	if memory == secretfd.MemorySecret {
		if err := secretmem.EnsureMemlock(append(sizes, o.alsoLocked...)...); err != nil {
			paths := make([]string, len(files))
			for i, f := range files {
				paths[i] = displayPath(f.path)
			}
			if o.alsoLockedFor != "" {
				paths = append(paths, o.alsoLockedFor)
			}
			return &exitError{code: ExitMemlock, err: fmt.Errorf("%s: %w", strings.Join(paths, ", "), err)}
		}
	}
	for _, f := range files {
		status.set("decrypting "+displayPath(f.path), f.plan.Size())
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

// checkFormatFlags refuses the flags that would do nothing for FILE, given
// its format: --extract is for SOPS documents, --der for PEM files.
func (o *decryptOptions) checkFormatFlags(f *secretFile, format crypt.Format) error {
	if f.extract != "" && format != crypt.SOPS {
		return usageError("--extract %s=%s: %s is not a SOPS document", f.path, f.extract, displayPath(f.path))
	}
	var what string
	switch format {
	case crypt.Age, crypt.AgeArmor:
		what = "an age file"
	case crypt.SOPS:
		what = "a SOPS document"
	}
	if o.der && what != "" {
		return usageError("--der: %s is %s, delivered as it decrypts: --der converts a PEM file's single encrypted key to DER; leave --der out, or give the key as an encrypted PEM file", displayPath(f.path), what)
	}
	return nil
}

// fileError prefixes err with the file it concerns. An error of secretcat's
// own, such as a passphrase source's, already names what it concerns (the
// identity file that needed the passphrase, say) and is returned as it is.
func fileError(path string, err error) error {
	var own *exitError
	if errors.As(err, &own) {
		return own
	}
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
