package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/attnlab/attnlab/internal/cli"
	"github.com/attnlab/attnlab/studies/mqar"
	"github.com/attnlab/attnlab/studies/phase"
	"github.com/attnlab/attnlab/studies/trainrun"
	"github.com/spf13/cobra"
)

type trainOpts struct {
	r        trainrun.Options // the run, filled by the flags
	jsonOut  bool
	maxShift int // tasks.Options.MaxShift when given
	// recorded is, for a resume, the command line of the run it continues
	// (with --steps changed when the resume changes the step count).
	recorded []string
}

func newTrainCmd(e *env) *cobra.Command { return newTrainCmdWith(e, &trainOpts{}) }

// newTrainCmdWith is newTrainCmd filling o (a resume parses a checkpoint's
// recorded command line with the same flags).
func newTrainCmdWith(e *env, o *trainOpts) *cobra.Command {
	c := &cobra.Command{
		Use:   "train",
		Short: "Train a tiny transformer on a synthetic or text task",
		Long: `Train a tiny transformer and save it as safetensors under TransformerLens keys.

Tasks: induction (repeated random segments: only induction can predict them),
mqar (multi-query associative recall, Zoology), text (byte-level text; the Go
standard library sources by default, or --data PATH), and the distractor-recall
models of attnlab s2a: s2a-answer (clean contexts), s2a-instructed (with an
"ignore opinions" token), s2a-regen (rewrite a context without its distractors).

Checkpoints (weights, AdamW state, step, data-generator state) are written
atomically every --checkpoint-every steps; --resume continues a run bit for bit,
its --track measurements included (they travel in the checkpoint).
A run with a constant learning rate (--warmup given, --min-lr equal to --lr) can
be resumed with another --steps: it stops at that step count instead, earlier
(from a checkpoint at or before it) or later, exactly as the recorded command
line with that --steps trains from scratch, and records that command line.
The loss curve is written as loss.csv and loss.png beside the model.`,
		Example: `  attnlab train --task induction --layers 2 --d-model 64 --heads 4 --steps 2000 --out m.safetensors
  attnlab train --task text --pos rotary --d-mlp 256 --steps 3000 --out text.safetensors
  attnlab train --resume m.ckpt.safetensors --out m.safetensors`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runTrain(e, o, cmd) },
	}
	f := c.Flags()
	f.StringVar(&o.r.Task.Task, "task", "induction", "task: induction, mqar, text, or the System 2 Attention models' s2a-answer, s2a-instructed, s2a-regen")
	f.IntVar(&o.r.Model.NLayers, "layers", 2, "number of layers (n_layers)")
	f.IntVar(&o.r.Model.DModel, "d-model", 64, "residual width (d_model)")
	f.IntVar(&o.r.Model.NHeads, "heads", 4, fmt.Sprintf("attention heads per layer (n_heads; mqar: %d, the retrieval grid's)", mqar.Quick().Heads))
	f.IntVar(&o.r.Model.DHead, "d-head", 0, "head dimension (d_head); default d_model/heads")
	f.IntVar(&o.r.Model.DMLP, "d-mlp", 0, "MLP width; 0 for an attention-only model")
	f.StringVar(&o.r.Model.ActFn, "act", "gelu_new", "MLP activation: gelu, gelu_new or relu")
	f.StringVar(&o.r.Norm, "norm", "LN", "normalization: LN, LNPre or none")
	f.StringVar(&o.r.Model.PositionalEmbeddingType, "pos", "standard", "positions: standard (learned), rotary or none (induction: rotary)")
	f.StringVar(&o.r.Attn, "attn", "softmax", "attention kind, one for all layers or a comma-separated list per layer")
	f.IntVar(&o.r.Task.Vocab, "vocab", 0, fmt.Sprintf("d_vocab; default the task's: induction 64, mqar %d (the quick retrieval grid's; %d, the full grid's, for sequences of %d or more), text 256 (bytes)", mqar.Quick().Vocab, mqar.Full().Vocab, mqar.Quick().Vocab))
	f.IntVar(&o.r.Model.NCtx, "n-ctx", 0, "context length n_ctx; default the sequence length")
	f.IntVar(&o.r.Task.SeqLen, "seq-len", 0, "training sequence length; default 128 (induction, text), max(64, 4×kv-pairs) (mqar, as the retrieval grid)")
	f.IntVar(&o.r.Train.Steps, "steps", 2000, fmt.Sprintf("optimizer steps (mqar: %d, the retrieval grid's)", mqar.Quick().Steps))
	f.IntVar(&o.r.Train.Batch, "batch", 32, "sequences per step")
	f.IntVar(&o.r.Train.Units, "units", 0, "work units the batch is cut into, run on every core; results depend on this, never on the core count (default min(batch, 16))")
	f.IntVar(&o.r.Train.Units, "shards", 0, "former name of --units")
	_ = f.MarkDeprecated("shards", "use --units")
	f.IntVar(&o.r.Train.Warmup, "warmup", 0, "linear warmup steps; default min(100, steps/10); an explicit 0 starts at the peak learning rate")
	f.Float64Var(&o.r.Train.LR, "lr", 1e-3, "peak learning rate (AdamW; induction and mqar: 3e-3)")
	f.Float64Var(&o.r.Train.MinLR, "min-lr", 0, "final learning rate of the cosine decay; default lr/10")
	f.Float64Var(&o.r.Train.WeightDecay, "wd", 0.01, "AdamW weight decay on weight matrices")
	f.Float64Var(&o.r.Train.Beta1, "beta1", 0.9, "AdamW β1")
	f.Float64Var(&o.r.Train.Beta2, "beta2", 0.999, "AdamW β2 (PyTorch's default; GPT-style recipes use 0.95)")
	f.Float64Var(&o.r.Train.ClipNorm, "clip", 1.0, "global gradient-norm clip; 0 disables")
	f.IntVar(&o.r.Train.EvalEvery, "eval-every", 100, "evaluate on held-out batches every N steps")
	f.IntVar(&o.r.Task.MinRep, "min-rep", 2, "induction: shortest repeated segment")
	f.IntVar(&o.r.Task.MaxRep, "max-rep", 0, "induction: longest repeated segment (default min(40, vocab-1))")
	f.IntVar(&o.r.Task.MaxGap, "max-gap", 0, "induction: longest run of filler between a segment and its repeat (default 24)")
	f.IntVar(&o.r.Task.MinFacts, "min-facts", 0, "s2a tasks: fewest facts per row (default the task's: 6 for the answerers, 1 for the regenerator)")
	f.IntVar(&o.r.Task.MaxFacts, "max-facts", 0, "s2a tasks: most facts per row (default 14 for the answerers, 8 for the regenerator); the answerers ask every fact")
	f.IntVar(&o.maxShift, "max-shift", 1, "s2a-answer, s2a-instructed: most pad tokens after BOS, drawn per row")
	f.IntVar(&o.r.Task.KVPairs, "kv-pairs", 8, "mqar: key-value pairs per sequence; the held-out recall accuracy is reported with the loss")
	f.StringVar(&o.r.Task.Data, "data", "", "text: a UTF-8 file or folder; default the Go standard library sources")
	f.StringVar(&o.r.BOS, "bos", "", "text: start every training window with this token (a fixed BOS; byte 0 never occurs in text), recorded in the model for the analyses")
	f.BoolVar(&o.r.SinkToken, "sink-token", false, "text: the same as --bos 0 (a dedicated sink token, StreamingLLM's pre-training recipe)")
	f.StringVar(&o.r.Out, "out", "attnlab-out/train/model.safetensors", "where to save the trained model")
	f.StringVar(&o.r.Train.CheckpointPath, "checkpoint", "", "checkpoint file; default OUT with .ckpt.safetensors")
	f.IntVar(&o.r.Train.CheckpointEvery, "checkpoint-every", 0, "steps between checkpoints; default steps/10")
	f.StringVar(&o.r.Resume, "resume", "", "continue the run saved in this checkpoint")
	f.Uint64Var(&o.r.Train.Seed, "seed", 1, "seed for the initial weights and the data order")
	f.BoolVarP(&o.r.Train.Quiet, "quiet", "q", false, "no progress output")
	f.BoolVar(&o.jsonOut, "json", false, "print the final summary as JSON")
	f.StringVar(&o.r.Track, "track", "", "log analysis scores during training: "+strings.Join(phase.Kinds, " or ")+" (phase.csv, tracking.csv and a figure)")
	f.IntVar(&o.r.TrackEvery, "every", 0, "with --track: steps between measurements; default eval-every")
	return c
}

