// Package trainrun is one training run of attnlab train: it builds the
// task and the model from a recipe (or continues a checkpoint), attaches a
// tracker, trains, records the run's provenance in the model, saves it, and
// measures what the task calls for (held-out MQAR recall for an mqar model).
// It returns the loss curve, the summary and the tracker's and the
// evaluation's tables and figures as report.Results for a command to write.
//
// Errors name values, never flags: Validate's are *badinput.Setting (a
// setting out of range, named in snake case), a recipe that cannot be built
// (a task that does not fit the model, a tracker the task cannot have) is
// a *badinput.Error, an *Interrupted a run stopped by its context (the
// checkpoint holds it); anything else is a runtime failure.
package trainrun

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/attnlab/attnlab/internal/badinput"
	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/probes"
	"github.com/attnlab/attnlab/report"
	"github.com/attnlab/attnlab/studies/mqar"
	"github.com/attnlab/attnlab/studies/phase"
	"github.com/attnlab/attnlab/tasks"
	"github.com/attnlab/attnlab/train"
)

// Options are one run: what it trains and where it writes.
type Options struct {
	Task tasks.Options // the task
	// Model is the architecture of a new run: d_vocab is the task's (a text
	// or s2a model may have more tokens than the task uses: Task.Vocab),
	// n_ctx 0 the training sequence length, d_mlp 0 an attention-only
	// model, the seed the run's. Unused on a resume: the checkpoint holds
	// the model.
	Model model.Config
	// Norm and Attn complete Model for a new run: the normalization (LN,
	// LNPre or none, in any case; "" leaves Model's) and the attention, one
	// kind for every layer or a comma-separated list, one per layer
	// (model.ParseAttention; required).
	Norm, Attn string
	// BOS is the text task's fixed first token, a token id or "none" (""
	// is none); SinkToken is the same as BOS tasks.SinkTokenID. Validate
	// sets Task.BOS and Task.BOSToken from them.
	BOS       string
	SinkToken bool
	// Train is the recipe; SeqLen 0 is the task's default length.
	// CheckpointPath is where checkpoints are written.
	Train      train.Options
	Track      string // "" or one of phase.Kinds: scores measured while training
	TrackEvery int    // steps between the tracker's measurements; 0: at every evaluation
	Out        string // the trained model's file
	Resume     string // a checkpoint to continue ("" starts a new run)
	// TrainedWith is the provenance recorded in the model (the command line
	// that regenerates it); a resumed run keeps the one its checkpoint has,
	// unless it changes the step count.
	TrainedWith string
	// Log, when set, receives one line saying what is trained.
	Log func(format string, args ...any)
	// Warn, when set, receives what a user should know about a run that
	// goes on: a resume whose checkpoint holds no tracker history to
	// continue (its tracking starts at the checkpoint's step).
	Warn func(format string, args ...any)
}

// Interrupted is a run stopped by its context after Step steps; its
// checkpoint holds the run. Run returns it with the results of the steps
// done (none before the first step), marked as interrupted
// (report.Results.Interrupted) and without the model, which is not saved.
type Interrupted struct {
	Step int
	Err  error
}

func (e *Interrupted) Error() string { return fmt.Sprintf("trainrun: interrupted at step %d", e.Step) }
func (e *Interrupted) Unwrap() error { return e.Err }

// Run trains (or continues) the run o describes, saves the model at o.Out
// and returns its results: loss.csv, loss.png, train_summary.csv (the
// headline), the tracker's tables and figures, and for an mqar model its
// held-out recall (mqar_eval.csv), as the retrieval grid measures its cells.
func Run(ctx context.Context, o Options) (report.Results, error) {
	task, defSeq, err := tasks.Build(o.Task)
	if err != nil {
		return report.Results{}, badinput.Wrap(err)
	}
	opt := o.Train
	if opt.ClipNorm == 0 {
		opt.ClipNorm = -1 // disabled (train.Options's 0 is its default)
	}
	if opt.SeqLen == 0 {
		opt.SeqLen = defSeq
	}
	for _, p := range []string{o.Out, opt.CheckpointPath} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return report.Results{}, err
		}
	}
	var tracker phase.Tracker
	if o.Track != "" {
		if tracker, err = phase.New(o.Track, task, opt.SeqLen, opt.Seed); err != nil {
			return report.Results{}, badinput.Wrap(err)
		}
		phase.Attach(&opt, tracker, o.TrackEvery)
	}
	tr, err := start(o, task, opt)
	if err != nil {
		return report.Results{}, err
	}
	if tracker != nil && o.Resume != "" {
		// The measurements before the checkpoint's step, so that the
		// tracker's tables and figures are the uninterrupted run's.
		if _, err := phase.Restore(tracker, tr); err != nil && o.Warn != nil {
			o.Warn("%v: the %s tracking starts at step %d", err, o.Track, tr.Step)
		}
	}
	m := tr.Model
	if err := m.SetTask(task.Name(), task.Spec(), tasks.Tokenizer(task)); err != nil {
		return report.Results{}, err
	}
	// A resume keeps the provenance its checkpoint records, unless it
	// changes the run's step count (train.Retargetable): then o.TrainedWith
	// is the command line that now regenerates the run.
	keep := o.Resume != ""
	if keep {
		info, err := train.ReadCheckpointInfo(o.Resume)
		if err != nil {
			return report.Results{}, err
		}
		keep = info.Options.Steps == tr.Opt.Steps
	}
	if _, ok := m.Meta[model.MetaTrainedWith]; !ok || !keep {
		m.Meta[model.MetaTrainedWith] = o.TrainedWith
	}
	if o.Log != nil {
		o.Log("training %s on %s: %d parameters, %d steps of %d×%d tokens",
			m.Config.Summary(), task.Name(), m.NumParams(), opt.Steps, opt.Batch, opt.SeqLen)
	}
	if err := tr.Run(ctx); err != nil {
		if ctx.Err() != nil {
			// The curves of the steps done: the loss and the tracker's
			// measurements so far (a resume's include the checkpoint's).
			var r report.Results
			if tr.Step > 0 {
				r = tr.Results(fmt.Sprintf("Interrupted at step %d of %d", tr.Step, tr.Opt.Steps))
				if tracker != nil && len(tracker.MeasuredSteps()) > 0 {
					r.Append(tracker.Results())
				}
				r.Interrupted = &report.Interruption{Step: tr.Step, Steps: tr.Opt.Steps, Checkpoint: opt.CheckpointPath}
			}
			return r, &Interrupted{Step: tr.Step, Err: err}
		}
		return report.Results{}, err
	}
	m.Meta[model.MetaSteps] = fmt.Sprint(tr.Step)
	if err := m.Save(o.Out); err != nil {
		return report.Results{}, err
	}
	r := tr.Results("Trained " + o.Out)
	r.Model, r.Extra = o.Out, map[string]any{"config": json.RawMessage(m.Config.JSON()), "checkpoint": opt.CheckpointPath}
	if tracker != nil {
		r.Append(tracker.Results())
	}
	if m.Task() == "mqar" {
		cfg, err := tasks.ParseMQARSpec(m.TaskSpec())
		if err != nil {
			return report.Results{}, err
		}
		ev, err := probes.EvalMQARPairs(m, o.Out, cfg, []int{cfg.NumKVPairs}, mqar.Quick().EvalSeqs, opt.Seed)
		if err != nil {
			return report.Results{}, err
		}
		r.Append(ev)
	}
	return r, nil
}

