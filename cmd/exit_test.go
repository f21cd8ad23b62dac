package cmd

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/secretcat/secretcat/crypt"
	"github.com/secretcat/secretcat/secretfd"
)

// Each failure gets the status that the table in --help gives it.
func TestExitCode(t *testing.T) {
	secretErr := func(op string, errno error) error {
		// As secretfd.Create and Available make them.
		err := &secretfd.Error{Op: op, Err: errno}
		switch {
		case op == "memfd_secret" && errno == unix.ENOSYS:
			err.Kind = secretfd.Unsupported
		case op == "memfd_secret" && errno == unix.EPERM:
			err.Kind = secretfd.Refused
		case op == "mmap":
			err.Kind = secretfd.OverLimit
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
		{"EMFILE reserving", &secretfd.NoFileError{First: 3, Last: 3, Limit: 3}, ExitFailure},
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

// The exit statuses in --help, the README and the man page are one table.
func TestExitStatusTables(t *testing.T) {
	clean := func(s string) string {
		return strings.Join(strings.Fields(strings.NewReplacer("`", "", "*", "").Replace(s)), " ")
	}
	help := map[string]string{}
	last := ""
	for _, line := range strings.Split(exitStatusHelp, "\n") {
		if f := strings.Fields(line); len(f) > 1 && strings.HasPrefix(line, "    ") && !strings.HasPrefix(line, "     ") {
			last = f[0]
			help[last] = clean(strings.Join(f[1:], " "))
		} else if last != "" {
			help[last] = clean(help[last] + " " + line)
		}
	}
	if help["0"] == "" || help["127"] == "" {
		t.Fatalf("--help lists %d statuses: %v", len(help), help)
	}
	for _, doc := range []string{"../README.md", "../docs/man/src/secretcat.md", "../docs/man/src/secretcat-run.md"} {
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
		for status, meaning := range help {
			if table[status] != meaning {
				t.Errorf("%s: status %s is %q; --help says %q", doc, status, table[status], meaning)
			}
		}
		if len(table) != len(help) {
			t.Errorf("%s lists %d statuses, --help %d", doc, len(table), len(help))
		}
	}
}
