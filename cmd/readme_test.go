package cmd_test

import (
	"os"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// fencedBlocks returns the bodies of markdown's ```LANG blocks in text, in
// order.
func fencedBlocks(text, lang string) []string {
	var blocks []string
	var cur *strings.Builder
	for _, line := range strings.Split(text, "\n") {
		switch {
		case cur == nil && line == "```"+lang:
			cur = &strings.Builder{}
		case cur != nil && line == "```":
			blocks = append(blocks, cur.String())
			cur = nil
		case cur != nil:
			cur.WriteString(line + "\n")
		}
	}
	return blocks
}

// mdblocks LANG FILE writes FILE's ```LANG blocks to standard output, in
// order: readme.txtar runs the README's sh blocks as a newcomer would.
func cmdMdblocks(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: mdblocks LANG FILE")
	}
	blocks := fencedBlocks(ts.ReadFile(args[1]), args[0])
	if len(blocks) == 0 {
		ts.Fatalf("%s has no ```%s block", args[1], args[0])
	}
	ts.Stdout().Write([]byte(strings.Join(blocks, "")))
}

// TestReadmeSnippets: the README's consumer snippets are excerpts of the
// examples, which examples.txtar runs: each of their lines is in the
// example of its language.
func TestReadmeSnippets(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for lang, example := range map[string]string{
		"go":     "../examples/consumer/main.go",
		"c":      "../examples/c/consumer.c",
		"python": "../examples/python/consumer.py",
	} {
		src, err := os.ReadFile(example)
		if err != nil {
			t.Fatal(err)
		}
		lines := map[string]bool{}
		for _, l := range strings.Split(string(src), "\n") {
			lines[strings.TrimSpace(l)] = true
		}
		blocks := fencedBlocks(string(readme), lang)
		if len(blocks) == 0 {
			t.Errorf("README.md has no %s snippet", lang)
		}
		for _, b := range blocks {
			for _, l := range strings.Split(strings.TrimSpace(b), "\n") {
				if !lines[strings.TrimSpace(l)] {
					t.Errorf("README.md's %s snippet says %q, which %s does not", lang, l, example)
				}
			}
		}
	}
}
