package cmd

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
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

// The exit statuses are one table, secretcat(1)'s: it lists every status
// secretcat has, the README shows the same table, and no other man page
// repeats it.
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
	statuses := []int{0, ExitFailure, ExitUsage, ExitInput, ExitDecrypt, ExitUnavailable, ExitMemlock, ExitPreload, ExitCannotExec, ExitNotFound}
	for _, s := range statuses {
		if truth[strconv.Itoa(s)] == "" {
			t.Errorf("secretcat(1) does not list exit status %d", s)
		}
	}
	if len(truth) != len(statuses) {
		t.Errorf("secretcat(1) lists %d statuses, secretcat has %d: %v", len(truth), len(statuses), truth)
	}
	readme := tableOf("../README.md")
	for status, meaning := range truth {
		if readme[status] != meaning {
			t.Errorf("README.md: status %s is %q; secretcat(1) says %q", status, readme[status], meaning)
		}
	}
	if len(readme) != len(truth) {
		t.Errorf("README.md lists %d statuses, secretcat(1) %d", len(readme), len(truth))
	}
	pages, _ := filepath.Glob("../docs/man/src/*.md")
	for _, page := range pages {
		if filepath.Base(page) != "secretcat.md" && len(tableOf(page)) > 0 {
			t.Errorf("%s has a status table: refer to secretcat(1)'s instead", page)
		}
	}
}