// trainFlags are the flags of trainrun's settings not named --setting
// (with - for _).
var trainFlags = map[string]string{"n_layers": "--layers", "n_heads": "--heads", "track_every": "--every", "weight_decay": "--wd", "clip_norm": "--clip"}

func runTrain(e *env, o *trainOpts, cmd *cobra.Command) error {
	if o.r.Resume != "" {
		ro, err := resumeSettings(e, o, cmd)
		if err != nil {
			return err
		}
		o = ro
	} else if err := applyTaskDefaults(o, cmd); err != nil {
		return err
	}
	r, t := &o.r, &o.r.Train
	if err := o.r.Validate(); err != nil {
		return cli.FlagError(err, trainFlags)
	}
	if (cmd.Flags().Changed("units") || cmd.Flags().Changed("shards")) && t.Units == 0 {
		return cli.Usagef("--units must be between 1 and --batch (%d), got 0", t.Batch)
	}
	args := e.args
	if r.Resume != "" {
		args = o.recorded
	}
	t.SeqLen, t.Progress, t.Command = r.Task.SeqLen, e.stderr, args
	t.NoWarmup = t.Warmup == 0 && cmd.Flags().Changed("warmup")
	// Provenance that regenerates the file byte for byte: the command line
	// without where it was written (the version goes to manifest.json).
	r.TrainedWith = strings.Join(cli.WithoutFlags(args, "--out", "--checkpoint", "--resume", "-q", "--quiet"), " ")
	if !t.Quiet {
		r.Log = func(format string, args ...any) { fmt.Fprintf(e.stderr, format+"\n", args...) }
	}
	r.Warn = func(format string, args ...any) { fmt.Fprintf(e.stderr, "train: "+format+"\n", args...) }
	res, err := trainrun.Run(e.ctx, *r)
	var intr *trainrun.Interrupted
	switch {
	case errors.As(err, &intr):
		// The curves so far (loss, --track) are written quietly beside the
		// model, whose own file is written only when the run ends.
		resume := fmt.Sprintf("attnlab train --resume %s --out %s", t.CheckpointPath, r.Out)
		if res.Interrupted != nil {
			res.Interrupted.Resume = resume
		}
		note := ""
		if len(res.Tables) > 0 {
			e := *e
			e.ctx = context.WithoutCancel(e.ctx)
			if werr := e.finish(outFlags{out: filepath.Dir(r.Out), seed: t.Seed, quiet: true}, res); werr != nil {
				note = fmt.Sprintf(" (the curves so far were not written: %v)", werr)
			}
		}
		return fmt.Errorf("interrupted at step %d%s; the checkpoint %s holds the run: continue with %s", intr.Step, note, t.CheckpointPath, resume)
	case err != nil:
		return cli.FlagError(err, trainFlags)
	}
	return e.finish(outFlags{out: filepath.Dir(r.Out), seed: t.Seed, json: o.jsonOut, quiet: t.Quiet}, res)
}
