package cmd

import (
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// newCompletionCommand prints shell completion scripts. It stands in for
// cobra's default completion command, a tree of five commands whose help
// texts cobra formats on every run of secretcat, completion or not.
func newCompletionCommand() *cobra.Command {
	var noDesc bool
	c := &cobra.Command{
		Use:   "completion bash|zsh|fish|powershell",
		Short: "Print a completion script for bash, zsh, fish or powershell",
		Long:  "Print the shell completion script for the named shell on standard output.\nmake install installs those for bash, zsh and fish.",
		Example: `  secretcat completion bash \
      > ~/.local/share/bash-completion/completions/secretcat
  secretcat completion fish > ~/.config/fish/completions/secretcat.fish`,
		ValidArgs:             []string{"bash", "zsh", "fish", "powershell"},
		Args:                  usageArgs(cobra.MatchAll(cobra.ExactArgs(1), cobra.OnlyValidArgs)),
		DisableFlagsInUseLine: true,
		RunE: func(c *cobra.Command, args []string) error {
			root, out := c.Root(), c.OutOrStdout()
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(out, !noDesc)
			case "zsh":
				if noDesc {
					return root.GenZshCompletionNoDesc(out)
				}
				return root.GenZshCompletion(out)
			case "fish":
				return root.GenFishCompletion(out, !noDesc)
			}
			if noDesc {
				return root.GenPowerShellCompletion(out)
			}
			return root.GenPowerShellCompletionWithDesc(out)
		},
	}
	c.Flags().BoolVar(&noDesc, "no-descriptions", false, "leave out the descriptions of completions")
	return c
}

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
	sort.Strings(names)
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
