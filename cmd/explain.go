package cmd

import (
	"errors"
	"fmt"
	"strings"

	"github.com/secretcat/secretcat/crypt"
	"github.com/secretcat/secretcat/internal/diagnose"
	"github.com/secretcat/secretcat/internal/fdplace"
	"github.com/secretcat/secretcat/internal/secretmem"
)

// explain is what the command line adds to the message of err: the
// libraries state facts, and only cmd knows its flags, or asks for the
// diagnosis of this system, once, when secret memory failed.
func explain(err error) string {
	var ce *crypt.Error
	var ns *fdplace.NotSecretError
	var se *secretmem.Error
	var le *secretmem.LimitError
	switch {
	case errors.As(err, &ce):
		return needWords[ce.Need]
	case errors.As(err, &ns) && ns.Sealed:
		return ": accept it with --allow-fallback"
	case errors.As(err, &se) && (se.Kind == secretmem.Unsupported || se.Kind == secretmem.Refused):
		d := diagnose.Diagnose(se)
		return fmt.Sprintf("; %s; to fix: %s", d.Reason, fixWords(d))
	case errors.As(err, &se) && se.Kind == secretmem.OverLimit:
		return memlockWords(se.Size)
	case errors.As(err, &le):
		return memlockWords(le.Need)
	}
	return ""
}

// needWords says, by the flags that give it, what a failed decryption
// needs.
var needWords = [...]string{
	crypt.NeedNothing:      "",
	crypt.NeedIdentity:     "; pass the matching identity file with -i (or set SECRETCAT_IDENTITY), or a plugin with -j",
	crypt.NeedPassphrase:   ": use --passphrase-file or --passphrase-fd, or run from a terminal",
	crypt.NeedUnencrypted:  "; to pass the file through as it is, use --allow-unencrypted",
	crypt.NeedDERKey:       "; --der needs a file with a single encrypted PKCS#8 or legacy key",
	crypt.NeedSOPSIdentity: "; pass the matching identity file with -i (or set SECRETCAT_IDENTITY), or put it where sops looks: SOPS_AGE_KEY_FILE, SOPS_AGE_KEY, or sops/age/keys.txt in the user's configuration directory",
}

// fixWords is the fix of a diagnosis, with the flag that accepts ordinary
// memory where that is the other way out.
func fixWords(d diagnose.Diagnosis) string {
	if d.Fallback {
		return d.Fix + ", or accept ordinary memory with --allow-fallback"
	}
	return d.Fix
}

// memlockWords says, in lines a terminal shows whole, which locked-memory
// limit keeps need bytes of secret memory from being mapped, and how to
// raise it.
func memlockWords(need int64) string {
	a := diagnose.Memlock(diagnose.GatherFacts(), need)
	var b strings.Builder
	if a.Note != "" {
		b.WriteString("\n  " + a.Note)
	}
	b.WriteString("\n  " + a.Binds + ":")
	for _, s := range a.Steps {
		b.WriteString("\n    " + s)
	}
	return b.String()
}
