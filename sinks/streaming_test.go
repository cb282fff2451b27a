package sinks

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/attnlab/attnlab/internal/badinput"
	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/tasks"
)

func tinyModel(t *testing.T, layers int) *model.Model {
	t.Helper()
	m, err := model.NewInit[float32](model.Config{NLayers: layers, DModel: 16, NHeads: 2, DVocab: 256, NCtx: 16, AttnOnly: true,
		NormalizationType: "LN", PositionalEmbeddingType: "rotary", Seed: 9, InitRange: 0.3})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func randStream(n int, seed uint64) []int32 {
	r := rand.New(rand.NewPCG(seed, 1))
	s := make([]int32, n)
	for i := range s {
		s[i] = int32(r.IntN(256))
	}
	return s
}

// TestStreamPoliciesAgree checks the policies against each other where the
// answer is known: on a stream no longer than the cache every policy is the
// full forward; on a one-layer model (cached keys depend only on their own
// token) window equals recompute, and sinks0+window is the window.
func TestStreamPoliciesAgree(t *testing.T) {
	t.Parallel()
	m := tinyModel(t, 2)
	short := [][]int32{randStream(12, 1)}
	rs, err := Stream(context.Background(), m, short, []Policy{{Kind: Dense}, {Kind: Recompute, Window: 16}, {Kind: Window, Window: 16}, {Kind: SinkCache, Window: 16, Sinks: 2}})
	if err != nil {
		t.Fatal(err)
	}
	out, err := m.Run(short[0], 1, 12, model.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		for i, v := range r.Loss {
			if math.Abs(v-float64(out.Losses.Data[i])) > 1e-4 {
				t.Fatalf("%s: loss[%d] = %v, full forward %v", r.Policy.Name(), i, v, out.Losses.Data[i])
			}
		}
	}

	one := tinyModel(t, 1)
	long := [][]int32{randStream(40, 2), randStream(40, 3)}
	rs, err = Stream(context.Background(), one, long, []Policy{{Kind: Window, Window: 6}, {Kind: Recompute, Window: 6}, {Kind: SinkCache, Window: 6, Sinks: 0},
		{Kind: Window, Window: 6, Scheme: model.TextPositions}, {Kind: SinkCache, Window: 6, Sinks: 1}})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []int{1, 2, 3} {
		for i := range rs[0].Loss {
			if math.Abs(rs[0].Loss[i]-rs[k].Loss[i]) > 1e-4 {
				t.Fatalf("%s (%s) differs from window at %d: %v vs %v", rs[k].Policy.Name(), rs[k].Policy.SchemeName(), i, rs[k].Loss[i], rs[0].Loss[i])
			}
		}
	}
	if same := math.Abs(rs[4].PPLLate - rs[0].PPLLate); same < 1e-9 {
		t.Errorf("keeping a sink changed nothing (ppl %v)", rs[4].PPLLate)
	}
	r := rs[0]
	if want := 6 * 1 * 2 * 2 * 8 * 4; r.CacheBytes != want || r.Slots != 6 {
		t.Errorf("cache %d bytes in %d slots, want %d in 6", r.CacheBytes, r.Slots, want)
	}
	if want := math.Exp(meanF(r.Loss)); math.Abs(r.PPL-want) > 1e-9 || r.TokensPerSec <= 0 {
		t.Errorf("ppl %v want %v, tokens/s %v", r.PPL, want, r.TokensPerSec)
	}
	// One layer, cache positions: keeping the first token in the cache is
	// re-running it in front of the window.
	rs, err = Stream(context.Background(), one, long, []Policy{{Kind: SinkCache, Window: 6, Sinks: 1}, {Kind: Recompute, Window: 6, Sinks: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if rs[1].Policy.Name() != "sinks1+recompute" {
		t.Errorf("name %q", rs[1].Policy.Name())
	}
	for i := range rs[0].Loss {
		if math.Abs(rs[0].Loss[i]-rs[1].Loss[i]) > 1e-4 {
			t.Fatalf("sinks1+recompute differs from sinks1+window at %d: %v vs %v", i, rs[1].Loss[i], rs[0].Loss[i])
		}
	}
	if _, err := Stream(context.Background(), one, long, []Policy{{Kind: SinkCache, Window: 4, Sinks: 4}}); err == nil {
		t.Error("S = W accepted")
	}
}

// TestTrackerAndHeldOut runs the tracker on held-out windows of a small
// text file and checks that HeldOut gives a sink-token model the same text
// as a model without one, as the task's own validation batch.
func TestTrackerAndHeldOut(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	txt := strings.Repeat("package main\n\nfunc main() { println(\"hello, sinks\") }\n", 60)
	if err := os.WriteFile(filepath.Join(dir, "a.go"), []byte(txt), 0o644); err != nil {
		t.Fatal(err)
	}
	corpus, err := tasks.LoadText(filepath.Join(dir, "a.go"))
	if err != nil {
		t.Fatal(err)
	}
	const B, T = 3, 12
	plain, err := HeldOut(corpus, B, T, BOS{}, 7)
	if err != nil {
		t.Fatal(err)
	}
	withSink, err := HeldOut(corpus, B, T, NewBOS(tasks.SinkTokenID), 7)
	if err != nil {
		t.Fatal(err)
	}
	st, err := tasks.NewSinkToken(corpus, tasks.SinkTokenID)
	if err != nil {
		t.Fatal(err)
	}
	if want := st.ValSample(rand.New(rand.NewPCG(7, HeldOutStream)), B, T).Tokens; !slices.Equal(withSink, want) {
		t.Errorf("sink-token windows %v, want the task's validation batch %v", withSink, want)
	}
	for b := range B {
		p, s := plain[b*T:(b+1)*T], withSink[b*T:(b+1)*T]
		if s[0] != tasks.SinkTokenID || !slices.Equal(s[1:], p[:T-1]) {
			t.Errorf("row %d: with sink %v, without %v: not the same text", b, s, p)
		}
	}
	bos7, err := HeldOut(corpus, B, T, NewBOS(7), 7)
	if err != nil {
		t.Fatal(err)
	}
	for b := range B {
		if r := bos7[b*T : (b+1)*T]; r[0] != 7 || !slices.Equal(r[1:], withSink[b*T+1:(b+1)*T]) {
			t.Errorf("row %d with BOS 7: %v", b, r)
		}
	}
	if _, err := HeldOut(corpus, B, 1, BOS{}, 7); err == nil {
		t.Error("HeldOut accepted T = 1")
	}

	m := tinyModel(t, 1)
	tk, err := NewTracker(plain, B, T, 0.3)
	if err != nil {
		t.Fatal(err)
	}
	for step := range 2 {
		if err := tk.Measure(step*10, m); err != nil {
			t.Fatal(err)
		}
	}
	if tb := tk.Table(); len(tb.Rows) != 2*2 {
		t.Errorf("tracking rows %d, want 4", len(tb.Rows))
	}
	if s := tk.Summary(); len(s.Rows) != 2 {
		t.Errorf("summary rows %d", len(s.Rows))
	}
	if r := tk.Results(); len(r.Tables) != 2 || len(r.Figures) != 2 {
		t.Errorf("results: %d tables, %d figures", len(r.Tables), len(r.Figures))
	}
}

// TestStreamLossChartShortStream: a stream shorter than LossBlock is one
// block per line (sink-analysis --streaming --stream-len 4 panicked on
// slices.Max of an empty line).
func TestStreamLossChartShortStream(t *testing.T) {
	var rs []StreamResult
	for _, p := range DefaultPolicies(8) {
		rs = append(rs, StreamResult{Policy: p, Loss: []float64{1, 2, 3}})
	}
	chart := StreamLossChart(rs, 8, 16)
	if len(chart.Charts) == 0 || len(chart.Charts[0].Series) == 0 {
		t.Fatal("no lines")
	}
	for _, s := range chart.Charts[0].Series {
		if len(s.Y) != 1 || s.Y[0] != 2 {
			t.Errorf("%s: points %v, want one block of mean 2", s.Name, s.Y)
		}
	}
}

// TestStreamLearnedPositions: a model with learned positions streams by
// re-computation only, at W and at each swept size, with and without its
// BOS; a recomputed position's loss is the full forward on its window, and
// a cache policy is refused with a sentence naming the positions.
func TestStreamLearnedPositions(t *testing.T) {
	t.Parallel()
	m, err := model.NewInit[float32](model.Config{NLayers: 2, DModel: 16, NHeads: 2, DVocab: 256, NCtx: 16, DMLP: 32, ActFn: "gelu_new",
		NormalizationType: "LN", PositionalEmbeddingType: "standard", Seed: 9, InitRange: 0.3})
	if err != nil {
		t.Fatal(err)
	}
	s := randStream(40, 4)
	s[0] = 0 // the BOS
	rep, err := Streaming(context.Background(), m, [][]int32{s}, StreamingOptions{Window: 6, Sweep: []int{4, 6}, BOS: NewBOS(0)})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range append(rep.Policies, rep.Sweep...) {
		names = append(names, fmt.Sprintf("%s/%d", r.Policy.Name(), r.Policy.Window))
	}
	want := "recompute/6 sinks1+recompute/6 recompute/4 sinks1+recompute/4 recompute/6 sinks1+recompute/6"
	if got := strings.Join(names, " "); got != want {
		t.Fatalf("policies %s, want %s", got, want)
	}
	for _, i := range []int{6, 20, 38} {
		win := append([]int32{}, s[i-5:i+1]...)
		withBOS := append([]int32{0}, s[i-4:i+1]...)
		for k, w := range [][]int32{win, withBOS} {
			out, err := m.Run(w, 1, 6, model.RunOptions{})
			if err != nil {
				t.Fatal(err)
			}
			lastLoss := model.NLL(out.Logits.Data[5*256:6*256], s[i+1])
			if got := rep.Policies[k].Loss[i]; math.Abs(got-lastLoss) > 1e-4 {
				t.Errorf("%s: loss at %d = %v, the forward on its window %v", rep.Policies[k].Policy.Name(), i, got, lastLoss)
			}
		}
	}
	if rep.Policies[0].Loss[20] == rep.Policies[1].Loss[20] {
		t.Error("the BOS in front of the window changed nothing")
	}
	_, err = Stream(context.Background(), m, [][]int32{s}, []Policy{{Kind: SinkCache, Window: 6, Sinks: 1}})
	if err == nil || !strings.Contains(err.Error(), "learned positions") {
		t.Errorf("a cache policy on learned positions: %v", err)
	}
}

// TestChooseBOS: a given id or "none" wins; else the model's own sink
// token, else none; an id outside the vocabulary names the setting.
func TestChooseBOS(t *testing.T) {
	t.Parallel()
	m, err := model.NewInit[float32](model.Config{NLayers: 1, DModel: 8, NHeads: 2, DVocab: 256, NCtx: 8, AttnOnly: true,
		NormalizationType: "LN", PositionalEmbeddingType: "rotary", Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		task, s string
		want    BOS
	}{{"text", "", BOS{}}, {"text+sink", "", NewBOS(3)}, {"text+sink", "none", BOS{}}, {"text", "7", NewBOS(7)}} {
		if err := m.SetTask(c.task, map[string]any{"sink_token": 3}, "bytes"); err != nil {
			t.Fatal(err)
		}
		if got, err := ChooseBOS(m, c.s); err != nil || got != c.want {
			t.Errorf("%s, %q: %v, %v, want %v", c.task, c.s, got, err, c.want)
		}
	}
	if _, err := ChooseBOS(m, "256"); !badinput.Is(err) || err.Error() != `bos must be a token id in [0, 256) or none, got "256"` {
		t.Errorf("ChooseBOS(256): %v", err)
	}
}
