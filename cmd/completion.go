package cmd

import (
	"github.com/spf13/cobra"
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