// start continues the checkpoint o.Resume, or initialises a new model.
func start(o Options, task tasks.Task, opt train.Options) (*train.Trainer, error) {
	if o.Resume != "" {
		return train.Resume(o.Resume, task, opt)
	}
	cfg := o.Model
	cfg.DVocab = task.Vocab()
	if t := o.Task.Task; o.Task.Vocab > 0 && t != "induction" && t != "mqar" {
		cfg.DVocab = o.Task.Vocab
	}
	cfg.AttnOnly, cfg.Seed = cfg.DMLP == 0, opt.Seed
	if cfg.AttnOnly {
		cfg.ActFn = ""
	}
	if cfg.NCtx == 0 {
		cfg.NCtx = opt.SeqLen
	}
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, badinput.Wrap(err)
	}
	m, err := model.NewInit[float32](cfg)
	if err != nil {
		return nil, badinput.Wrap(err)
	}
	tr, err := train.New(m, task, opt)
	return tr, badinput.Wrap(err)
}

// RecordedCommand is the command line that started the run a checkpoint
// continues (recorded in the checkpoint; for checkpoints written before it
// was, the model's trained_with provenance), from "attnlab train" on.
func RecordedCommand(checkpoint string) ([]string, error) {
	info, err := train.ReadCheckpointInfo(checkpoint)
	if err != nil {
		return nil, err
	}
	args := info.Options.Command
	if len(args) == 0 {
		args = strings.Fields(info.Meta[model.MetaTrainedWith])
	}
	if len(args) < 2 || args[1] != "train" {
		return nil, fmt.Errorf("%s does not record the command line that started its run, so its settings cannot be rebuilt", checkpoint)
	}
	return args, nil
}

// TaskDefaults are the settings each task trains with unless the recipe
// says otherwise, keyed by the names attnlab train gives them. For
// induction it is the recipe of the embedded model: rotary positions make
// the previous-token head easy to learn, repeats of up to 40 tokens with up
// to 24 tokens between the copies make the induction head work at
// distances it never saw in one piece (fixtures/README.md). For mqar it is
// the quick retrieval grid's recipe (mqar.Quick), so that a model trained
// alone is comparable with the grid's cells: its vocabulary, heads,
// learning rate, steps and batch; sequences of seqLen (0: the grid's
// length for kvPairs) of seqLen or more tokens take the full grid's
// vocabulary, which has room for 32 and 64 pairs. The sequence length
// returned is seqLen or, for mqar, the grid's.
func TaskDefaults(task string, kvPairs, seqLen int) (map[string]string, int) {
	switch task {
	case "induction":
		return map[string]string{"pos": "rotary", "lr": "3e-3", "max-gap": "24"}, seqLen
	case "mqar":
		g := mqar.Quick()
		if seqLen == 0 {
			seqLen = g.SeqLenFor(kvPairs) // room for the pairs and their queries, as in the grid
		}
		vocab := g.Vocab
		if seqLen >= g.Vocab {
			vocab = mqar.Full().Vocab
		}
		return map[string]string{"vocab": strconv.Itoa(vocab), "heads": strconv.Itoa(g.Heads),
			"lr": strconv.FormatFloat(g.LR, 'g', -1, 64), "steps": strconv.Itoa(g.Steps), "batch": strconv.Itoa(g.Batch)}, seqLen
	}
	return nil, seqLen
}
