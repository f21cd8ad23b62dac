package cmd

import "testing"

func TestExpandPlaceholders(t *testing.T) {
	fds := map[string]string{"": "3", "tls.key": "3", "ca": "4", "a-b_c@1": "5"}
	value := func(kind, name string) (string, bool) {
		fd, ok := fds[name]
		if kind == "path" {
			fd = "/dev/fd/" + fd
		}
		return fd, ok
	}
	for _, tc := range []struct{ in, want, unknown string }{
		{"plain", "plain", ""},
		{"{fd}", "3", ""},
		{"--key-fd={fd}", "--key-fd=3", ""},
		{"{fd:ca}{fd}", "43", ""},
		{"/dev/fd/{fd:tls.key},{fd:a-b_c@1}", "/dev/fd/3,5", ""},
		{"{fd", "{fd", ""},
		{"{fd:ca", "{fd:ca", ""},
		{"{fdx}", "{fdx}", ""},
		{"{fd:{fd}}", "{fd:3}", ""},
		{"{{fd}}", "{3}", ""},
		{"{fd:}", "3", ""}, // an empty name is the first descriptor, like {fd}
		{"{fd:nope}", "", "{fd:nope}"},
		{"{path}", "/dev/fd/3", ""},
		{"--key={path:ca},{fd:ca}", "--key=/dev/fd/4,4", ""},
		{"{path:}", "/dev/fd/3", ""},
		{"{pathx}{path", "{pathx}{path", ""},
		{"{path:{fd}}", "{path:3}", ""},
		{"{path:nope}", "", "{path:nope}"},
		{"{}{:ca}{FD}", "{}{:ca}{FD}", ""},
	} {
		got, unknown := expandPlaceholders(tc.in, value)
		if got != tc.want || unknown != tc.unknown {
			t.Errorf("%q: got %q (unknown %q), want %q (unknown %q)", tc.in, got, unknown, tc.want, tc.unknown)
		}
	}
}
