package cmd

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/spf13/cobra"
)

// maxHelpLines is about one screen.
const maxHelpLines = 60

// TestHelpFits: every command's --help fits 80 columns and about one
// screen, and says where the details are.
func TestHelpFits(t *testing.T) {
	root := NewCommand(os.Stdin)
	for _, c := range append([]*cobra.Command{root}, root.Commands()...) {
		if c != root && !c.IsAvailableCommand() {
			continue
		}
		args := append(strings.Fields(c.CommandPath())[1:], "--help")
		root := NewCommand(os.Stdin)
		var out bytes.Buffer
		root.SetOut(&out)
		root.SetArgs(args)
		if err := root.Execute(); err != nil {
			t.Fatalf("%s: %v", args, err)
		}
		lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
		if len(lines) > maxHelpLines {
			t.Errorf("%s --help has %d lines, more than %d", c.CommandPath(), len(lines), maxHelpLines)
		}
		for _, l := range lines {
			if utf8.RuneCountInString(l) > helpWidth {
				t.Errorf("%s --help: line wider than %d columns: %q", c.CommandPath(), helpWidth, l)
			}
		}
		if strings.ContainsAny(out.String(), "`") {
			t.Errorf("%s --help shows a backquote", c.CommandPath())
		}
		if page := "man " + strings.ReplaceAll(c.CommandPath(), " ", "-"); !strings.Contains(out.String(), page) {
			t.Errorf("%s --help does not point to %q", c.CommandPath(), page)
		}
	}
}

// TestNoStrayLineBreaks: the descriptions of the commands and the
// hand-written man page sections break lines only where the next word
// would not fit: a short line in the middle of a paragraph shows as a
// stray break wherever the text is not refilled.
func TestNoStrayLineBreaks(t *testing.T) {
	texts := map[string]string{}
	root := NewCommand(os.Stdin)
	for _, c := range append([]*cobra.Command{root}, root.Commands()...) {
		texts[c.CommandPath()+" Long"] = c.Long
	}
	srcs, _ := filepath.Glob(filepath.Join(manDir, "src", "*.md"))
	for _, f := range append(srcs, "../README.md") {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		texts[f] = string(b)
	}
	for what, text := range texts {
		for _, l := range strayBreaks(text, 64) {
			t.Errorf("%s: stray line break after %q", what, l)
		}
	}
}

// strayBreaks returns the lines of running text after which the first
// word of the next line would still have fit within width columns. Code
// (indented or fenced), tables, headings and list items do not count.
func strayBreaks(text string, width int) []string {
	var stray []string
	lines := strings.Split(text, "\n")
	fenced := false
	running := func(l string) bool {
		return l != "" && !strings.HasPrefix(l, "    ") && !strings.HasPrefix(l, "\t") &&
			!strings.HasPrefix(l, "|") && !strings.HasPrefix(l, "#") && !strings.HasPrefix(l, ":")
	}
	for i := 0; i+1 < len(lines); i++ {
		l, next := lines[i], lines[i+1]
		if strings.HasPrefix(l, "```") {
			fenced = !fenced
			continue
		}
		if fenced || strings.HasPrefix(next, "```") || !running(l) || !running(next) {
			continue
		}
		nextTrim := strings.TrimSpace(next)
		if strings.HasPrefix(nextTrim, "- ") || strings.HasPrefix(nextTrim, "* ") || strings.HasPrefix(nextTrim, "**") {
			continue // a new list item or definition
		}
		if word, _, _ := strings.Cut(nextTrim, " "); utf8.RuneCountInString(l)+1+utf8.RuneCountInString(word) <= width {
			stray = append(stray, l)
		}
	}
	return stray
}
