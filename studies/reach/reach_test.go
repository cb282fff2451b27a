package reach

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/attnlab/attnlab/fixtures"
	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/probes"
)

// TestRun probes the embedded induction model as it is and with a window
// of 16 (same weights): the tables hold one row per model and bin, the
// dense model's induction heads are its layer-1 heads, the windowed one
// loses prefix matching beyond the window, and the figures render.
func TestRun(t *testing.T) {
	m, err := fixtures.Model("induction-2l")
	if err != nil {
		t.Fatal(err)
	}
	cfg := m.Config
	cfg.Attention = []string{"window:16", "window:16"}
	w, err := model.New[float32](cfg)
	if err != nil {
		t.Fatal(err)
	}
	copy(w.Params.Data, m.Params.Data)
	ms := []Model{{Spec{"dense", "softmax"}, m}, {Spec{"window", "window:16"}, w}}
	r, err := Run(context.Background(), ms, probes.ReachOptions{Bins: []int{2, 8, 32, 100}, Batch: 4, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	ts := r.Tables()
	if len(ts[0].Rows) != 6 || len(ts[1].Rows) != 2 || len(ts[1].Columns) != 4 {
		t.Fatalf("tables: %d rows, pivot %d×%d", len(ts[0].Rows), len(ts[1].Rows), len(ts[1].Columns))
	}
	for _, h := range r.Induction[0] {
		if h.Layer != 1 {
			t.Errorf("dense induction head %v not in layer 1", h)
		}
	}
	if got := ts[2].Rows[1][3].(float64); got != 0 {
		t.Errorf("window:16 prefix matching at distances 32–99 = %g, want 0", got)
	}
	for _, f := range r.Figures() {
		var b strings.Builder
		if err := f.Fig.Render(&b, "svg"); err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
	}
}

// TestTrainArgs: every spec's command names a valid kind and the shared
// recipe, whose longest copy is TrainMaxDistance.
func TestTrainArgs(t *testing.T) {
	a := TrainArgs("softmax")
	flag := func(name string) int {
		for i := range a[:len(a)-1] {
			if a[i] == name {
				v, _ := strconv.Atoi(a[i+1])
				return v
			}
		}
		t.Fatalf("no %s in %v", name, a)
		return 0
	}
	if d := flag("--max-rep") + flag("--max-gap"); d != TrainMaxDistance {
		t.Errorf("longest training copy %d, TrainMaxDistance %d", d, TrainMaxDistance)
	}
	for _, s := range Specs() {
		a := TrainArgs(s.Kind)
		if a[0] != "train" || a[len(a)-1] != s.Kind {
			t.Errorf("%s: %v", s.Name, a)
		}
		if err := model.CheckAttentionKind(s.Kind); err != nil {
			t.Error(err)
		}
	}
}
