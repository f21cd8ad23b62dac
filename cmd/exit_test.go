package cmd

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/secretcat/secretcat/crypt"
	"github.com/secretcat/secretcat/internal/fdplace"
	"github.com/secretcat/secretcat/internal/secretmem"
)

// Each failure gets the status that the table in --help gives it.
func TestExitCode(t *testing.T) {
	secretErr := func(op string, errno error) error {
		// As secretmem.Create and Available make them.
		err := &secretmem.Error{Op: op, Err: errno}
		switch {
		case op == "memfd_secret" && errno == unix.ENOSYS:
			err.Kind = secretmem.Unsupported
		case op == "memfd_secret" && errno == unix.EPERM:
			err.Kind = secretmem.Refused
		case op == "mmap":
			err.Kind = secretmem.OverLimit
		}
		return fmt.Errorf("a.age: %w", err)
	}
	for _, tc := range []struct {
		what string
		err  error
		want int
	}{
		{"no memfd_secret", secretErr("memfd_secret", unix.ENOSYS), ExitUnavailable},
		{"memfd_secret refused", secretErr("memfd_secret", unix.EPERM), ExitUnavailable},
		{"over RLIMIT_MEMLOCK", secretErr("mmap", unix.EAGAIN), ExitMemlock},
		// Running out of descriptors is neither a lack of secret memory
		// nor a malformed file.
		{"EMFILE from memfd_secret", secretErr("memfd_secret", unix.EMFILE), ExitFailure},
		{"ENFILE from memfd_secret", secretErr("memfd_secret", unix.ENFILE), ExitFailure},
		{"EMFILE opening a file", &crypt.Error{Kind: crypt.Malformed, Err: fmt.Errorf("identity file id.txt: %w", unix.EMFILE)}, ExitFailure},
		{"EMFILE reserving", &fdplace.NoFileError{First: 3, Last: 3, Limit: 3}, ExitFailure},
		{"missing file", &crypt.Error{Kind: crypt.Malformed, Err: unix.ENOENT}, ExitInput},
		{"wrong identity", &crypt.Error{Kind: crypt.Undecryptable, Err: errors.New("no identity matched")}, ExitDecrypt},
		{"no identity given", &crypt.Error{Kind: crypt.NoKey, Err: errors.New("no identity was given")}, ExitUsage},
		{"other", errors.New("other"), ExitFailure},
	} {
		if got := exitCode(tc.err); got != tc.want {
			t.Errorf("%s: status %d, want %d", tc.what, got, tc.want)
		}
	}
}

func TestDescriptorHint(t *testing.T) {
	var rl unix.Rlimit
	unix.Getrlimit(unix.RLIMIT_NOFILE, &rl)
	want := fmt.Sprintf(" (secretcat ran out of descriptors: the limit is %d; raise it with 'ulimit -n' or LimitNOFILE= in a systemd unit)", rl.Cur)
	if got := descriptorHint(fmt.Errorf("x: %w", unix.EMFILE)); got != want {
		t.Errorf("EMFILE: %q, want %q", got, want)
	}
	if got := descriptorHint(unix.ENOENT); got != "" {
		t.Errorf("ENOENT: %q", got)
	}
}

// The exit statuses in the README and the man pages are one table:
// secretcat(1)'s.
func TestExitStatusTables(t *testing.T) {
	clean := func(s string) string {
		return strings.Join(strings.Fields(strings.NewReplacer("`", "", "*", "").Replace(s)), " ")
	}
	tableOf := func(doc string) map[string]string {
		data, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		table := map[string]string{}
		for _, line := range strings.Split(string(data), "\n") {
			if f := strings.Split(line, "|"); len(f) == 4 && strings.Trim(f[1], " 0123456789") == "" {
				table[strings.TrimSpace(f[1])] = clean(f[2])
			}
		}
		return table
	}
	truth := tableOf("../docs/man/src/secretcat.md")
	if truth["0"] == "" || truth["127"] == "" {
		t.Fatalf("secretcat(1) lists %d statuses: %v", len(truth), truth)
	}
	for _, doc := range []string{"../README.md", "../docs/man/src/secretcat-run.md"} {
		table := tableOf(doc)
		for status, meaning := range truth {
			if table[status] != meaning {
				t.Errorf("%s: status %s is %q; secretcat(1) says %q", doc, status, table[status], meaning)
			}
		}
		if len(table) != len(truth) {
			t.Errorf("%s lists %d statuses, secretcat(1) %d", doc, len(table), len(truth))
		}
	}
}
