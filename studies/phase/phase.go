// Package phase measures a model while it trains: trackers run at every
// evaluation of the training loop (train.Options.OnEval) and record how a
// circuit forms — the induction phase change (induction.Tracker: the
// second-repeat loss collapses as the best prefix-matching score jumps,
// Olsson et al. 2022) or the emergence of an attention sink (sinks.Tracker:
// first-token mass per head, Gu et al. 2024).
//
// The trackers' metrics live in their analyses; this package picks the
// tracker for a run, draws the batch it measures on, attaches it to the
// training options, and carries its history in the run's checkpoints, so
// that a resumed run's tables and figures are those of the run that never
// stopped.
package phase

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/attnlab/attnlab/induction"
	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/report"
	"github.com/attnlab/attnlab/sinks"
	"github.com/attnlab/attnlab/tasks"
	"github.com/attnlab/attnlab/train"
)

// Tracker measures a model during training and hands its tables and
// figures to a command when training ends.
type Tracker interface {
	// Measure records the model's scores at step.
	Measure(step int, m *model.Model) error
	// Results returns the tables, headline tables and figures.
	Results() report.Results
	// MarshalHistory encodes the measurements so far; UnmarshalHistory
	// replaces them with an encoded history measured on the same batch
	// (Restore continues a checkpoint's).
	MarshalHistory() ([]byte, error)
	UnmarshalHistory([]byte) error
	// MeasuredSteps returns the steps measured so far; Keep drops the
	// measurements at the steps keep rejects.
	MeasuredSteps() []int
	Keep(keep func(step int) bool)
}

// The trackers New knows, by name.
const (
	KindInduction = "induction"
	KindSinks     = "sinks"
)

// Kinds are the trackers New knows.
var Kinds = []string{KindInduction, KindSinks}

// SinkEps is the first-token mass above which the sink tracker calls a
// head a sink (Gu et al. 2024's ε).
const SinkEps = 0.3

// New returns the tracker of kind for a run on task with sequences of
// seqLen tokens:
//
//   - "induction" (the induction task only): every head's scores on 16
//     canonical sequences [BOS, x×L, x×L] drawn from seed;
//   - "sinks": first-token mass per head on 8 held-out windows of seqLen
//     tokens of the task (its validation split when it has one), drawn
//     with PCG(seed, 0x5171c).
func New(kind string, task tasks.Task, seqLen int, seed uint64) (Tracker, error) {
	switch kind {
	case KindInduction:
		if task.Name() != "induction" {
			return nil, fmt.Errorf("phase: the induction tracker needs the induction task, got %q", task.Name())
		}
		return induction.NewTracker(seed), nil
	case KindSinks:
		const B = 8
		if err := tasks.CheckShape(task, B, seqLen); err != nil {
			return nil, err
		}
		r := rand.New(rand.NewPCG(seed, 0x5171c))
		var b tasks.Batch
		if vs, ok := task.(interface {
			ValSample(r *rand.Rand, b, t int) tasks.Batch
		}); ok {
			b = vs.ValSample(r, B, seqLen)
		} else {
			b = task.Sample(r, B, seqLen)
		}
		t, err := sinks.NewTracker(b.Tokens, B, seqLen, SinkEps)
		if err != nil {
			return nil, err
		}
		return t, nil
	}
	return nil, fmt.Errorf("phase: unknown tracker %q (known: %s)", kind, strings.Join(Kinds, ", "))
}

// Attach makes training run t at every evaluation, and every `every` steps
// when every > 0 (else at the evaluations opt already has), and save t's
// history in every checkpoint (Restore continues it).
func Attach(opt *train.Options, t Tracker, every int) {
	opt.OnEval = t.Measure
	opt.Extra = func() (map[string]json.RawMessage, error) {
		h, err := save(t)
		return map[string]json.RawMessage{HistoryKey: h}, err
	}
	if s, ok := t.(interface{ SetTokensPerStep(int) }); ok {
		s.SetTokensPerStep(opt.Batch * opt.SeqLen) // the x axis in tokens
	}
	if every > 0 {
		opt.EvalEvery = every
	}
}
