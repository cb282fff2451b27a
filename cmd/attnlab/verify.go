package main

import (
	"fmt"

	"github.com/attnlab/attnlab/internal/cli"
	"github.com/attnlab/attnlab/parity"
	"github.com/attnlab/attnlab/report"
	"github.com/attnlab/attnlab/safetensors"
	"github.com/spf13/cobra"
)

type verifyOpts struct {
	outFlags
	mf        modelFlags
	reference string
	tol       parity.Tolerance
}

func newVerifyCmd(e *env) *cobra.Command {
	o := &verifyOpts{}
	c := &cobra.Command{
		Use:   "verify [GOT.safetensors REF.safetensors]",
		Short: "Check activations against a reference, tensor by tensor (parity with TransformerLens)",
		Long: `Compare every tensor of a reference cache with attnlab's, by TransformerLens hook
name ("logits", "blocks.0.attn.hook_pattern", …): the largest and mean absolute and
relative difference, the number of elements outside |got − ref| ≤ atol + rtol·|ref|
(torch.allclose's test; NaN equals NaN, an infinity only itself) and the index of
the worst. Exit status 1 when any tensor fails, its shape differs or it is missing.

With --model and --reference, the model runs on the reference's "tokens" [batch,
pos] and is compared on every floating-point tensor the reference holds; a
TransformerLens hook point attnlab does not have (hook_attn_in, …) is listed as
"not computed" and does not fail the check. With two files, the second is the
reference and every tensor of it (tokens included) is compared with the first's.
The defaults are PyTorch's float32 tolerances (rtol 1.3e-6, atol 1e-5).`,
		Example: `  attnlab verify --model m.safetensors --reference tl_cache.safetensors
  attnlab verify --model embedded:induction-2l --reference ref.safetensors --rtol 1e-4
  attnlab verify mine.safetensors theirs.safetensors`,
		Args: cobra.MaximumNArgs(2),
		RunE: func(_ *cobra.Command, args []string) error { return runVerify(e, o, args) },
	}
	o.outFlags.add(c, "attnlab-out/verify")
	o.mf.add(c, "induction-2l", "weights file to run on the reference's tokens (default: the embedded two-layer model)")
	f := c.Flags()
	f.StringVar(&o.reference, "reference", "", "reference cache: a safetensors file with tokens [batch, pos] and tensors named by hook name")
	f.Float64Var(&o.tol.RTol, "rtol", 1.3e-6, "relative tolerance")
	f.Float64Var(&o.tol.ATol, "atol", 1e-5, "absolute tolerance")
	return c
}

func runVerify(e *env, o *verifyOpts, args []string) error {
	tol := o.tol
	if err := tol.Validate(); err != nil {
		return cli.FlagError(err, nil)
	}
	var (
		rs    []parity.Result
		err   error
		model string
	)
	switch {
	case len(args) == 2:
		if o.reference != "" || o.mf.path != "" {
			return cli.Usagef("give either two cache files or --model with --reference, not both")
		}
		got, err := safetensors.ReadFile(args[0])
		if err != nil {
			return err
		}
		ref, err := safetensors.ReadFile(args[1])
		if err != nil {
			return err
		}
		if rs, err = parity.Files(got, ref, tol); err != nil {
			return err
		}
		model = args[0]
	case len(args) == 0 && o.reference != "":
		ref, err := safetensors.ReadFile(o.reference)
		if err != nil {
			return err
		}
		m, name, err := o.mf.load()
		if err != nil {
			return err
		}
		if rs, err = parity.Against(e.ctx, m, ref, tol); err != nil {
			return err
		}
		model = name
	default:
		return cli.Usagef("give --reference (with --model) or two cache files")
	}
	res := report.Results{Tables: []*report.Table{parity.Table(rs, tol)}, Headline: []*report.Table{parity.Headline(rs, tol)}, Model: model,
		Extra: map[string]any{"rtol": tol.RTol, "atol": tol.ATol}}
	if err = e.finish(o.outFlags, res); err != nil {
		return err
	}
	if err := parity.Failure(rs); err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	return nil
}
