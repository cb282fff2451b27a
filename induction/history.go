package induction

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"slices"
)

// trackerHistory is what Tracker.MarshalHistory encodes: the measurements
// and the canonical batch they were made on (its seed and size), so that
// a history is only ever continued on the batch it was measured on.
type trackerHistory struct {
	Seed   uint64
	Batch  int
	Points []TrackPoint
}

// MarshalHistory encodes the measurements so far, every number bit for bit
// (encoding/gob; it would turn a −0 into +0, which these scores, means
// summed from +0, never are), for a training checkpoint to carry: UnmarshalHistory on
// a tracker of the same seed continues them, so the tables and figures of
// a resumed run are those of the run that never stopped.
func (t *Tracker) MarshalHistory() ([]byte, error) {
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(trackerHistory{Seed: t.Seed, Batch: t.Batch, Points: t.Points}); err != nil {
		return nil, fmt.Errorf("induction: encoding the tracker's history: %w", err)
	}
	return buf.Bytes(), nil
}

// UnmarshalHistory replaces the tracker's measurements with those
// MarshalHistory encoded. It refuses a history measured on another batch
// (seed or size) and one whose steps do not increase, leaving the tracker
// as it was.
func (t *Tracker) UnmarshalHistory(b []byte) error {
	var h trackerHistory
	if err := gob.NewDecoder(bytes.NewReader(b)).Decode(&h); err != nil {
		return fmt.Errorf("induction: the tracker's history does not decode: %v", err)
	}
	if h.Seed != t.Seed || h.Batch != t.Batch {
		return fmt.Errorf("induction: the tracker's history was measured on another batch (seed %d, %d sequences; this tracker's: seed %d, %d)",
			h.Seed, h.Batch, t.Seed, t.Batch)
	}
	for i, p := range h.Points {
		if p.Step < 0 || (i > 0 && p.Step <= h.Points[i-1].Step) {
			return fmt.Errorf("induction: the tracker's history has its steps out of order (step %d is measurement %d)", p.Step, i+1)
		}
		if len(p.Heads) == 0 {
			return fmt.Errorf("induction: the tracker's history has no heads at step %d", p.Step)
		}
	}
	t.Points = h.Points
	return nil
}

// MeasuredSteps returns the steps measured so far.
func (t *Tracker) MeasuredSteps() []int {
	steps := make([]int, len(t.Points))
	for i, p := range t.Points {
		steps[i] = p.Step
	}
	return steps
}

// Keep drops the measurements at the steps keep rejects.
func (t *Tracker) Keep(keep func(step int) bool) {
	t.Points = slices.DeleteFunc(t.Points, func(p TrackPoint) bool { return !keep(p.Step) })
}
