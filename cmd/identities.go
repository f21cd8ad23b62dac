package cmd

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"filippo.io/age"
	"filippo.io/age/plugin"

	"github.com/secretcat/secretcat/crypt"
	"github.com/secretcat/secretcat/crypt/agefile"
)

// EnvIdentity names the identity files used when neither -i nor -j is
// given, separated by colons, for unattended use.
const EnvIdentity = "SECRETCAT_IDENTITY"

// identityPaths are the -i identity files, or those of SECRETCAT_IDENTITY
// when neither -i nor -j is given.
func (o *decryptOptions) identityPaths() []string {
	if len(o.pluginOrder) == 0 {
		if env := os.Getenv(EnvIdentity); env != "" {
			return filepath.SplitList(env)
		}
	}
	return o.identities
}

// checkSources checks that standard input is read for one thing at most,
// and the passphrase flags against the FILEs and identity files.
func (o *decryptOptions) checkSources(files []*secretFile) error {
	ids := o.identityPaths()
	targets := slices.Clone(ids)
	for _, f := range files {
		targets = append(targets, f.path)
	}
	stdin := ""
	switch {
	case slices.Contains(ids, "-") && slices.Contains(targets[len(ids):], "-"):
		return usageError("standard input (-) is named more than once among FILEs and -i")
	case slices.Contains(ids, "-"):
		stdin = "-i -"
	case slices.Contains(targets, "-"):
		stdin = "FILE -"
	}
	return o.passphrase.parse(targets, stdin)
}

// readsStdin reports whether a FILE, an identity or a passphrase is read
// from standard input.
func (o *decryptOptions) readsStdin(paths []string) bool {
	return slices.Contains(paths, "-") || slices.Contains(o.identityPaths(), "-") || o.passphrase.readsStdin()
}

// loadIdentities reads the identity files and makes the -j plugins'
// identities, in command-line order. An encrypted identity file asks for its
// passphrase as the identity file it is on the command line.
func (o *decryptOptions) loadIdentities() (crypt.Options, error) {
	ui := status.guard(plugin.NewTerminalUI(warnf, warnf))
	paths, plugins := o.identityPaths(), o.plugins
	order := o.pluginOrder
	if len(order) == 0 {
		order = make([]bool, len(paths)) // SECRETCAT_IDENTITY: files only
	}
	var ids crypt.Options
	for _, isPlugin := range order {
		if isPlugin {
			id, err := plugin.NewIdentityWithoutData(plugins[0], ui)
			if err != nil { // the flag checked the name already
				agefile.WipeIdentities(ids.Identities)
				return crypt.Options{}, usageError("-j %s: %v", plugins[0], err)
			}
			plugins = plugins[1:]
			ids.Identities = append(ids.Identities, id)
			continue
		}
		p := paths[0]
		paths = paths[1:]
		parser := &agefile.IdentityParser{
			Prompt:   func(what string) ([]byte, error) { return o.passphrase.read(p, what) },
			PluginUI: ui,
		}
		parsed, err := parser.ParseFile(p, o.stdin)
		if err != nil {
			agefile.WipeIdentities(ids.Identities)
			return crypt.Options{}, err
		}
		ids.Identities = append(ids.Identities, parsed...)
	}
	return ids, nil
}

// warnf writes a message for the user on standard error.
func warnf(format string, args ...any) {
	status.say(fmt.Sprintf("secretcat: "+format+"\n", args...))
}

// The places sops reads age identities from, used for SOPS documents when
// neither -i, -j nor SECRETCAT_IDENTITY is given.
const (
	envSopsAgeKey     = "SOPS_AGE_KEY"      // identities, as text
	envSopsAgeKeyFile = "SOPS_AGE_KEY_FILE" // an identity file
	sopsKeysFile      = "sops/age/keys.txt" // under the user's config directory
)

// identitiesGiven reports whether -i, -j or SECRETCAT_IDENTITY gives
// identities.
func (o *decryptOptions) identitiesGiven() bool {
	return len(o.pluginOrder) > 0 || os.Getenv(EnvIdentity) != ""
}

// sopsIdentities reads the identities sops itself would use: those of
// SOPS_AGE_KEY, of the file SOPS_AGE_KEY_FILE names, and of keys.txt in
// the user's config directory (sops/age/keys.txt under $XDG_CONFIG_HOME
// or ~/.config), all that exist, as sops does. None is not an error here:
// the document then fails for want of a key, naming these places.
func sopsIdentities() ([]age.Identity, error) {
	var ids []age.Identity
	parser := &agefile.IdentityParser{PluginUI: status.guard(plugin.NewTerminalUI(warnf, warnf))}
	if key := os.Getenv(envSopsAgeKey); key != "" {
		parsed, err := parser.Parse(envSopsAgeKey, []byte(key))
		if err != nil {
			return nil, err
		}
		ids = append(ids, parsed...)
	}
	paths := []string{}
	if path := os.Getenv(envSopsAgeKeyFile); path != "" {
		paths = append(paths, path)
	}
	if dir, err := os.UserConfigDir(); err == nil {
		if path := filepath.Join(dir, sopsKeysFile); fileExists(path) {
			paths = append(paths, path)
		}
	}
	for _, p := range paths {
		parsed, err := parser.ParseFile(p, nil)
		if err != nil {
			agefile.WipeIdentities(ids)
			return nil, err
		}
		ids = append(ids, parsed...)
	}
	return ids, nil
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
