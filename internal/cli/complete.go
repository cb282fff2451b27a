package cli

import (
	"strings"

	"github.com/spf13/cobra"
)

// CompleteFunc completes a flag's value: cobra's completion function.
type CompleteFunc = func(c *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective)

// CompleteFlag registers complete for the flag name on root and every
// command below it that has the flag.
func CompleteFlag(root *cobra.Command, name string, complete CompleteFunc) {
	if root.Flags().Lookup(name) != nil {
		_ = root.RegisterFlagCompletionFunc(name, complete)
	}
	for _, sub := range root.Commands() {
		CompleteFlag(sub, name, complete)
	}
}

// OneOf completes from a fixed set of values; list: the value is a
// comma-separated list, whose last element is completed.
func OneOf(values func() []string, list bool) CompleteFunc {
	return func(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		return Complete(values(), toComplete, list)
	}
}

// Complete returns the values that extend toComplete (its last
// comma-separated element when list), without file completion.
func Complete(values []string, toComplete string, list bool) ([]string, cobra.ShellCompDirective) {
	prefix, last := "", toComplete
	if list {
		if i := strings.LastIndexByte(toComplete, ','); i >= 0 {
			prefix, last = toComplete[:i+1], toComplete[i+1:]
		}
	}
	var out []string
	for _, v := range values {
		if strings.HasPrefix(v, last) {
			out = append(out, prefix+v)
		}
	}
	d := cobra.ShellCompDirectiveNoFileComp
	if list {
		d |= cobra.ShellCompDirectiveNoSpace // another element may follow the comma
	}
	return out, d
}

// TypeCompletionCmd adds cobra's completion command to root now (before
// TypeArgErrors, so its argument check is typed too), refusing an unknown
// shell by name instead of printing its help.
func TypeCompletionCmd(root *cobra.Command) {
	root.InitDefaultCompletionCmd()
	comp, _, err := root.Find([]string{"completion"})
	if err != nil || comp.Name() != "completion" {
		return
	}
	comp.Args = func(c *cobra.Command, args []string) error {
		if len(args) > 0 {
			return Usagef("completion: unknown shell %q: give bash, zsh, fish or powershell", args[0])
		}
		return nil
	}
	comp.RunE = func(c *cobra.Command, _ []string) error { return c.Help() }
}
