package phase

import (
	"encoding/json"
	"fmt"

	"github.com/attnlab/attnlab/induction"
	"github.com/attnlab/attnlab/sinks"
	"github.com/attnlab/attnlab/train"
)

// HistoryKey is the section of a checkpoint's extra state
// (train.Options.Extra) that holds the tracker's history.
const HistoryKey = "tracker"

// HistoryVersion is the format of the history Attach saves. Checkpoints
// written before attnlab saved trackers' histories have none.
const HistoryVersion = 1

// history is a tracker's history as a checkpoint carries it: the format,
// the tracker's kind, and the tracker's own encoding (MarshalHistory).
type history struct {
	Version int    `json:"version"`
	Kind    string `json:"kind"`
	Data    []byte `json:"data"`
}

// kindOf is the name New gives t's kind.
func kindOf(t Tracker) string {
	switch t.(type) {
	case *induction.Tracker:
		return KindInduction
	case *sinks.Tracker:
		return KindSinks
	}
	return fmt.Sprintf("%T", t)
}

// save encodes t's history for a checkpoint.
func save(t Tracker) (json.RawMessage, error) {
	data, err := t.MarshalHistory()
	if err != nil {
		return nil, err
	}
	return json.Marshal(history{Version: HistoryVersion, Kind: kindOf(t), Data: data})
}

// Restore continues in t the history that the checkpoint a trainer
// resumes (train.Resume) holds, and returns the number of measurements
// restored: those at the steps the resumed run measures (train.Options
// Evaluates; a run taken past its last step did not measure there). It
// refuses, leaving t as it was, a history t cannot continue, saying why:
// none (a checkpoint written before attnlab saved trackers' histories, or
// by a run without a tracker), another kind of tracker's, a format it does
// not know, one measured on another batch, or one with measurements past
// the checkpoint's step.
func Restore(t Tracker, tr *train.Trainer) (int, error) {
	step := tr.Step
	raw, ok := tr.Extra[HistoryKey]
	if !ok {
		return 0, fmt.Errorf("the checkpoint holds no tracker history (it was written before checkpoints kept it, or by a run without a tracker)")
	}
	var h history
	if err := json.Unmarshal(raw, &h); err != nil {
		return 0, fmt.Errorf("the checkpoint's tracker history is not valid JSON: %v", err)
	}
	switch kind := kindOf(t); {
	case h.Version != HistoryVersion:
		return 0, fmt.Errorf("the checkpoint's tracker history has format version %d; this attnlab reads version %d", h.Version, HistoryVersion)
	case h.Kind != kind:
		return 0, fmt.Errorf("the checkpoint holds the %s tracker's history, not the %s tracker's", h.Kind, kind)
	}
	prev, err := t.MarshalHistory()
	if err != nil {
		return 0, err
	}
	if err := t.UnmarshalHistory(h.Data); err != nil {
		return 0, err
	}
	steps := t.MeasuredSteps()
	if n := len(steps); n > 0 && steps[n-1] > step {
		if err := t.UnmarshalHistory(prev); err != nil {
			return 0, err
		}
		return 0, fmt.Errorf("the checkpoint's tracker history has a measurement at step %d, past the checkpoint's step %d", steps[n-1], step)
	}
	t.Keep(tr.Opt.Evaluates)
	return len(t.MeasuredSteps()), nil
}
