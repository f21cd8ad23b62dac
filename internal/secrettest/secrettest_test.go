package secrettest

import (
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestDecide(t *testing.T) {
	for _, tc := range []struct {
		err        error
		goarch     string
		ci         bool
		skip, fail bool
	}{
		{nil, "amd64", true, false, false},
		{nil, "arm64", false, false, false},
		{unix.ENOSYS, "arm64", true, true, false},  // qemu-user on CI
		{unix.ENOSYS, "amd64", false, true, false}, // a developer's old kernel
		{unix.EPERM, "riscv64", false, true, false},
		{unix.ENOSYS, "amd64", true, false, true}, // amd64 CI must have it
		{unix.EPERM, "amd64", true, false, true},
		{unix.EMFILE, "arm64", false, false, true}, // not unavailability
	} {
		why, err := decide(tc.err, tc.goarch, tc.ci)
		if (why != "") != tc.skip || (err != nil) != tc.fail {
			t.Errorf("decide(%v, %s, CI %v) = %q, %v", tc.err, tc.goarch, tc.ci, why, err)
		}
		if tc.skip && !strings.Contains(why, tc.err.Error()) {
			t.Errorf("reason %q does not name the error", why)
		}
	}
}
