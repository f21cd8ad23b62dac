package cmd

import (
	"strings"
	"testing"
)

// TestExtractFiles: --extract FILE=EXPR goes to the FILE that it starts
// with, followed by "=[", the shortest if several do (EXPR may hold "=",
// and so may a FILE); one --extract a FILE, and none for a FILE that is
// not on the command line.
func TestExtractFiles(t *testing.T) {
	for _, tc := range []struct {
		extracts []string
		want     map[string]string // FILE: EXPR
		err      string
	}{
		{[]string{`a.yaml=["k"]`}, map[string]string{"a.yaml": `["k"]`}, ""},
		{[]string{`a.yaml=["k=v"]`, `b=[0]`}, map[string]string{"a.yaml": `["k=v"]`, "b": `[0]`}, ""},
		{[]string{`b=[c].yaml=["x"]`}, map[string]string{"b": `[c].yaml=["x"]`}, ""},
		{[]string{`./b=[c].yaml=["x"]`}, map[string]string{"./b=[c].yaml": `["x"]`}, ""},
		{[]string{`a.yaml=["k"]`, `a.yaml=[0]`}, nil, "a.yaml has an --extract already"},
		{[]string{`other.yaml=["k"]`}, nil, "give FILE=EXPR"},
		{[]string{`a.yaml="k"`}, nil, "give FILE=EXPR"},
	} {
		files := []*secretFile{{path: "a.yaml"}, {path: "b"}, {path: "b=[c].yaml"}, {path: "./b=[c].yaml"}}
		o := &decryptOptions{extracts: tc.extracts}
		err := o.extractFiles(files)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) || exitCode(err) != ExitUsage {
				t.Errorf("%q: got %v, want a usage error saying %q", tc.extracts, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.extracts, err)
			continue
		}
		for _, f := range files {
			if f.extract != tc.want[f.path] {
				t.Errorf("%q: %s gets %q, want %q", tc.extracts, f.path, f.extract, tc.want[f.path])
			}
		}
	}
}
