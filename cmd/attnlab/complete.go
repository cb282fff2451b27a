package main

import (
	"strings"

	"github.com/attnlab/attnlab/fixtures"
	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/studies/phase"
	"github.com/attnlab/attnlab/tasks"
	"github.com/spf13/cobra"
)

// Shell completion (attnlab completion bash|zsh|fish|powershell): every
// flag that takes one of a known set of values completes them, on every
// command that has the flag; lists separated by commas complete their last
// element.

// oneOf completes a flag from a fixed list of values.
func oneOf(values ...string) func() []string { return func() []string { return values } }

// flagValues are the values each flag name completes to.
var flagValues = map[string]struct {
	values func() []string
	list   bool // comma-separated: complete the last element
}{
	"task":          {func() []string { return tasks.Names }, false},
	"track":         {func() []string { return phase.Kinds }, false},
	"attn":          {model.AttentionKinds, true},
	"kinds":         {model.AttentionKinds, true},
	"pos":           {oneOf("standard", "rotary", "none"), false},
	"norm":          {oneOf("LN", "LNPre", "none"), false},
	"act":           {oneOf("gelu", "gelu_new", "relu"), false},
	"format":        {oneOf("png", "svg", "pdf"), false},
	"error-measure": {oneOf("mul", "abs"), false},
	"parts":         {oneOf("analytic", "mqar", "scaling"), true},
	"maps":          {oneOf("elu", "relu", "favor", "favor:", "taylor", "identity"), true},
	"scaling-map":   {oneOf("elu", "relu", "favor", "favor:", "taylor", "identity"), false},
	"layout":        {oneOf("all", "contiguous", "zigzag", "stripe"), true},
}

// registerCompletions adds value completion to every command under root:
// the flags of flagValues, --model and inspect's argument (embedded models,
// else safetensors files), and --hooks and --pattern (the hook names and
// heads of the chosen model).
func registerCompletions(root *cobra.Command) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for name, fv := range flagValues {
			if c.Flags().Lookup(name) != nil {
				_ = c.RegisterFlagCompletionFunc(name, func(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
					return complete(fv.values(), toComplete, fv.list)
				})
			}
		}
		for _, name := range []string{"model", "answerer", "instructed", "regenerator"} {
			if c.Flags().Lookup(name) != nil {
				_ = c.RegisterFlagCompletionFunc(name, func(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
					return completeModel(toComplete)
				})
			}
		}
		if c.Flags().Lookup("hooks") != nil {
			_ = c.RegisterFlagCompletionFunc("hooks", func(cmd *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
				m := completionModel(cmd)
				if m == nil {
					return nil, cobra.ShellCompDirectiveNoFileComp
				}
				return complete(append(m.HookNames(), "*"), toComplete, true)
			})
		}
		if c.Name() == "inspect" {
			c.ValidArgsFunction = func(_ *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
				if len(args) > 0 {
					return nil, cobra.ShellCompDirectiveNoFileComp
				}
				return completeModel(toComplete)
			}
		}
		if c.Flags().Lookup("pattern") != nil {
			_ = c.RegisterFlagCompletionFunc("pattern", func(cmd *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
				m := completionModel(cmd)
				if m == nil {
					return nil, cobra.ShellCompDirectiveNoFileComp
				}
				var heads []string
				for _, h := range m.Config.Heads() {
					heads = append(heads, h.String())
				}
				return complete(heads, toComplete, true)
			})
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// complete returns the values that extend toComplete (its last
// comma-separated element when list), without file completion.
func complete(values []string, toComplete string, list bool) ([]string, cobra.ShellCompDirective) {
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

// completeModel completes a model: the embedded models, or a safetensors
// file once what is typed cannot be an embedded name.
func completeModel(toComplete string) ([]string, cobra.ShellCompDirective) {
	if strings.HasPrefix("embedded:", toComplete) || strings.HasPrefix(toComplete, "embedded:") {
		var names []string
		for _, n := range fixtures.Names() {
			names = append(names, "embedded:"+n)
		}
		return complete(names, toComplete, false)
	}
	return []string{"safetensors"}, cobra.ShellCompDirectiveFilterFileExt
}

// completionModel is the model the command line being completed names
// (--model, else the command's embedded default), or nil.
func completionModel(cmd *cobra.Command) *model.Model {
	path, _ := cmd.Flags().GetString("model")
	cfg, _ := cmd.Flags().GetString("config")
	mf := modelFlags{path: path, config: cfg}
	m, _, err := mf.load(defaultModel[cmd.Name()])
	if err != nil {
		return nil
	}
	return m
}

// defaultModel is each command's embedded model when --model is not given.
var defaultModel = map[string]string{"run": "induction-2l", "induction": "induction-2l", "sink-analysis": "text-sink"}
