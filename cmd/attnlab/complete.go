package main

import (
	"strings"

	"github.com/attnlab/attnlab/fixtures"
	"github.com/attnlab/attnlab/internal/cli"
	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/studies/phase"
	"github.com/attnlab/attnlab/tasks"
	"github.com/spf13/cobra"
)

// Shell completion (attnlab completion bash|zsh|fish|powershell): every
// flag that takes one of a known set of values completes them, on every
// command that has the flag; lists separated by commas complete their last
// element.

// flagValues are the values each flag name completes to.
var flagValues = map[string]cli.CompleteFunc{
	"task":          cli.OneOf(func() []string { return tasks.Names }, false),
	"track":         cli.OneOf(func() []string { return phase.Kinds }, false),
	"attn":          cli.OneOf(model.AttentionKinds, true),
	"kinds":         cli.OneOf(model.AttentionKinds, true),
	"pos":           oneOf(false, "standard", "rotary", "none"),
	"norm":          oneOf(false, "LN", "LNPre", "none"),
	"act":           oneOf(false, "gelu", "gelu_new", "relu"),
	"format":        oneOf(false, "png", "svg", "pdf"),
	"error-measure": oneOf(false, "mul", "abs"),
	"parts":         oneOf(true, "analytic", "mqar", "scaling"),
	"maps":          oneOf(true, "elu", "relu", "favor", "favor:", "taylor", "identity"),
	"scaling-map":   oneOf(false, "elu", "relu", "favor", "favor:", "taylor", "identity"),
	"layout":        oneOf(true, "all", "contiguous", "zigzag", "stripe"),
}

func oneOf(list bool, values ...string) cli.CompleteFunc {
	return cli.OneOf(func() []string { return values }, list)
}

// registerCompletions adds value completion to every command under root:
// the flags of flagValues, --model and inspect's argument (embedded models,
// else safetensors files), and --hooks and --pattern (the hook names and
// heads of the chosen model).
func registerCompletions(root *cobra.Command) {
	for name, complete := range flagValues {
		cli.CompleteFlag(root, name, complete)
	}
	for _, name := range []string{"model", "answerer", "instructed", "regenerator"} {
		cli.CompleteFlag(root, name, func(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			return completeModel(toComplete)
		})
	}
	cli.CompleteFlag(root, "hooks", func(cmd *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		m := completionModel(cmd)
		if m == nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return cli.Complete(append(m.HookNames(), "*"), toComplete, true)
	})
	cli.CompleteFlag(root, "pattern", func(cmd *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		m := completionModel(cmd)
		if m == nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var heads []string
		for _, h := range m.Config.Heads() {
			heads = append(heads, h.String())
		}
		return cli.Complete(heads, toComplete, true)
	})
	if c, _, err := root.Find([]string{"inspect"}); err == nil {
		c.ValidArgsFunction = func(_ *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return completeModel(toComplete)
		}
	}
}

// completeModel completes a model: the embedded models, or a safetensors
// file once what is typed cannot be an embedded name.
func completeModel(toComplete string) ([]string, cobra.ShellCompDirective) {
	if strings.HasPrefix("embedded:", toComplete) || strings.HasPrefix(toComplete, "embedded:") {
		var names []string
		for _, n := range fixtures.Names() {
			names = append(names, "embedded:"+n)
		}
		return cli.Complete(names, toComplete, false)
	}
	return []string{"safetensors"}, cobra.ShellCompDirectiveFilterFileExt
}

// completionModel is the model the command line being completed names
// (--model, else the command's embedded default), or nil.
func completionModel(cmd *cobra.Command) *model.Model {
	path, _ := cmd.Flags().GetString("model")
	cfg, _ := cmd.Flags().GetString("config")
	mf := modelFlags{path: path, config: cfg}
	if f := cmd.Flags().Lookup("model"); f != nil && len(f.Annotations[defaultModelKey]) == 1 {
		mf.def = f.Annotations[defaultModelKey][0]
	}
	m, _, err := mf.load()
	if err != nil {
		return nil
	}
	return m
}
