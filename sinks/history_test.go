package sinks

import (
	"bytes"
	"encoding/gob"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestTrackerHistory: a history continues bit for bit on a tracker of the
// same batch; one whose parts do not fit, or that a model with other heads
// would continue, is refused.
func TestTrackerHistory(t *testing.T) {
	t.Parallel()
	const B, T = 2, 8
	r := rand.New(rand.NewPCG(1, 2))
	tokens := make([]int32, B*T)
	for i := range tokens {
		tokens[i] = int32(r.IntN(256))
	}
	tracker := func() *Tracker {
		tk, err := NewTracker(tokens, B, T, 0.3)
		if err != nil {
			t.Fatal(err)
		}
		return tk
	}
	tk, m := tracker(), tinyModel(t, 1)
	for _, step := range []int{5, 10} {
		if err := tk.Measure(step, m); err != nil {
			t.Fatal(err)
		}
	}
	h, err := tk.MarshalHistory()
	if err != nil {
		t.Fatal(err)
	}
	again := tracker()
	if err := again.UnmarshalHistory(h); err != nil {
		t.Fatal(err)
	}
	var a, b bytes.Buffer
	if err := tk.Table().WriteCSV(&a); err != nil {
		t.Fatal(err)
	}
	if err := again.Table().WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Errorf("restored history's table\n%s\nwant\n%s", b.Bytes(), a.Bytes())
	}
	// Two layers of two heads cannot continue one layer's measurements.
	if err := again.Measure(15, tinyModel(t, 2)); err == nil || !strings.Contains(err.Error(), "the model has 4 heads, the tracker's earlier measurements 2") {
		t.Errorf("measuring another model after the history: %v", err)
	}
	var hist trackerHistory
	if err := gob.NewDecoder(bytes.NewReader(h)).Decode(&hist); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		edit func(h *trackerHistory)
		want string
	}{
		{func(h *trackerHistory) { h.Steps = []int{10, 5} }, "steps out of order (step 5 is measurement 2)"},
		{func(h *trackerHistory) { h.Loss = h.Loss[:1] }, "2 steps but 2 rows of α, 2 sink rates and 1 losses"},
		{func(h *trackerHistory) { h.Alpha[1] = h.Alpha[1][:1] }, "1 values of α at step 10 for 2 heads"},
		{func(h *trackerHistory) { h.Batch++ }, "measured on another batch"},
	} {
		e := hist
		e.Steps, e.Loss, e.Alpha = append([]int(nil), hist.Steps...), append([]float64(nil), hist.Loss...), [][]float64{hist.Alpha[0], hist.Alpha[1]}
		c.edit(&e)
		var buf bytes.Buffer
		if err := gob.NewEncoder(&buf).Encode(e); err != nil {
			t.Fatal(err)
		}
		fresh := tracker()
		if err := fresh.UnmarshalHistory(buf.Bytes()); err == nil || !strings.Contains(err.Error(), c.want) || len(fresh.Steps) != 0 {
			t.Errorf("got %v (steps %v), want an error containing %q", err, fresh.Steps, c.want)
		}
	}
}
