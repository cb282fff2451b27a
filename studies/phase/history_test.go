package phase

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/tasks"
	"github.com/attnlab/attnlab/train"
)

// TestRestore: the history Attach saves is continued by a tracker of the
// same kind and batch, bit for bit; anything else is refused with the
// reason, leaving the tracker as it was.
func TestRestore(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "a.go")
	if err := os.WriteFile(path, []byte(strings.Repeat("package main // sinks\n", 80)), 0o644); err != nil {
		t.Fatal(err)
	}
	text, err := tasks.LoadText(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.NewInit[float32](model.Config{NLayers: 1, DModel: 16, NHeads: 2, DVocab: 256, NCtx: 16, AttnOnly: true,
		NormalizationType: "LN", PositionalEmbeddingType: "rotary", Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	tracker := func(seed uint64) Tracker {
		tk, err := New("sinks", text, 16, seed)
		if err != nil {
			t.Fatal(err)
		}
		return tk
	}
	tk := tracker(1)
	var opt train.Options
	Attach(&opt, tk, 7)
	for _, step := range []int{7, 14} {
		if err := opt.OnEval(step, m); err != nil {
			t.Fatal(err)
		}
	}
	extra, err := opt.Extra()
	if err != nil {
		t.Fatal(err)
	}
	csv := func(tk Tracker) []byte {
		var b bytes.Buffer
		for _, tb := range tk.Results().Tables {
			if err := tb.WriteCSV(&b); err != nil {
				t.Fatal(err)
			}
		}
		return b.Bytes()
	}
	// at is a trainer resumed at step of a run of steps measured every 7.
	at := func(extra map[string]json.RawMessage, step, steps int) *train.Trainer {
		return &train.Trainer{Extra: extra, Step: step, Opt: train.Options{Steps: steps, EvalEvery: 7}}
	}
	again := tracker(1)
	if n, err := Restore(again, at(extra, 14, 30)); err != nil || n != 2 || !bytes.Equal(csv(again), csv(tk)) {
		t.Errorf("Restore = %d, %v; tables equal %v; want 2 measurements, the same tables", n, err, bytes.Equal(csv(again), csv(tk)))
	}
	edited := func(edit func(h map[string]any)) map[string]json.RawMessage {
		var h map[string]any
		if err := json.Unmarshal(extra[HistoryKey], &h); err != nil {
			t.Fatal(err)
		}
		edit(h)
		b, _ := json.Marshal(h)
		return map[string]json.RawMessage{HistoryKey: b}
	}
	ind, err := tasks.NewInduction(tasks.DefaultInductionConfig())
	if err != nil {
		t.Fatal(err)
	}
	induction, err := New("induction", ind, 64, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		t     Tracker
		extra map[string]json.RawMessage
		step  int
		want  string
	}{
		{tracker(1), nil, 14, "the checkpoint holds no tracker history"},
		{tracker(1), extra, 10, "a measurement at step 14, past the checkpoint's step 10"},
		{tracker(2), extra, 14, "sinks: the tracker's history was measured on another batch"},
		{induction, extra, 14, "the checkpoint holds the sinks tracker's history, not the induction tracker's"},
		{tracker(1), edited(func(h map[string]any) { h["version"] = 2 }), 14, "format version 2; this attnlab reads version 1"},
		{tracker(1), edited(func(h map[string]any) { h["data"] = "AAAA" }), 14, "sinks: the tracker's history does not decode"},
		{tracker(1), map[string]json.RawMessage{HistoryKey: []byte(`[1]`)}, 14, "the checkpoint's tracker history is not valid JSON"},
	} {
		n, err := Restore(c.t, at(c.extra, c.step, 30))
		if err == nil || !strings.Contains(err.Error(), c.want) || n != 0 {
			t.Errorf("Restore = %d, %v; want an error containing %q", n, err, c.want)
		}
		if steps := c.t.MeasuredSteps(); len(steps) != 0 {
			t.Errorf("a refused history left measurements at steps %v", steps)
		}
	}
	// A run taken past its last step (14 of a 14-step run measured every
	// 10) did not measure there, and the longer run (every 10) would not
	// have measured at 7 either: neither 7 nor 14 is kept.
	if n, err := Restore(tracker(1), &train.Trainer{Extra: extra, Step: 14, Opt: train.Options{Steps: 20, EvalEvery: 10}}); err != nil || n != 0 {
		t.Errorf("Restore past the end of the run: %d, %v; want none of 7, 14 kept", n, err)
	}
	longer := tracker(1)
	if n, err := Restore(longer, &train.Trainer{Extra: extra, Step: 14, Opt: train.Options{Steps: 21, EvalEvery: 7}}); err != nil || n != 2 {
		t.Errorf("Restore past the end of a run measured every 7: %d, %v; want 7 and 14 kept", n, err)
	}
	// A restored tracker goes on measuring after the history.
	if err := again.Measure(21, m); err != nil || !slices.Equal(again.MeasuredSteps(), []int{7, 14, 21}) {
		t.Errorf("measuring after a restore: %v, steps %v", err, again.MeasuredSteps())
	}
}
