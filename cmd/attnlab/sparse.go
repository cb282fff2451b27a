package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/attnlab/attnlab/attention"
	"github.com/attnlab/attnlab/bench"
	"github.com/attnlab/attnlab/internal/cli"
	"github.com/attnlab/attnlab/internal/list"
	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/probes"
	"github.com/attnlab/attnlab/report"
	"github.com/attnlab/attnlab/studies/reach"
	"github.com/spf13/cobra"
)

type sparseOpts struct {
	outFlags
	n, dHead, repeats, maskLen, batch int
	kinds, maskKinds, trainDir        string
	train, noCost, noReach            bool
}

// defaultMaskKinds are the patterns the masks figure draws (Longformer's
// Figure 2 in causal form, and BigBird's blocks).
const defaultMaskKinds = "softmax,window:8,window:4:d3,window:8:g3,block-sparse:4:l1:g1:r1,window:4:d1,2,4,8"

func newSparseCmd(e *env) *cobra.Command {
	o := &sparseOpts{}
	c := &cobra.Command{
		Use:   "sparse",
		Short: "Sparse attention (Longformer, BigBird): masks, exactness and cost, and how far induction still reaches",
		Long: `Three answers about sparse attention.

Masks: which keys each query sees for each kind (sliding window, dilated window,
global tokens, BigBird block-sparse), with the fraction of the causal mask kept.

Exactness and cost: each kind's O(N·w) kernel at N = 4096 (--n), d_head 64, against
masked dense attention in float64 (max error), with the FLOPs it computes and the
memory it takes relative to dense attention, and its time; dense attention naive and
blockwise beside it.

Reach of the induction circuit: embedded two-layer attention-only models trained
with the same recipe and budget with dense, window:16, dilated (per-head 1, 2, 4, 8),
window + 4 global tokens and block-sparse attention, probed on repeats at controlled
copy distances: second-repeat loss and the induction heads' prefix matching per
distance bin. --train retrains the five models with the commands recorded in them.`,
		Example: `  attnlab sparse
  attnlab sparse --no-cost                       # masks and reach only (seconds)
  attnlab sparse --n 16384 --kinds window:512,block-sparse:64:l4
  attnlab sparse --train --train-dir attnlab-out/reach-models`,
		Args: cobra.NoArgs,
		RunE: func(_ *cobra.Command, _ []string) error { return runSparse(e, o) },
	}
	o.outFlags.add(c, "attnlab-out/sparse")
	f := c.Flags()
	f.IntVar(&o.n, "n", 4096, "sequence length of the exactness and cost table")
	f.IntVar(&o.dHead, "d-head", 64, "d_head of the exactness and cost table")
	f.IntVar(&o.repeats, "repeats", 3, "timed runs per kernel (the median is reported)")
	f.StringVar(&o.kinds, "kinds", strings.Join(bench.DefaultCostKinds(), ","), "sparse kinds of the cost table")
	f.StringVar(&o.maskKinds, "mask-kinds", defaultMaskKinds, "kinds the masks figure draws")
	f.IntVar(&o.maskLen, "mask-len", 40, "sequence length of the masks figure")
	f.IntVar(&o.batch, "batch", 32, "reach: sequences per copy-distance bin")
	f.BoolVar(&o.train, "train", false, "reach: retrain the five models with their recorded commands instead of the embedded ones")
	f.StringVar(&o.trainDir, "train-dir", "attnlab-out/reach-models", "with --train: where the retrained models go")
	f.BoolVar(&o.noCost, "no-cost", false, "skip the exactness and cost table")
	f.BoolVar(&o.noReach, "no-reach", false, "skip the reach experiment")
	return c
}

func runSparse(e *env, o *sparseOpts) error {
	maskKinds, err := list.Items(o.maskKinds, attention.SplitKinds(o.maskKinds), list.Strings1)
	if err != nil {
		return cli.ListError("--mask-kinds", err)
	}
	kinds, err := list.Items(o.kinds, attention.SplitKinds(o.kinds), list.Strings1)
	if err != nil {
		return cli.ListError("--kinds", err)
	}
	opt := bench.SparseOptions{MaskKinds: maskKinds, MaskLen: o.maskLen, NoCost: o.noCost,
		Cost:     bench.CostOptions{Kinds: kinds, N: o.n, E: o.dHead, Repeats: o.repeats, Seed: o.seed},
		ReachOpt: probes.ReachOptions{Batch: o.batch, Seed: o.seed}}
	if err := opt.Check(); err != nil {
		return cli.FlagError(err, nil)
	}
	if o.train && !o.noReach { // before the first of five trainings
		if err := report.CheckDir(o.trainDir); err != nil {
			return cli.FlagError(err, map[string]string{"out": "--train-dir"})
		}
	}
	if !o.noReach {
		var trainer reach.Trainer
		var log io.Writer
		if o.train {
			trainer = e.trainRecorded
		}
		if !o.quiet {
			log = e.stderr
		}
		var err error
		if opt.Reach, err = reach.Models(trainer, o.trainDir, log); err != nil {
			return err
		}
	}
	r, err := bench.Sparse(e.ctx, opt)
	if err != nil {
		return err
	}
	r.Model = "embedded:reach-*"
	if o.train {
		r.Model = o.trainDir
	}
	return e.finish(o.outFlags, r)
}

// trainRecorded runs a recorded attnlab train command line (args without
// "attnlab") in process, writing the model to out, and loads it: the model
// records args as its training command, as if typed.
func (e *env) trainRecorded(args []string, out string) (*model.Model, error) {
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return nil, err
	}
	te := *e
	te.args = append([]string{"attnlab"}, args...)
	root := newRootCmd(&te)
	root.SetArgs(append(append([]string{}, args...), "--out", out, "-q"))
	if err := root.ExecuteContext(e.ctx); err != nil {
		return nil, err
	}
	return model.Load(out, "")
}
