// Package testenv answers, for tests, what differs from machine to machine:
// whether they run in CI, where nothing may be skipped, and whether the
// tools they need are there.
package testenv

import (
	"os"
	"os/exec"
	"strconv"
	"testing"
)

// CI reports whether the tests run in continuous integration: the CI
// variable is set and is not a false boolean ("0", "false"), as CI
// services and .ci/run set it. There .ci/run has installed every tool the
// suite uses and runs it as root, so a test that would skip fails instead.
func CI() bool {
	v := os.Getenv("CI")
	b, err := strconv.ParseBool(v)
	return v != "" && (err != nil || b)
}

// Tool returns the path of the program name. Where it is missing, t is
// skipped, saying so, or fails in CI: .ci/run must install it.
func Tool(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		missing(t, name+" is not installed (.ci/run installs it)")
	}
	return path
}

func missing(t testing.TB, what string) {
	t.Helper()
	if CI() {
		t.Fatal(what + "; in CI nothing may be skipped")
	}
	t.Skip(what)
}

// Optional returns the path of the program name, or "" where it is
// missing, after logging that what needs it is not checked; in CI it fails
// t instead.
func Optional(t testing.TB, name, unchecked string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if CI() {
			t.Fatalf("%s is not installed (.ci/run installs it); in CI nothing may be skipped", name)
		}
		t.Logf("%s is not installed: %s", name, unchecked)
	}
	return path
}
