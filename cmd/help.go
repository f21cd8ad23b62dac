package cmd

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// helpWidth is the width --help fits in.
const helpWidth = 80

// flagDoc is how --help and the man pages show a flag.
type flagDoc struct {
	names string // "-i, --identity" or "--der"
	arg   string // "FILE", "[=SIZE]" for an optional value, "" for none
	usage string // without the backquotes that mark arg
}

// flagDocs lists the flags of fs that a user can give, in name order.
func flagDocs(fs *pflag.FlagSet) []flagDoc {
	var docs []flagDoc
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		arg, usage := pflag.UnquoteUsage(f)
		switch {
		case f.Value.Type() == "bool":
			arg = ""
		case f.NoOptDefVal != "": // the value is optional
			arg = "[=" + arg + "]"
		}
		if shownDefault(f.DefValue) && !strings.Contains(usage, "default") {
			usage += " (default " + f.DefValue + ")"
		}
		names := "--" + f.Name
		if f.Shorthand != "" {
			names = "-" + f.Shorthand + ", " + names
		}
		docs = append(docs, flagDoc{names: names, arg: arg, usage: usage})
	})
	return docs
}

// shownDefault reports whether a flag's default says something: not
// empty, zero, false, or a negative number that stands for "not given".
func shownDefault(v string) bool {
	switch v {
	case "", "0", "false", "0s", "[]":
		return false
	}
	return !strings.HasPrefix(v, "-")
}

// help writes c's --help: its usage, what it does in a line, its commands,
// its flags and examples, in 80 columns; the details are in its man page.
func help(c *cobra.Command, _ []string) {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: %s\n", c.UseLine())
	if c.HasAvailableSubCommands() {
		fmt.Fprintf(&b, "       %s COMMAND ...\n", c.CommandPath())
	}
	b.WriteString("\n" + strings.Join(wrap(summary(c), helpWidth), "\n") + "\n")
	if c.HasAvailableSubCommands() {
		b.WriteString("\nCommands:\n")
		var cmds []flagDoc
		for _, sub := range c.Commands() {
			if sub.IsAvailableCommand() {
				cmds = append(cmds, flagDoc{names: sub.Name(), usage: sub.Short})
			}
		}
		writeColumns(&b, cmds)
	}
	b.WriteString("\nFlags:\n")
	writeFlags(&b, flagDocs(c.Flags()))
	if c.Example != "" {
		fmt.Fprintf(&b, "\nExamples:\n%s\n", c.Example)
	}
	fmt.Fprintf(&b, "\nDetails, exit statuses and more examples: man %s\n", strings.ReplaceAll(c.CommandPath(), " ", "-"))
	io.WriteString(c.OutOrStdout(), b.String())
}

// summary is the first paragraph of c's description.
func summary(c *cobra.Command) string {
	if c.Long == "" {
		return c.Short + "."
	}
	first, _, _ := strings.Cut(c.Long, "\n\n")
	return first
}

// writeFlags writes one entry per flag: its names and value, then its
// usage in a column, wrapped to helpWidth.
func writeFlags(w io.Writer, docs []flagDoc) {
	heads := make([]flagDoc, len(docs))
	for i, d := range docs {
		head := d.names
		if d.arg != "" && !strings.HasPrefix(d.arg, "[=") {
			head += " "
		}
		head += d.arg
		if strings.HasPrefix(head, "--") {
			head = "    " + head // align long names after "-x, "
		}
		heads[i] = flagDoc{names: head, usage: d.usage}
	}
	writeColumns(w, heads)
}

// writeColumns writes each head indented by two, and its text in a column
// after the heads, wrapped to helpWidth. A head too wide for the column
// gets a line of its own.
func writeColumns(w io.Writer, entries []flagDoc) {
	const maxColumn = 2 + 24
	column := 0
	for _, e := range entries {
		if n := 2 + len(e.names); n <= maxColumn {
			column = max(column, n)
		}
	}
	column += 2
	for _, e := range entries {
		head := "  " + e.names
		if len(head) > column-2 {
			fmt.Fprintln(w, head)
			head = ""
		}
		for _, line := range wrap(e.usage, helpWidth-column) {
			fmt.Fprintf(w, "%-*s%s\n", column, head, line)
			head = ""
		}
	}
}

// wrap breaks text into lines of at most width columns, between words.
func wrap(text string, width int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(text) {
		switch {
		case line == "":
			line = word
		case len(line)+1+len(word) <= width:
			line += " " + word
		default:
			lines = append(lines, line)
			line = word
		}
	}
	return append(lines, line)
}
