package main

import (
	"fmt"
	"strings"

	"github.com/attnlab/attnlab/inspect"
	"github.com/attnlab/attnlab/internal/cli"
	"github.com/attnlab/attnlab/internal/list"
	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/report"
	"github.com/attnlab/attnlab/sinks"
	"github.com/spf13/cobra"
)

type runOpts struct {
	mf          modelFlags
	src         inspect.Source
	hooks       string
	saveCache   string
	jsonOut     bool
	quiet       bool
	pattern     string
	out, format string
}

func newRunCmd(e *env) *cobra.Command {
	o := &runOpts{}
	c := &cobra.Command{
		Use:   "run",
		Short: "Run a model on tokens or text and save logits, losses and activations for a notebook",
		Long: `Run a model on one sequence and save its logits ("logits" [1, T, V]), per-token
next-token loss ("loss_per_token" [1, T-1]), the tokens ("tokens") and the
requested activations under their TransformerLens hook names, as a
safetensors file that safetensors.torch.load_file reads. --pattern draws the
attention pattern of the heads it names on these tokens (pattern_L1H3.png, ...)
into --out, beside tokens.csv and manifest.json.`,
		Example: `  attnlab run --tokens "0 5 9 5 9" --hooks blocks.1.attn.hook_pattern --save-cache cache.safetensors
  attnlab run --model text.safetensors --text "func main() {" --hooks '*' --save-cache c.safetensors
  attnlab run --tokens "0 5 9 13 5 9 13" --pattern L1H2,L0H1 --out patterns`,
		Args: cobra.NoArgs,
		RunE: func(_ *cobra.Command, _ []string) error { return runRun(e, o) },
	}
	o.mf.add(c, "induction-2l", "weights file (default: the embedded induction model)")
	c.Flags().StringVar(&o.src.Tokens, "tokens", "", `token ids separated by spaces or commas, e.g. "0 5 9"`)
	c.Flags().StringVar(&o.src.TokensFile, "tokens-file", "", "file of token ids separated by white space or commas")
	c.Flags().StringVar(&o.src.Text, "text", "", "text, tokenized as bytes (for byte-level models), after the BOS of --bos")
	c.Flags().StringVar(&o.src.BOS, "bos", "", "with --text: token put in front of the text (TransformerLens prepend_bos), or none; default the model's own first token (train --bos), none if it has none")
	c.Flags().StringVar(&o.hooks, "hooks", "", "comma-separated hook names to save, or '*' for all")
	c.Flags().StringVar(&o.saveCache, "save-cache", "", "write logits, losses and activations to this safetensors file")
	c.Flags().BoolVar(&o.jsonOut, "json", false, "print the per-token table as JSON")
	c.Flags().BoolVarP(&o.quiet, "quiet", "q", false, "print nothing but errors (files are still written)")
	c.Flags().StringVar(&o.pattern, "pattern", "", "draw these heads' attention patterns on the tokens, e.g. L1H3,L0H1")
	c.Flags().StringVar(&o.out, "out", "attnlab-out/run", "with --pattern: output folder (pattern_{head}.png, tokens.csv, manifest.json)")
	c.Flags().StringVar(&o.format, "format", "png", "with --pattern: figure format, png, svg or pdf")
	return c
}

func runRun(e *env, o *runOpts) (rerr error) {
	if err := o.src.Check(); err != nil {
		return cli.FlagError(err, nil)
	}
	tokens, err := o.src.Read()
	if err != nil {
		return cli.FlagError(err, nil)
	}
	heads, err := model.ParseHeads(o.pattern)
	if err != nil {
		return cli.ListError("--pattern", err)
	}
	if err := report.CheckFormat(o.format); err != nil {
		return cli.FlagError(err, nil)
	}
	if len(heads) > 0 {
		if err := report.CheckDir(o.out); err != nil {
			return cli.FlagError(err, nil)
		}
	}
	if o.saveCache != "" {
		if err := report.CheckTarget(o.saveCache); err != nil {
			return cli.Usagef("--save-cache: %v", strings.TrimPrefix(err.Error(), "report: "))
		}
	}
	m, name, err := o.mf.load()
	if err != nil {
		return err
	}
	if err := m.Config.CheckHeads(heads); err != nil {
		return cli.Usagef("--pattern: %v", err)
	}
	if o.src.Text != "" {
		// A model trained with a fixed first token saw it at the start of
		// every window: give it one, as TransformerLens's prepend_bos.
		bos, err := sinks.ChooseBOS(m, o.src.BOS)
		if err != nil {
			return cli.FlagError(err, nil)
		}
		if bos.On {
			tokens = append([]int32{bos.Token}, tokens...)
		}
		if !o.jsonOut && !o.quiet { // once the run has succeeded: an error is the only line
			defer func() {
				if rerr == nil {
					fmt.Fprintf(e.stderr, "first token: %s\n", bosSource(m, o.src.BOS, bos))
				}
			}()
		}
	}
	var hooks []string
	if o.hooks != "" {
		if hooks, err = list.Strings(o.hooks); err != nil {
			return cli.ListError("--hooks", err)
		}
	}
	p, err := inspect.Predict(e.ctx, m, tokens, hooks, heads)
	if err != nil {
		return cli.Usage(err)
	}
	if o.saveCache != "" {
		if err := m.SaveCache(o.saveCache, tokens, p.Out); err != nil {
			return err
		}
	}
	if len(heads) > 0 {
		return e.finish(outFlags{out: o.out, json: o.jsonOut, quiet: o.quiet, format: o.format},
			report.Results{Tables: []*report.Table{p.Table}, Headline: []*report.Table{p.Table}, Figures: p.Figures, Model: name})
	}
	if o.jsonOut {
		return report.WriteJSON(e.stdout, p.Table)
	}
	if o.quiet {
		return nil
	}
	if err := e.render(p.Table); err != nil {
		return err
	}
	if o.saveCache != "" {
		fmt.Fprintf(e.stdout, "saved logits, loss_per_token and %d activations to %s\n", len(p.Out.Cache), o.saveCache)
	}
	return nil
}
