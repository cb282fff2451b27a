package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/attnlab/attnlab/internal/cli"
	"github.com/attnlab/attnlab/internal/list"
	"github.com/attnlab/attnlab/internal/shard"
	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/probes"
	"github.com/attnlab/attnlab/studies/mqar"
	"github.com/attnlab/attnlab/studies/retrieval"
	"github.com/spf13/cobra"
)

type retrievalOpts struct {
	of                      outFlags
	mf                      modelFlags
	parts, shard            string
	full, evalOnly          bool
	maps, dims              string            // the analytic part
	kinds, dModels, kvPairs string            // the grid's lists
	grid                    mqar.Settings     // the grid's other settings
	run                     mqar.ShardOptions // how its cells run
	scalingN, scalingFM     string
}

func newRetrievalCmd(e *env) *cobra.Command {
	o := &retrievalOpts{}
	c := &cobra.Command{
		Use:   "retrieval",
		Short: "Exact recall of softmax vs linear attention: analytic probe, trained MQAR grid, time vs N",
		Long: `Compare softmax attention with linear attention (feature maps elu, relu, favor,
taylor, identity) on exact key-value retrieval, in three parts:

  analytic  N random unit key→value pairs in d dims, every key queried (no training):
            analytic.csv, analytic_d{16,32,64}.png
  mqar      tiny 2-layer models trained on Zoology's multi-query associative recall with
            the same budget per cell (attention × d_model × kv pairs × seed), accuracy on
            held-out sequences: mqar.csv, mqar.png (a panel per d_model). Layer 0 stays softmax (the token
            shift that Based gets from a short convolution); layer 1, the lookup, uses the
            kind under test. --pure makes both layers the kind.
  scaling   one head's causal attention time vs N for dense softmax and linear attention's
            quadratic, O(N) recurrent and chunked forms, fitted log-log slopes, the N where the
            chunked form overtakes softmax: scaling.csv, scaling.png

The default MQAR grid is quick: its 18 models are embedded (trained by the commands in
fixtures/README.md), so it takes seconds; --train trains them here instead (a few minutes
on 2 cores), as any other grid is. --full runs the paper-sized grid, which --shard i/n
splits across machines (attnlab merge joins the CSVs).
--eval-only --model M evaluates a trained model on MQAR without training.`,
		Example: `  attnlab retrieval
  attnlab retrieval --train --parts mqar
  attnlab retrieval --parts analytic,scaling
  attnlab retrieval --full --shard 0/4 --out shard0 && attnlab merge shard*/mqar.csv --out mqar.csv
  attnlab retrieval --eval-only --model m.safetensors --kv-pairs 4,8,16`,
		Args: cobra.NoArgs,
		RunE: func(_ *cobra.Command, _ []string) error { return runRetrieval(e, o) },
	}
	o.of.add(c, "attnlab-out/retrieval")
	o.mf.add(c, "", "with --eval-only: the weights file to evaluate")
	f := c.Flags()
	f.StringVar(&o.parts, "parts", "analytic,mqar,scaling", "which parts to run: analytic, mqar, scaling (comma-separated)")
	f.BoolVar(&o.run.Train, "train", false, "mqar: train every cell here, also those of the quick grid, whose embedded models are used otherwise")
	f.BoolVar(&o.full, "full", false, "run the paper-sized MQAR grid (hours on 2 cores) instead of the quick one")
	f.StringVar(&o.shard, "shard", "", "run only MQAR cells i, i+n, i+2n, … of the grid: i/n (0 ≤ i < n), or auto (from a Slurm array or a Kubernetes Indexed Job; auto/n gives the count); implies --parts mqar")
	f.BoolVar(&o.evalOnly, "eval-only", false, "evaluate --model on MQAR held-out sequences, no training")
	f.StringVar(&o.maps, "maps", "elu,relu,favor,taylor,identity", "analytic: linear feature maps (favor:M for M features)")
	f.StringVar(&o.dims, "dims", "16,32,64", "analytic: key dimensions d")
	f.StringVar(&o.kinds, "kinds", "", "mqar: attention kinds of the grid "+gridDefault(func(g mqar.Grid) any { return strings.Join(g.Kinds, ",") }))
	f.StringVar(&o.dModels, "d-models", "", "mqar: d_model values "+gridDefault(func(g mqar.Grid) any { return joinInts(g.DModels) }))
	f.StringVar(&o.kvPairs, "kv-pairs", "", "mqar: key-value pair counts "+gridDefault(func(g mqar.Grid) any { return joinInts(g.KVPairs) })+"; with --eval-only the model's")
	f.IntVar(&o.grid.Seeds, "seeds", 0, "mqar: seeds per cell, from --seed on "+gridDefault(func(g mqar.Grid) any { return len(g.Seeds) }))
	f.IntVar(&o.grid.Steps, "steps", 0, "mqar: training steps per cell "+gridDefault(func(g mqar.Grid) any { return g.Steps }))
	f.IntVar(&o.grid.Batch, "batch", 0, "mqar: sequences per step "+gridDefault(func(g mqar.Grid) any { return g.Batch }))
	f.Float64Var(&o.grid.LR, "lr", 0, "mqar: peak learning rate "+gridDefault(func(g mqar.Grid) any { return g.LR }))
	f.IntVar(&o.run.Workers, "workers", runtime.GOMAXPROCS(0), "mqar: cells trained in parallel (one core each; results do not depend on it)")
	f.BoolVar(&o.grid.Pure, "pure", false, "mqar: every layer uses the kind under test (default: layer 0 stays softmax as the token shift)")
	f.IntVar(&o.grid.EvalSeqs, "eval-seqs", 0, "mqar: held-out sequences per cell "+gridDefault(func(g mqar.Grid) any { return g.EvalSeqs }))
	f.StringVar(&o.scalingN, "scaling-n", "256,1024,4096,16384", "scaling: sequence lengths N")
	f.StringVar(&o.scalingFM, "scaling-map", "elu", "scaling: feature map of the linear forms")
	return c
}

