package main

import (
	"github.com/attnlab/attnlab/circuits"
	"github.com/attnlab/attnlab/induction"
	"github.com/attnlab/attnlab/internal/cli"
	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/report"
	"github.com/spf13/cobra"
)

type inductionOpts struct {
	outFlags
	mf                         modelFlags
	seqLen, batch              int
	threshold                  float64
	excludeBOS, excludeCurrent bool
	errorMeasure               string
	noAblation                 bool
	pattern                    string
	patternSeq                 int
	weights                    string
}

func newInductionCmd(e *env) *cobra.Command {
	o := &inductionOpts{}
	c := &cobra.Command{
		Use:   "induction",
		Short: "Find induction heads and the circuit behind them (scores, composition, ablations)",
		Long: `Score every head on the canonical batch [BOS, x×L, x×L] of uniformly random tokens:
TransformerLens head-detector scores (previous-token, duplicate-token, induction) with
their ceilings, Olsson et al.'s prefix-matching score, OV-circuit copying (eigenvalues)
and direct logit copying, Q/K/V composition between layers (Elhage et al.) against a
random baseline, zero- and mean-ablation effects on the second repeat, the in-context
learning score and the per-position loss. Without --model it uses the embedded
two-layer attention-only model (embedded:induction-2l).`,
		Example: `  attnlab induction
  attnlab induction --model embedded:induction-1l --out attnlab-out/induction-1l
  attnlab induction --model m.safetensors --seq-len 25 --batch 64 --json`,
		Args: cobra.NoArgs,
		RunE: func(_ *cobra.Command, _ []string) error { return runInduction(e, o) },
	}
	o.outFlags.add(c, "attnlab-out/induction")
	o.mf.add(c, "induction-2l", "weights file (default: the embedded two-layer model)")
	f := c.Flags()
	f.IntVar(&o.seqLen, "seq-len", 0, "repeat length L of [BOS, x×L, x×L]; default 50 or the largest that fits n_ctx")
	f.IntVar(&o.batch, "batch", 32, "sequences in the canonical batch")
	f.Float64Var(&o.threshold, "threshold", 0.4, "TL induction score at or above which a head is marked")
	f.BoolVar(&o.excludeBOS, "exclude-bos", false, "head detector: ignore attention to position 0 (TL exclude_bos)")
	f.BoolVar(&o.excludeCurrent, "exclude-current-token", false, "head detector: ignore attention to the query's own position (TL exclude_current_token)")
	f.StringVar(&o.errorMeasure, "error-measure", "mul", "head detector error measure: mul or abs (TL error_measure)")
	f.BoolVar(&o.noAblation, "no-ablation", false, "skip the ablation runs (their columns read \"not computed\": – on the terminal, blank in the CSVs)")
	f.StringVar(&o.weights, "weights", "fold-ln", "weight processing for OV copying and composition: fold-ln (LayerNorm weights folded in, nothing centred) or tl-default (TransformerLens's default: fold_ln, center_writing_weights, center_unembed)")
	f.StringVar(&o.pattern, "pattern", "", "also draw these heads' attention patterns, e.g. L1H3,L0H1 (pattern_L1H3.png, ...)")
	f.IntVar(&o.patternSeq, "pattern-seq", 0, "the sequence of the canonical batch the patterns are drawn on (0-based)")
	return c
}

func runInduction(e *env, o *inductionOpts) error {
	weights, err := circuits.ParseProcessing(o.weights)
	if err != nil {
		return cli.Usagef("--weights must be fold-ln or tl-default, got %q", o.weights)
	}
	if o.errorMeasure != "mul" && o.errorMeasure != "abs" {
		return cli.Usagef("--error-measure must be mul or abs, got %q", o.errorMeasure)
	}
	if o.batch < 2 {
		return cli.Usagef("--batch must be at least 2, got %d", o.batch)
	}
	if o.seqLen < 0 {
		return cli.Usagef("--seq-len must be positive, got %d", o.seqLen)
	}
	if !(o.threshold > 0 && o.threshold <= 1) {
		return cli.Usagef("--threshold must be in (0, 1], got %v", o.threshold)
	}
	heads, err := model.ParseHeads(o.pattern)
	if err != nil {
		return cli.ListError("--pattern", err)
	}
	if o.patternSeq < 0 || o.patternSeq >= o.batch {
		return cli.Usagef("--pattern-seq must be between 0 and --batch−1 = %d, got %d", o.batch-1, o.patternSeq)
	}
	m, name, err := o.mf.load()
	if err != nil {
		return err
	}
	if maxL := (m.Config.NCtx - 1) / 2; o.seqLen != 0 && (o.seqLen < 3 || o.seqLen > maxL) {
		return cli.Usagef("--seq-len must be between 3 and %d for the model's n_ctx %d, got %d", maxL, m.Config.NCtx, o.seqLen)
	}
	r, err := induction.Analyze(e.ctx, m, induction.Options{SeqLen: o.seqLen, Batch: o.batch, Seed: o.seed, Threshold: o.threshold,
		Detector:   induction.DetectorOptions{ExcludeBOS: o.excludeBOS, ExcludeCurrentToken: o.excludeCurrent, ErrorMeasure: o.errorMeasure},
		NoAblation: o.noAblation, Weights: weights, PatternHeads: heads, PatternSeq: o.patternSeq})
	if err != nil {
		return cli.Usage(err)
	}
	return e.finish(o.outFlags, report.Results{Tables: r.Tables(), Headline: r.Headline(), Figures: r.Figures(), Patterns: r.PatternViews(), Model: name,
		Extra: map[string]any{"seq_len": r.L, "batch": r.Opt.Batch, "threshold": r.Opt.Threshold, "model_summary": r.Model}})
}
