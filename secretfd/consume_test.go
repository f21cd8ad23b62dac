package secretfd

import (
	"errors"
	"strings"
	"testing"

	"github.com/secretcat/secretcat/internal/secretmem"
	"golang.org/x/sys/unix"
)

func TestParseFd(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
	}{
		{"0", 0}, {"3", 3}, {"007", 7}, {"2147483647", MaxFd},
		// Nothing wraps around to a small descriptor at 2^32.
		{"2147483648", -1}, {"4294967296", -1}, {"4294967297", -1}, {"4294967300", -1},
		{"99999999999999999999", -1},
		{"", -1}, {"-1", -1}, {"+3", -1}, {" 3", -1}, {"3 ", -1}, {"abc", -1}, {"0x3", -1}, {"3.0", -1},
	} {
		got, err := ParseFd(tc.in)
		if got != tc.want || (tc.want < 0) != errors.Is(err, ErrNotFd) {
			t.Errorf("ParseFd(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
}

func TestLookupRange(t *testing.T) {
	t.Setenv(EnvFd, "4294967299")
	if fd, err := Lookup(""); err == nil || err.Error() != `SECRETCAT_FD: "4294967299" is not a descriptor number (0 to 2147483647)` {
		t.Errorf("Lookup with SECRETCAT_FD=4294967299 = %d, %v", fd, err)
	}
	t.Setenv(EnvFds, "3,4294967300")
	t.Setenv(EnvFdNames, "a:b")
	if fd, err := Lookup("b"); err == nil {
		t.Errorf("Lookup(b) with SECRETCAT_FDS=3,4294967300 = %d, want an error", fd)
	}
	if fd, err := Lookup("a"); err != nil || fd != 3 {
		t.Errorf("Lookup(a) = %d, %v; want 3", fd, err)
	}
}

func TestMapRejectsOrdinaryFiles(t *testing.T) {
	fd, err := unix.MemfdCreate("plain", unix.MFD_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if _, err := Map(fd); err == nil || !strings.Contains(err.Error(), "not a secret-memory file") {
		t.Errorf("Map of an ordinary memfd: %v", err)
	}
}

func TestParseOfferRefuses(t *testing.T) {
	for _, bad := range []string{"", "fd=5 name=x size=1", "fd=x name=x size=1 pid=1"} {
		if _, err := ParseOffer(bad); err == nil {
			t.Errorf("ParseOffer(%q) accepted", bad)
		}
	}
}

// TestMapErrorOverLimit: a consumer over its locked-memory limit is told
// which limit to raise, and how.
func TestMapErrorOverLimit(t *testing.T) {
	err := mapError(5, secretmem.NewError("mmap", 4096, unix.EAGAIN))
	for _, want := range []string{"descriptor 5: ", "locked-memory limit", "ulimit -l", "LimitMEMLOCK="} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not say %q", err, want)
		}
	}
	var se *secretmem.Error
	if !errors.As(err, &se) || se.Kind != secretmem.OverLimit {
		t.Errorf("%v does not unwrap to the OverLimit error", err)
	}
}
