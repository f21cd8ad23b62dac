package cmd

import (
	"fmt"
	"os"
	"path/filepath"

	"filippo.io/age/plugin"

	"github.com/secretcat/secretcat/crypt"
)

// EnvIdentity names the identity files used when no -i is given, separated
// by colons, for unattended use.
const EnvIdentity = "SECRETCAT_IDENTITY"

// loadIdentities reads the -i identity files, or those of SECRETCAT_IDENTITY.
func (o *decryptOptions) loadIdentities(files []*secretFile) (crypt.Options, error) {
	paths := o.identities
	if len(paths) == 0 {
		if env := os.Getenv(EnvIdentity); env != "" {
			paths = filepath.SplitList(env)
		}
	}
	filePaths := make([]string, len(files))
	for i, f := range files {
		filePaths[i] = f.path
	}
	if usesStdin(paths) && usesStdin(filePaths) {
		return crypt.Options{}, usageError("standard input (-) is named more than once among FILEs and -i")
	}
	parser := &crypt.IdentityParser{
		Prompt:   o.passphrase.read,
		PluginUI: plugin.NewTerminalUI(warnf, warnf),
	}
	var ids crypt.Options
	for _, p := range paths {
		parsed, err := parser.ParseFile(p, o.stdin)
		if err != nil {
			crypt.WipeIdentities(ids.Identities)
			return crypt.Options{}, err
		}
		ids.Identities = append(ids.Identities, parsed...)
	}
	return ids, nil
}

// warnf writes a message for the user on standard error.
func warnf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "secretcat: "+format+"\n", args...)
}
