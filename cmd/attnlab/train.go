package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/probes"
	"github.com/attnlab/attnlab/report"
	"github.com/attnlab/attnlab/studies/mqar"
	"github.com/attnlab/attnlab/studies/phase"
	"github.com/attnlab/attnlab/tasks"
	"github.com/attnlab/attnlab/train"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

type trainOpts struct {
	task                         string
	layers, dModel, heads, dHead int
	dMLP, vocab, nCtx            int
	act, norm, pos, attn         string
	steps, batch, seqLen, warmup int
	units, evalEvery, ckptEvery  int
	lr, minLR, wd, clip          float64
	minRep, maxRep, maxGap       int
	minFacts, maxFacts, maxShift int
	kvPairs                      int
	data                         string
	sinkToken                    bool
	bos                          string
	beta1, beta2                 float64
	out, checkpoint, resume      string
	seed                         uint64
	quiet, jsonOut               bool
	track                        string
	trackEvery                   int
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
atomically every --checkpoint-every steps; --resume continues a run bit for bit.
The loss curve is written as loss.csv and loss.png beside the model.`,
		Example: `  attnlab train --task induction --layers 2 --d-model 64 --heads 4 --steps 2000 --out m.safetensors
  attnlab train --task text --pos rotary --d-mlp 256 --steps 3000 --out text.safetensors
  attnlab train --resume m.ckpt.safetensors --out m.safetensors`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runTrain(e, o, cmd) },
	}
	f := c.Flags()
	f.StringVar(&o.task, "task", "induction", "task: induction, mqar, text, or the System 2 Attention models' s2a-answer, s2a-instructed, s2a-regen")
	f.IntVar(&o.layers, "layers", 2, "number of layers (n_layers)")
	f.IntVar(&o.dModel, "d-model", 64, "residual width (d_model)")
	f.IntVar(&o.heads, "heads", 4, fmt.Sprintf("attention heads per layer (n_heads; mqar: %d, the retrieval grid's)", mqar.Quick().Heads))
	f.IntVar(&o.dHead, "d-head", 0, "head dimension (d_head); default d_model/heads")
	f.IntVar(&o.dMLP, "d-mlp", 0, "MLP width; 0 for an attention-only model")
	f.StringVar(&o.act, "act", "gelu_new", "MLP activation: gelu, gelu_new or relu")
	f.StringVar(&o.norm, "norm", "LN", "normalization: LN, LNPre or none")
	f.StringVar(&o.pos, "pos", "standard", "positions: standard (learned), rotary or none (induction: rotary)")
	f.StringVar(&o.attn, "attn", "softmax", "attention kind, one for all layers or a comma-separated list per layer")
	f.IntVar(&o.vocab, "vocab", 0, fmt.Sprintf("d_vocab; default the task's: induction 64, mqar %d (the quick retrieval grid's; %d, the full grid's, for sequences of %d or more), text 256 (bytes)", mqar.Quick().Vocab, mqar.Full().Vocab, mqar.Quick().Vocab))
	f.IntVar(&o.nCtx, "n-ctx", 0, "context length n_ctx; default the sequence length")
	f.IntVar(&o.seqLen, "seq-len", 0, "training sequence length; default 128 (induction, text), max(64, 4×kv-pairs) (mqar, as the retrieval grid)")
	f.IntVar(&o.steps, "steps", 2000, fmt.Sprintf("optimizer steps (mqar: %d, the retrieval grid's)", mqar.Quick().Steps))
	f.IntVar(&o.batch, "batch", 32, "sequences per step")
	f.IntVar(&o.units, "units", 0, "work units the batch is cut into, run on every core; results depend on this, never on the core count (default min(batch, 16))")
	f.IntVar(&o.units, "shards", 0, "former name of --units")
	_ = f.MarkDeprecated("shards", "use --units")
	f.IntVar(&o.warmup, "warmup", 0, "linear warmup steps; default min(100, steps/10); an explicit 0 starts at the peak learning rate")
	f.Float64Var(&o.lr, "lr", 1e-3, "peak learning rate (AdamW; induction and mqar: 3e-3)")
	f.Float64Var(&o.minLR, "min-lr", 0, "final learning rate of the cosine decay; default lr/10")
	f.Float64Var(&o.wd, "wd", 0.01, "AdamW weight decay on weight matrices")
	f.Float64Var(&o.beta1, "beta1", 0.9, "AdamW β1")
	f.Float64Var(&o.beta2, "beta2", 0.999, "AdamW β2 (PyTorch's default; GPT-style recipes use 0.95)")
	f.Float64Var(&o.clip, "clip", 1.0, "global gradient-norm clip; 0 disables")
	f.IntVar(&o.evalEvery, "eval-every", 100, "evaluate on held-out batches every N steps")
	f.IntVar(&o.minRep, "min-rep", 2, "induction: shortest repeated segment")
	f.IntVar(&o.maxRep, "max-rep", 0, "induction: longest repeated segment (default min(40, vocab-1))")
	f.IntVar(&o.maxGap, "max-gap", 0, "induction: longest run of filler between a segment and its repeat (default 24)")
	f.IntVar(&o.minFacts, "min-facts", 0, "s2a tasks: fewest facts per row (default the task's: 6 for the answerers, 1 for the regenerator)")
	f.IntVar(&o.maxFacts, "max-facts", 0, "s2a tasks: most facts per row (default 14 for the answerers, 8 for the regenerator); the answerers ask every fact")
	f.IntVar(&o.maxShift, "max-shift", 1, "s2a-answer, s2a-instructed: most pad tokens after BOS, drawn per row")
	f.IntVar(&o.kvPairs, "kv-pairs", 8, "mqar: key-value pairs per sequence; the held-out recall accuracy is reported with the loss")
	f.StringVar(&o.data, "data", "", "text: a UTF-8 file or folder; default the Go standard library sources")
	f.StringVar(&o.bos, "bos", "", "text: start every training window with this token (a fixed BOS; byte 0 never occurs in text), recorded in the model for the analyses")
	f.BoolVar(&o.sinkToken, "sink-token", false, "text: the same as --bos 0 (a dedicated sink token, StreamingLLM's pre-training recipe)")
	f.StringVar(&o.out, "out", "attnlab-out/train/model.safetensors", "where to save the trained model")
	f.StringVar(&o.checkpoint, "checkpoint", "", "checkpoint file; default OUT with .ckpt.safetensors")
	f.IntVar(&o.ckptEvery, "checkpoint-every", 0, "steps between checkpoints; default steps/10")
	f.StringVar(&o.resume, "resume", "", "continue the run saved in this checkpoint")
	f.Uint64Var(&o.seed, "seed", 1, "seed for the initial weights and the data order")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "no progress output")
	f.BoolVar(&o.jsonOut, "json", false, "print the final summary as JSON")
	f.StringVar(&o.track, "track", "", "log analysis scores during training: "+strings.Join(phase.Kinds, " or ")+" (phase.csv, tracking.csv and a figure)")
	f.IntVar(&o.trackEvery, "every", 0, "with --track: steps between measurements; default eval-every")
	return c
}

// taskDefaults are the recipe each task trains with unless a flag says
// otherwise. For induction it is the recipe of the embedded model: rotary
// positions make the previous-token head easy to learn, repeats of up to 40
// tokens with up to 24 tokens between the copies make the induction head
// work at distances it never saw in one piece (fixtures/README.md).
// For mqar it is the quick retrieval grid's recipe (mqar.Quick), so that a
// model trained here is comparable with the grid's cells: its vocabulary,
// heads, learning rate, steps and batch.
var taskDefaults = map[string]map[string]string{
	"induction": {"pos": "rotary", "lr": "3e-3", "max-gap": "24"},
	"mqar": {"vocab": strconv.Itoa(mqar.Quick().Vocab), "heads": strconv.Itoa(mqar.Quick().Heads),
		"lr": strconv.FormatFloat(mqar.Quick().LR, 'g', -1, 64), "steps": strconv.Itoa(mqar.Quick().Steps),
		"batch": strconv.Itoa(mqar.Quick().Batch)},
}

// applyTaskDefaults sets the task's defaults for the flags not given.
func applyTaskDefaults(o *trainOpts, cmd *cobra.Command) error {
	if o.task == "mqar" {
		g := mqar.Quick()
		if o.seqLen == 0 {
			o.seqLen = g.SeqLenFor(o.kvPairs) // room for the pairs and their queries, as in the grid
		}
		if !cmd.Flags().Changed("vocab") && o.seqLen >= g.Vocab {
			// The full grid's, which has room for 32 and 64 pairs.
			if err := cmd.Flags().Set("vocab", strconv.Itoa(mqar.Full().Vocab)); err != nil {
				return err
			}
		}
	}
	for name, v := range taskDefaults[o.task] {
		if !cmd.Flags().Changed(name) {
			if err := cmd.Flags().Set(name, v); err != nil {
				return err
			}
		}
	}
	return nil
}

func runTrain(e *env, o *trainOpts, cmd *cobra.Command) error {
	if o.resume != "" {
		ro, err := resumeSettings(e, o, cmd)
		if err != nil {
			return err
		}
		o = ro
	} else if err := applyTaskDefaults(o, cmd); err != nil {
		return err
	}
	if err := o.validate(); err != nil {
		return err
	}
	bos, hasBOS, err := parseBOS(o.bos, 256)
	if err != nil {
		return err
	}
	if o.sinkToken {
		if hasBOS && bos != tasks.SinkTokenID {
			return usagef("--sink-token is --bos %d; it cannot be combined with --bos %d", tasks.SinkTokenID, bos)
		}
		bos, hasBOS = tasks.SinkTokenID, true
	}
	if hasBOS && o.task != "text" {
		return usagef("--bos and --sink-token need --task text, got %q", o.task)
	}
	if !slices.Contains(tasks.Names, o.task) {
		return usagef("--task must be one of %s, got %q", strings.Join(tasks.Names, ", "), o.task)
	}
	var maxShift *int
	if cmd.Flags().Changed("max-shift") {
		maxShift = &o.maxShift
	}
	task, defSeq, err := tasks.Build(tasks.Options{Task: o.task, Vocab: o.vocab, SeqLen: o.seqLen, MinRep: o.minRep, MaxRep: o.maxRep,
		MaxGap: o.maxGap, KVPairs: o.kvPairs, Data: o.data, BOS: hasBOS, BOSToken: bos,
		MinFacts: o.minFacts, MaxFacts: o.maxFacts, MaxShift: maxShift})
	if err != nil {
		return usageError{err}
	}
	if o.seqLen == 0 {
		o.seqLen = defSeq
	}
	if set := cmd.Flags().Changed("units") || cmd.Flags().Changed("shards"); (set && o.units < 1) || o.units > o.batch {
		return usagef("--units must be between 1 and --batch (%d), got %d", o.batch, o.units)
	}
	for _, p := range []string{o.out, o.checkpoint} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
	}
	progress := io.Writer(e.stderr)
	opt := train.Options{Steps: o.steps, Batch: o.batch, SeqLen: o.seqLen, LR: o.lr, MinLR: o.minLR, Warmup: o.warmup,
		WeightDecay: o.wd, ClipNorm: o.clip, Seed: o.seed, Units: o.units, EvalEvery: o.evalEvery,
		CheckpointPath: o.checkpoint, CheckpointEvery: o.ckptEvery, Progress: progress, Quiet: o.quiet,
		NoWarmup: o.warmup == 0 && cmd.Flags().Changed("warmup"), Beta1: o.beta1, Beta2: o.beta2, Command: e.args}
	if o.clip == 0 {
		opt.ClipNorm = -1
	}
	var tracker phase.Tracker
	if o.track != "" {
		if !slices.Contains(phase.Kinds, o.track) {
			return usagef("--track must be induction or sinks, got %q", o.track)
		}
		if o.track == "induction" && o.task != "induction" {
			return usagef("--track induction needs --task induction")
		}
		if tracker, err = phase.New(o.track, task, o.seqLen, o.seed); err != nil {
			return usageError{err}
		}
		phase.Attach(&opt, tracker, o.trackEvery)
	}

	var tr *train.Trainer
	if o.resume != "" {
		if tr, err = train.Resume(o.resume, task, opt); err != nil {
			return err
		}
	} else {
		cfg, err := modelConfig(o, task, cmd)
		if err != nil {
			return err
		}
		m, err := model.NewInit[float32](cfg)
		if err != nil {
			return usageError{err}
		}
		if tr, err = train.New(m, task, opt); err != nil {
			return usageError{err}
		}
	}
	m := tr.Model
	if err := m.SetTask(task.Name(), task.Spec(), tasks.Tokenizer(task)); err != nil {
		return err
	}
	// Provenance that regenerates the file byte for byte: the command line
	// without where it was written (the version goes to manifest.json).
	if _, ok := m.Meta[model.MetaTrainedWith]; !ok || o.resume == "" {
		m.Meta[model.MetaTrainedWith] = strings.Join(withoutFlags(e.args, "--out", "--checkpoint", "--resume", "-q", "--quiet"), " ")
	}
	if !o.quiet {
		fmt.Fprintf(e.stderr, "training %s on %s: %d parameters, %d steps of %d×%d tokens\n",
			m.Config.Summary(), task.Name(), m.NumParams(), opt.Steps, opt.Batch, opt.SeqLen)
	}
	runErr := tr.Run(e.ctx)
	if runErr != nil && e.ctx.Err() == nil {
		return runErr
	}
	if runErr != nil {
		return fmt.Errorf("interrupted at step %d; the checkpoint %s holds the run: continue with attnlab train --resume %s --out %s",
			tr.Step, o.checkpoint, o.checkpoint, o.out)
	}
	m.Meta[model.MetaSteps] = fmt.Sprint(tr.Step)
	if err := m.Save(o.out); err != nil {
		return err
	}
	return e.finishTrain(o, tr, tracker)
}

// modelConfig builds the model config from the flags.
func modelConfig(o *trainOpts, task tasks.Task, cmd *cobra.Command) (model.Config, error) {
	norm := o.norm
	if strings.EqualFold(norm, "none") {
		norm = ""
	}
	nctx := o.nCtx
	if nctx == 0 {
		nctx = o.seqLen
	}
	vocab := task.Vocab()
	if o.vocab > 0 && o.task != "induction" && o.task != "mqar" {
		vocab = o.vocab
	}
	cfg := model.Config{NLayers: o.layers, DModel: o.dModel, NHeads: o.heads, DHead: o.dHead, DMLP: o.dMLP,
		DVocab: vocab, NCtx: nctx, ActFn: o.act, NormalizationType: norm, PositionalEmbeddingType: o.pos,
		AttnOnly: o.dMLP == 0, Seed: o.seed}
	if o.dMLP == 0 {
		cfg.ActFn = ""
	}
	if o.dHead == 0 && o.dModel%o.heads != 0 {
		return cfg, usagef("--d-model (%d) must be a multiple of --heads (%d), or set --d-head", o.dModel, o.heads)
	}
	kinds, err := model.ParseAttention(o.attn, o.layers)
	if err != nil {
		return cfg, usagef("--attn: %v", err)
	}
	cfg.Attention = kinds
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return cfg, usageError{err}
	}
	return cfg, nil
}

// finishTrain writes the loss curve (CSV + PNG), the tracker's results
// and the manifest beside the model and prints a summary.
func (e *env) finishTrain(o *trainOpts, tr *train.Trainer, tk phase.Tracker) error {
	r := tr.Results("Trained " + o.out)
	r.Model, r.Extra = o.out, map[string]any{"config": json.RawMessage(tr.Model.Config.JSON()), "checkpoint": o.checkpoint}
	if tk != nil {
		r.Append(tk.Results())
	}
	if tr.Model.Task() == "mqar" {
		// Recall, not only loss: accuracy on held-out sequences of the
		// task, as the retrieval grid measures its cells.
		cfg, err := tasks.ParseMQARSpec(tr.Model.TaskSpec())
		if err != nil {
			return err
		}
		ev, err := probes.EvalMQARPairs(tr.Model, o.out, cfg, []int{cfg.NumKVPairs}, mqar.Quick().EvalSeqs, o.seed)
		if err != nil {
			return err
		}
		r.Append(ev)
	}
	return e.finish(outFlags{out: filepath.Dir(o.out), seed: o.seed, json: o.jsonOut, quiet: o.quiet}, r)
}

// withoutFlags drops the named flags (and their values) from a command line.
func withoutFlags(args []string, drop ...string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, _, hasValue := strings.Cut(a, "=")
		if slices.Contains(drop, name) {
			if !hasValue && name != "-q" && name != "--quiet" && i+1 < len(args) {
				i++
			}
			continue
		}
		out = append(out, a)
	}
	return out
}

// validate checks every flag before any work: sizes, rates (finite, in
// range), and the output paths (a file name that is absent or a regular
// file, not a folder or a device).
func (o *trainOpts) validate() error {
	for _, f := range []struct {
		name string
		v    int
	}{{"--steps", o.steps}, {"--batch", o.batch}, {"--layers", o.layers}, {"--d-model", o.dModel},
		{"--heads", o.heads}, {"--kv-pairs", o.kvPairs}} {
		if f.v <= 0 {
			return usagef("%s must be a positive integer, got %d", f.name, f.v)
		}
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"--seq-len", o.seqLen}, {"--vocab", o.vocab}, {"--n-ctx", o.nCtx}, {"--d-head", o.dHead}, {"--d-mlp", o.dMLP},
		{"--warmup", o.warmup}, {"--eval-every", o.evalEvery}, {"--checkpoint-every", o.ckptEvery}, {"--min-rep", o.minRep},
		{"--max-rep", o.maxRep}, {"--max-gap", o.maxGap}, {"--every", o.trackEvery}, {"--units", o.units}} {
		if f.v < 0 {
			return usagef("%s must be 0 (the default) or positive, got %d", f.name, f.v)
		}
	}
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	switch {
	case !finite(o.lr) || o.lr <= 0:
		return usagef("--lr must be a positive number, got %v", o.lr)
	case !finite(o.minLR) || o.minLR < 0 || o.minLR > o.lr:
		return usagef("--min-lr must be a number between 0 and --lr (%v), got %v", o.lr, o.minLR)
	case !finite(o.wd) || o.wd < 0:
		return usagef("--wd must be a number ≥ 0, got %v", o.wd)
	case !finite(o.clip) || o.clip < 0:
		return usagef("--clip must be a number ≥ 0 (0 disables clipping), got %v", o.clip)
	}
	for _, b := range []struct {
		name string
		v    float64
	}{{"--beta1", o.beta1}, {"--beta2", o.beta2}} {
		if !(b.v >= 0 && b.v < 1) {
			return usagef("%s must be in [0, 1), got %v", b.name, b.v)
		}
	}
	if o.checkpoint == "" {
		o.checkpoint = strings.TrimSuffix(o.out, ".safetensors") + ".ckpt.safetensors"
	}
	if err := report.CheckTarget(o.out); err != nil {
		return usagef("--out: %v", strings.TrimPrefix(err.Error(), "report: "))
	}
	if err := report.CheckTarget(o.checkpoint); err != nil {
		return usagef("--checkpoint: %v", strings.TrimPrefix(err.Error(), "report: "))
	}
	if o.checkpoint == o.out {
		return usagef("--checkpoint and --out must be different files, both are %s", o.out)
	}
	return nil
}

// resumeFlags are the flags a resume may set freely: where and how it
// writes, not what it computes.
var resumeFlags = []string{"resume", "out", "checkpoint", "quiet", "json", "track", "every", "memory-limit"}

// resumeSettings rebuilds the settings of the run a checkpoint continues.
// A resume takes every setting from the checkpoint: the command line that
// started the run (recorded in the checkpoint) is parsed with this
// command's own flags, with the same task defaults, so the task, its
// generator and the recipe are the run's. A flag given explicitly on the
// resume command line must agree with the checkpoint; one that contradicts
// it is named in the error, never silently ignored.
func resumeSettings(e *env, o *trainOpts, cmd *cobra.Command) (*trainOpts, error) {
	info, err := train.ReadCheckpointInfo(o.resume)
	if err != nil {
		return nil, err
	}
	args := info.Options.Command
	if len(args) == 0 { // checkpoints written before the command was recorded
		args = strings.Fields(info.Meta[model.MetaTrainedWith])
	}
	if len(args) < 2 || args[1] != "train" {
		return nil, fmt.Errorf("%s does not record the command line that started its run, so its settings cannot be rebuilt", o.resume)
	}
	ro := &trainOpts{}
	rc := newTrainCmdWith(e, ro)
	if err := rc.ParseFlags(args[2:]); err != nil {
		return nil, fmt.Errorf("%s records the command line %q, which does not parse: %v", o.resume, strings.Join(args, " "), err)
	}
	if err := applyTaskDefaults(ro, rc); err != nil {
		return nil, err
	}
	var conflicts []string
	cmd.Flags().Visit(func(f *pflag.Flag) {
		if slices.Contains(resumeFlags, f.Name) {
			return
		}
		if was := rc.Flags().Lookup(f.Name); was != nil && was.Value.String() != f.Value.String() {
			conflicts = append(conflicts, fmt.Sprintf("--%s %s (the checkpoint's run has %s)", f.Name, f.Value, was.Value))
		}
	})
	if len(conflicts) > 0 {
		return nil, usagef("a resume takes every setting from the checkpoint, and %s contradicts it: drop it", strings.Join(conflicts, ", "))
	}
	ro.resume, ro.out, ro.checkpoint, ro.quiet, ro.jsonOut = o.resume, o.out, o.checkpoint, o.quiet, o.jsonOut
	ro.track, ro.trackEvery = o.track, o.trackEvery
	if ro.checkpoint == "" {
		ro.checkpoint = o.resume // continue writing the checkpoint it resumes
	}
	return ro, nil
}
