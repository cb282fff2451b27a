package sinks

import (
	"bytes"
	"encoding/binary"
	"encoding/gob"
	"fmt"
	"hash/fnv"
	"slices"

	"github.com/attnlab/attnlab/model"
)

// trackerHistory is what Tracker.MarshalHistory encodes: the measurements,
// and the batch they were made on (its shape, ε and a hash of its tokens),
// so that a history is only ever continued on the batch it was measured on.
type trackerHistory struct {
	B, T     int
	Eps      float64
	Batch    uint64 // FNV-1a of the batch's tokens (little-endian int32s)
	Steps    []int
	Alpha    [][]float64
	SinkRate []float64
	Loss     []float64
	Heads    []model.HeadID
}

// batchHash is the FNV-1a hash of tokens as little-endian int32s.
func batchHash(tokens []int32) uint64 {
	h := fnv.New64a()
	_ = binary.Write(h, binary.LittleEndian, tokens) // a hash's Write never fails
	return h.Sum64()
}

// MarshalHistory encodes the measurements so far, every number bit for bit
// (encoding/gob), for a training checkpoint to carry: UnmarshalHistory on
// a tracker of the same batch continues them, so the tables and figures of
// a resumed run are those of the run that never stopped.
func (t *Tracker) MarshalHistory() ([]byte, error) {
	var buf bytes.Buffer
	err := gob.NewEncoder(&buf).Encode(trackerHistory{B: t.B, T: t.T, Eps: t.Eps, Batch: batchHash(t.tokens),
		Steps: t.Steps, Alpha: t.Alpha, SinkRate: t.SinkRate, Loss: t.Loss, Heads: t.Heads})
	if err != nil {
		return nil, fmt.Errorf("sinks: encoding the tracker's history: %w", err)
	}
	return buf.Bytes(), nil
}

// UnmarshalHistory replaces the tracker's measurements with those
// MarshalHistory encoded. It refuses a history measured on another batch
// (shape, ε or tokens) and one whose parts do not fit together (steps not
// increasing, a row per measurement of α for every head), leaving the
// tracker as it was.
func (t *Tracker) UnmarshalHistory(b []byte) error {
	var h trackerHistory
	if err := gob.NewDecoder(bytes.NewReader(b)).Decode(&h); err != nil {
		return fmt.Errorf("sinks: the tracker's history does not decode: %v", err)
	}
	if h.B != t.B || h.T != t.T || h.Eps != t.Eps || h.Batch != batchHash(t.tokens) {
		return fmt.Errorf("sinks: the tracker's history was measured on another batch ([%d, %d] tokens, ε %g; this tracker's: [%d, %d], ε %g)",
			h.B, h.T, h.Eps, t.B, t.T, t.Eps)
	}
	n := len(h.Steps)
	if len(h.Alpha) != n || len(h.SinkRate) != n || len(h.Loss) != n {
		return fmt.Errorf("sinks: the tracker's history has %d steps but %d rows of α, %d sink rates and %d losses", n, len(h.Alpha), len(h.SinkRate), len(h.Loss))
	}
	for i, s := range h.Steps {
		if s < 0 || (i > 0 && s <= h.Steps[i-1]) {
			return fmt.Errorf("sinks: the tracker's history has its steps out of order (step %d is measurement %d)", s, i+1)
		}
		if len(h.Alpha[i]) != len(h.Heads) {
			return fmt.Errorf("sinks: the tracker's history has %d values of α at step %d for %d heads", len(h.Alpha[i]), s, len(h.Heads))
		}
	}
	t.Steps, t.Alpha, t.SinkRate, t.Loss, t.Heads = h.Steps, h.Alpha, h.SinkRate, h.Loss, h.Heads
	return nil
}

// MeasuredSteps returns the steps measured so far.
func (t *Tracker) MeasuredSteps() []int { return slices.Clone(t.Steps) }

// Keep drops the measurements at the steps keep rejects.
func (t *Tracker) Keep(keep func(step int) bool) {
	n := 0
	for i, s := range t.Steps {
		if keep(s) {
			t.Steps[n], t.Alpha[n], t.SinkRate[n], t.Loss[n] = s, t.Alpha[i], t.SinkRate[i], t.Loss[i]
			n++
		}
	}
	t.Steps, t.Alpha, t.SinkRate, t.Loss = t.Steps[:n], t.Alpha[:n], t.SinkRate[:n], t.Loss[:n]
}