func runRetrieval(e *env, o *retrievalOpts) error {
	if o.grid.EvalSeqs < 0 {
		return cli.Usagef("--eval-seqs must be positive, got %d", o.grid.EvalSeqs)
	}
	if o.evalOnly {
		if o.mf.path == "" {
			return cli.Usagef("--eval-only needs --model: the weights file to evaluate")
		}
		m, name, err := o.mf.load()
		if err != nil {
			return err
		}
		var kvs []int
		if o.kvPairs != "" {
			if kvs, err = cli.PositiveInts("--kv-pairs", o.kvPairs); err != nil {
				return err
			}
		}
		res, err := probes.EvalMQARModel(m, name, kvs, o.grid.EvalSeqs, o.of.seed)
		if err != nil {
			return err
		}
		return e.finish(o.of, res)
	}
	if o.mf.path != "" {
		return cli.Usagef("--model needs --eval-only: the grid trains its own models")
	}
	parts, err := retrieval.ParseParts(o.parts)
	if err != nil {
		return cli.FlagError(err, nil)
	}
	opt := retrieval.Options{Parts: parts, Shard: o.run, Analytic: probes.DefaultAnalytic(), ScalingMap: o.scalingFM}
	opt.Shard.Shard = shard.Spec{Index: 0, Count: 1}
	if o.shard != "" {
		if opt.Shard.Shard, err = shard.Parse(o.shard, os.Getenv); err != nil {
			return cli.Usagef("--shard %s", strings.TrimPrefix(err.Error(), "shard: "))
		}
		opt.Parts = []string{"mqar"}
	}
	if opt.Grid, err = o.mqarGrid(); err != nil {
		return err
	}
	opt.Analytic.Seed = o.of.seed
	if opt.Analytic.Maps, err = list.Strings(o.maps); err != nil {
		return cli.ListError("--maps", err)
	}
	if opt.Analytic.Dims, err = cli.PositiveInts("--dims", o.dims); err != nil {
		return err
	}
	if opt.ScalingN, err = cli.PositiveInts("--scaling-n", o.scalingN); err != nil {
		return err
	}
	if err := opt.Check(); err != nil {
		return cli.FlagError(err, nil)
	}
	if !o.of.quiet {
		opt.Log = e.stderr
	}
	r, err := retrieval.Run(e.ctx, opt)
	if err != nil {
		return err
	}
	return e.finish(o.of, r)
}

// mqarGrid is the MQAR grid: the quick or full one, with the flags the user set.
func (o *retrievalOpts) mqarGrid() (mqar.Grid, error) {
	g := mqar.Quick()
	if o.full {
		g = mqar.Full()
	}
	s := o.grid
	s.Seed = o.of.seed
	var err error
	if o.kinds != "" {
		if s.Kinds, err = model.AttentionList(o.kinds); err != nil {
			return g, cli.Usagef("--kinds: %v", err)
		}
		if _, err := list.Items(o.kinds, s.Kinds, list.Strings1); err != nil {
			return g, cli.ListError("--kinds", err)
		}
	}
	if o.dModels != "" {
		if s.DModels, err = cli.PositiveInts("--d-models", o.dModels); err != nil {
			return g, err
		}
	}
	if o.kvPairs != "" {
		if s.KVPairs, err = cli.PositiveInts("--kv-pairs", o.kvPairs); err != nil {
			return g, err
		}
	}
	if o.run.Workers < 1 {
		return g, cli.Usagef("--workers must be positive, got %d", o.run.Workers)
	}
	g, err = g.With(s)
	return g, cli.FlagError(err, nil)
}

// gridDefault states a grid setting's default in the quick and the full
// grid: "(default 2400; --full: 3000)".
func gridDefault(get func(mqar.Grid) any) string {
	q, f := fmt.Sprint(get(mqar.Quick())), fmt.Sprint(get(mqar.Full()))
	if q == f {
		return "(default " + q + ")"
	}
	return "(default " + q + "; --full: " + f + ")"
}

// joinInts writes 4,8,16.
func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ",")
}
