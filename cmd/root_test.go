package cmd

import (
	"bytes"
	"errors"
	"regexp"
	"testing"
)

// An unexpected panic is an internal error with status 1, not Go's status
// 2 (a usage error) and a stack trace.
func TestGuardRecoversPanics(t *testing.T) {
	var secret = []byte("AGE-SECRET-KEY-1")
	for _, tc := range []struct {
		panicking func() int
		want      string
	}{
		{func() int { var s []int; return s[len(secret)] }, `^secretcat: internal error: runtime error: index out of range \[16\] with length 0 in github.com/secretcat/secretcat/cmd.TestGuardRecoversPanics.func1 \(root_test.go:\d+\): this is a bug in secretcat; please report it with the command line that caused it\n$`},
		{func() int { panic(errors.New("boom")) }, `^secretcat: internal error: boom in .*func2 \(root_test.go:\d+\): this is a bug`},
		{func() int { panic("a string") }, `^secretcat: internal error: a string in .*func3 `},
		// Other values could hold secrets: only their type is shown.
		{func() int { panic(secret) }, `^secretcat: internal error: panic with a \[\]uint8 in .*func4 `},
	} {
		var out bytes.Buffer
		if code := guard(&out, tc.panicking); code != ExitFailure {
			t.Errorf("status %d, want %d", code, ExitFailure)
		}
		if !regexp.MustCompile(tc.want).MatchString(out.String()) {
			t.Errorf("message %q, want %s", out.String(), tc.want)
		}
		if bytes.Contains(out.Bytes(), secret) {
			t.Errorf("message %q shows the panic's value", out.String())
		}
	}
	var out bytes.Buffer
	if code := guard(&out, func() int { return ExitDecrypt }); code != ExitDecrypt || out.Len() != 0 {
		t.Errorf("without a panic: status %d, output %q", code, out.String())
	}
}
