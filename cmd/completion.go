package cmd

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// setCompletionCommand adds cobra's completion command, with its help
// fitted to secretcat's and a bash script that works without the
// bash-completion package.
func setCompletionCommand(root *cobra.Command) {
	root.InitDefaultCompletionCmd()
	c, _, err := root.Find([]string{"completion"})
	if err != nil || c == root {
		panic("cobra added no completion command")
	}
	c.Use = "completion bash|zsh|fish|powershell"
	c.DisableFlagsInUseLine = true
	c.Short = "Print a completion script for bash, zsh, fish or powershell"
	c.Long = "Print the shell completion script for the named shell on standard output. make install installs those for bash, zsh and fish."
	c.Example = `  secretcat completion bash \
      > ~/.local/share/bash-completion/completions/secretcat
  secretcat completion fish > ~/.config/fish/completions/secretcat.fish`
	// Without a shell, or with one cobra does not know, cobra would print
	// the help and exit 0, into the file meant for the script.
	c.RunE = func(c *cobra.Command, _ []string) error {
		return usageError("name a shell: bash, zsh, fish or powershell (see '%s --help')", c.CommandPath())
	}
	for _, shell := range append(c.Commands(), c) {
		shell.Args = usageArgs(shell.Args)
		if shell.Name() == "bash" {
			shell.Long = bashLong
			shell.RunE = bashCompletion
		}
	}
}

const bashLong = `Print the bash completion script on standard output. It works with or
without the bash-completion package.

To load completions in the current shell:

    source <(secretcat completion bash)

For every new shell, source it from ~/.bashrc, or with the bash-completion
package write it once to its directory:

    secretcat completion bash > ~/.local/share/bash-completion/completions/secretcat`

// bashCompletion writes cobra's bash script, then bashWords after it.
func bashCompletion(c *cobra.Command, _ []string) error {
	noDesc, _ := c.Flags().GetBool("no-descriptions")
	root, out := c.Root(), c.OutOrStdout()
	if err := root.GenBashCompletionV2(out, !noDesc); err != nil {
		return err
	}
	_, err := io.WriteString(out, strings.ReplaceAll(bashWords, "PROG", root.Name()))
	return err
}

// bashWords replaces the function of cobra's bash script that splits the
// command line into words. cobra's calls _get_comp_words_by_ref, which
// only the bash-completion package defines: without it, every TAB printed
// "_get_comp_words_by_ref: command not found". This one uses it when it is
// there, and otherwise joins the words that bash split at '=' and ':'
// (--name=FILE, a FILE=NAME) as it would: cobra's script expects them
// whole. The rest of cobra's script needs bash-completion only for what
// secretcat does not use (ActiveHelp, filtering file names by extension).
const bashWords = `
# Without the bash-completion package: COMP_WORDS, with the words that bash
# split at = and : joined again, where no blank separates them.
__PROG_init_completion()
{
    COMPREPLY=()
    if declare -F _get_comp_words_by_ref >/dev/null 2>&1; then
        _get_comp_words_by_ref "$@" cur prev words cword
        return
    fi
    local i w rest line=${COMP_LINE:0:COMP_POINT}
    words=()
    for ((i = 0; i <= COMP_CWORD; i++)); do
        w=${COMP_WORDS[i]}
        rest=${line#"${line%%[![:blank:]]*}"}
        if ((i > 0)) && [[ ${#rest} -eq ${#line} ]] &&
            [[ $w == [=:]* || ${words[${#words[@]}-1]} == *[=:] ]]; then
            words[${#words[@]}-1]+=$w
        else
            words+=("$w")
        fi
        line=${rest#"$w"}
    done
    cword=$((${#words[@]} - 1))
    cur=${words[cword]}
    prev=
    ((cword > 0)) && prev=${words[cword-1]}
}
`

// setCompletions says what the shell completes, for every command under
// root: FILEs where a command takes them, then after "--" a COMMAND from
// PATH and its arguments as files; a flag's value is a file where the flag
// takes a FILE or PATH, and nothing else (numbers, names, durations).
func setCompletions(root *cobra.Command) {
	commands := append([]*cobra.Command{root}, root.Commands()...)
	for _, c := range commands {
		c.Flags().VisitAll(func(f *pflag.Flag) {
			arg, _ := pflag.UnquoteUsage(f)
			if f.Value.Type() != "bool" && !strings.HasSuffix(arg, "FILE") && !strings.HasSuffix(arg, "PATH") {
				c.RegisterFlagCompletionFunc(f.Name, cobra.NoFileCompletions)
			}
		})
		switch {
		case c.ValidArgs != nil:
		case c == root || c.Name() == "run":
			c.ValidArgsFunction = completeRunArgs
		case c.Name() == "open":
			c.ValidArgsFunction = completeFiles
		default:
			c.ValidArgsFunction = cobra.NoFileCompletions
		}
	}
}

func completeFiles(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return nil, cobra.ShellCompDirectiveDefault
}

// completeRunArgs completes FILEs before "--", then COMMAND from PATH, then
// COMMAND's arguments as files.
func completeRunArgs(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	// The words before the one to complete, as the shell passed them to
	// "secretcat __complete". (c.ArgsLenAtDash cannot tell: cobra parses
	// the flags twice to complete, the first time with a "--" of its own.)
	line := os.Args[2 : len(os.Args)-1]
	dash := slices.Index(line, "--")
	if dash < 0 || dash < len(line)-1 || strings.Contains(toComplete, "/") {
		return nil, cobra.ShellCompDirectiveDefault
	}
	return commandsInPath(toComplete), cobra.ShellCompDirectiveNoFileComp
}

// commandsInPath lists the executable files in PATH whose names start with
// prefix: what secretcat can run as COMMAND, as lookPath finds it.
func commandsInPath(prefix string) []cobra.Completion {
	path, ok := os.LookupEnv("PATH")
	if !ok {
		path = defaultPath
	}
	seen := map[string]bool{}
	var names []cobra.Completion
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			dir = "."
		}
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			name := e.Name()
			if !strings.HasPrefix(name, prefix) || seen[name] || checkExecutable(filepath.Join(dir, name)) != nil {
				continue
			}
			seen[name] = true
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// plainUsages takes the backquotes that mark a flag's value out of every
// usage, for the completion descriptions that show usages as they are.
func plainUsages(root *cobra.Command) {
	for _, c := range append([]*cobra.Command{root}, root.Commands()...) {
		c.Flags().VisitAll(func(f *pflag.Flag) {
			f.Usage = strings.ReplaceAll(f.Usage, "`", "")
		})
	}
}
