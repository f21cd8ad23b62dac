package cmd

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/secretcat/secretcat/crypt"
	"github.com/secretcat/secretcat/internal/fdplace"
	"github.com/secretcat/secretcat/internal/secretmem"
	"golang.org/x/sys/unix"
)

// TestExplainNamesFlags: what a library error needs is worded by the flags
// that give it, here and only here.
func TestExplainNamesFlags(t *testing.T) {
	for _, tc := range []struct {
		err  error
		flag string
	}{
		{&crypt.Error{Kind: crypt.NoKey, Need: crypt.NeedIdentity, Err: errors.New("no identity matched")}, "-i"},
		{&crypt.Error{Kind: crypt.Undecryptable, Need: crypt.NeedPassphrase, Err: errors.New("no passphrase source")}, "--passphrase-file"},
		{&crypt.Error{Kind: crypt.Malformed, Need: crypt.NeedUnencrypted, Err: errors.New("no encrypted key")}, "--allow-unencrypted"},
		{&crypt.Error{Kind: crypt.Malformed, Need: crypt.NeedDERKey, Err: errors.New("no DER form")}, "--der"},
		{fmt.Errorf("key.sock: %w", &fdplace.NotSecretError{N: 1, Of: 1, Sealed: true}), "--allow-fallback"},
	} {
		if got := explain(tc.err); !strings.Contains(got, tc.flag) {
			t.Errorf("%v: explained as %q, which does not name %s", tc.err, got, tc.flag)
		}
	}
	for _, err := range []error{
		&crypt.Error{Kind: crypt.Malformed, Err: errors.New("invalid header")},
		&fdplace.NotSecretError{N: 1, Of: 2},
		errors.New("anything else"),
	} {
		if got := explain(err); got != "" {
			t.Errorf("%v: explained as %q, want nothing", err, got)
		}
	}
}

// TestMemlockWordsFit: the locked-memory advice comes in lines a terminal
// shows whole.
func TestMemlockWordsFit(t *testing.T) {
	for _, err := range []error{
		&secretmem.LimitError{Need: 2 << 20, Limit: secretmem.Memlock{Soft: 1 << 20, Hard: 1 << 20}},
		secretmem.NewError("mmap", 4096, unix.EAGAIN),
	} {
		words := explain(err)
		if !strings.HasPrefix(words, "\n  ") {
			t.Errorf("%v: advice %q does not start on a line of its own", err, words)
		}
		for _, line := range strings.Split(words, "\n") {
			if len(line) > 80 {
				t.Errorf("%v: line of %d characters: %q", err, len(line), line)
			}
		}
	}
}
