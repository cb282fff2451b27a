package mqar

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/attnlab/attnlab/internal/badinput"
	"github.com/attnlab/attnlab/internal/membudget"
	"github.com/attnlab/attnlab/internal/shard"
	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/report"
)

func TestShards(t *testing.T) {
	t.Parallel()
	cells := Quick().Cells()
	var seen []int
	for i := range 5 {
		for _, c := range ShardCells(cells, shard.Spec{Index: i, Count: 5}) {
			seen = append(seen, c.Index)
		}
	}
	slices.Sort(seen)
	for i, c := range seen {
		if c != i || len(seen) != len(cells) {
			t.Fatalf("5 shards hold cells %v, want each of 0..%d once", seen, len(cells)-1)
		}
	}
}

func TestMerge(t *testing.T) {
	t.Parallel()
	mk := func(idx ...int) *report.Table {
		var res []Result
		for _, i := range idx {
			res = append(res, Result{Cell: Cell{Index: i, Kind: "softmax", DModel: 32, KVPairs: 4 << (i % 2), Seed: 1}, Accuracy: float64(i) / 10})
		}
		return Table(res)
	}
	m, err := Merge([]*report.Table{mk(3, 1), mk(0, 2), mk(1)})
	if err != nil {
		t.Fatal(err)
	}
	var got []any
	for _, r := range m.Rows {
		got = append(got, r[0])
	}
	if !slices.Equal(got, []any{0, 1, 2, 3}) {
		t.Errorf("merged cells %v, want 0 1 2 3", got)
	}
	s := Summary(m)
	if len(s.Rows) != 1 || s.Rows[0][2] != 0.1 || s.Rows[0][3] != 0.2 { // kv=4: cells 0, 2; kv=8: cells 1, 3
		t.Errorf("summary %v, want kv=4 mean 0.1, kv=8 mean 0.2", s.Rows)
	}
	bad := mk(1)
	bad.Rows[0][bad.Column("accuracy")] = 0.99
	if _, err := Merge([]*report.Table{mk(1), bad}); err == nil {
		t.Error("conflicting duplicate cell merged")
	}
	other := report.NewTable("x", "x", report.Column{Name: "cell"})
	if _, err := Merge([]*report.Table{mk(1), other}); err == nil {
		t.Error("tables with different columns merged")
	}
	// Damaged shards (issue 9, item 13): each was merged before.
	headerOnly := mk()
	negative, fraction, nan, above := mk(1), mk(1), mk(1), mk(1)
	negative.Rows[0][0] = -1
	fraction.Rows[0][0] = 1.5
	nan.Rows[0][nan.Column("accuracy")] = math.NaN()
	above.Rows[0][above.Column("accuracy")] = 1.5
	for _, c := range []struct {
		tab  *report.Table
		want string
	}{
		{headerOnly, "mqar: table 2 holds no cells, only a header"},
		{negative, "mqar: table 2: cell -1 is not a non-negative integer"},
		{fraction, "mqar: table 2: cell 1.5 is not a non-negative integer"},
		{nan, "mqar: table 2: cell 1 has accuracy NaN, want a number in [0, 1]"},
		{above, "mqar: table 2: cell 1 has accuracy 1.5, want a number in [0, 1]"},
	} {
		if _, err := Merge([]*report.Table{mk(0), c.tab}); err == nil || err.Error() != c.want {
			t.Errorf("got %v, want %q", err, c.want)
		}
	}
}

// TestRunDeterministic: the same cells give the same numbers whatever
// the number of workers.
func TestRunDeterministic(t *testing.T) {
	t.Parallel()
	g := Quick()
	g.Kinds, g.DModels, g.KVPairs, g.Steps, g.Batch, g.EvalSeqs = []string{"softmax", "linear:favor"}, []int{16}, []int{2}, 3, 4, 8
	a, err := Run(context.Background(), g, g.Cells(), 1, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Run(context.Background(), g, g.Cells(), 2, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range a {
		if a[i].Accuracy != b[i].Accuracy || a[i].ValLoss != b[i].ValLoss || a[i].DataHash != b[i].DataHash {
			t.Errorf("cell %d: 1 worker %+v, 2 workers %+v", i, a[i], b[i])
		}
	}
	// A pretrained model (here: the model of cell 0, trained again) is
	// evaluated, not trained, with the same result.
	m, err := TrainModel(context.Background(), g, g.Cells()[0], nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Run(context.Background(), g, g.Cells(), 2, nil, func(c Cell) (*model.Model, string) {
		if c.Index == 0 {
			return m, "given"
		}
		return nil, ""
	})
	if err != nil {
		t.Fatal(err)
	}
	if c[0].Model != "given" || c[1].Model != "trained" || c[0].Accuracy != a[0].Accuracy || c[0].ValLoss != a[0].ValLoss {
		t.Errorf("with a pretrained cell 0: %+v; trained: %+v", c[0], a[0])
	}
}

// TestChart: one panel per d_model, one line per kind in the same order in
// every panel, the mean over seeds with a band from the worst to the best
// seed, ticks at the measured pair counts, and the guess line.
func TestChart(t *testing.T) {
	t.Parallel()
	tab := report.NewTable("mqar", "", mqarColumns...)
	i := 0
	add := func(kind string, d, kv int, seed uint64, acc float64) {
		tab.Add(i, kind, "", d, kv, int(seed), 2, 64, acc, 0.1, 10, 1.0, "h", "trained")
		i++
	}
	for _, d := range []int{64, 32} {
		for _, kv := range []int{4, 8} {
			add("softmax", d, kv, 1, 1)
			add("softmax", d, kv, 2, 0.9)
			if d == 32 || kv == 4 { // linear:elu at d=64, kv=8 was not trained
				add("linear:elu", d, kv, 1, 0.2)
				add("linear:elu", d, kv, 2, 0.4)
			}
		}
	}
	c := Chart(tab)
	if len(c.Charts) != 2 || c.Charts[0].Title != "d_model = 32" || !strings.Contains(c.Title, "2 seeds") {
		t.Fatalf("figure %q with panels %d (first %q)", c.Title, len(c.Charts), c.Charts[0].Title)
	}
	for _, p := range c.Charts {
		if len(p.Series) != 3 || p.Series[0].Name != "softmax" || p.Series[1].Name != "linear:elu" || !p.Markers || !p.LogX {
			t.Fatalf("panel %q series %v", p.Title, p.Series)
		}
		if fmt.Sprint(p.XTicks) != "[4 8]" {
			t.Errorf("panel %q ticks %v, want the measured 4, 8", p.Title, p.XTicks)
		}
		sm := p.Series[0]
		if math.Abs(sm.Y[0]-0.95) > 1e-12 || sm.Lo[0] != 0.9 || sm.Hi[0] != 1 {
			t.Errorf("softmax mean %v band [%v, %v], want 0.95 in [0.9, 1]", sm.Y[0], sm.Lo[0], sm.Hi[0])
		}
		if g := p.Series[2]; g.Y[1] != 1.0/8 {
			t.Errorf("guess at kv=8 is %v, want 1/8", g.Y[1])
		}
	}
	if y := c.Charts[1].Series[1].Y[1]; !math.IsNaN(y) {
		t.Errorf("a cell not trained is drawn at %v, want a gap (NaN)", y)
	}
	var buf bytes.Buffer
	if err := c.Render(&buf, "png"); err != nil {
		t.Fatal(err)
	}
}

func TestCompleteness(t *testing.T) {
	tab := report.NewTable("mqar", "", report.Column{Name: "cell"}, report.Column{Name: "accuracy"})
	for _, c := range []int{0, 1, 3, 4, 5, 7} {
		tab.Add(c, 1.0)
	}
	run := func(i, n, cells int) ShardRun { return ShardRun{Shard: shard.Spec{Index: i, Count: n}, Cells: cells} }
	for _, c := range []struct {
		runs []ShardRun
		want string
	}{
		{nil, "2 of 8 cells missing (2, 6)"},
		{[]ShardRun{run(0, 4, 10), run(1, 4, 10), run(3, 4, 10)}, "1 of 4 shards missing (2/4); 4 of 10 cells missing (2, 6, 8, 9)"},
		{[]ShardRun{run(0, 4, 10), run(1, 2, 10)}, "the shards come from different grids (4 shards of 10 cells, and 2 of 10)"},
	} {
		if got := Completeness(tab, c.runs); got != c.want {
			t.Errorf("%v: %q, want %q", c.runs, got, c.want)
		}
	}
	full := report.NewTable("mqar", "", report.Column{Name: "cell"})
	for c := range 4 {
		full.Add(c)
	}
	if got := Completeness(full, []ShardRun{run(0, 2, 4), run(1, 2, 4)}); got != "" {
		t.Errorf("complete merge: %q", got)
	}
	if r, ok := ShardRunOf(map[string]any{"mqar_shard": "3/8", "mqar_cells": 270.0}); !ok || r.Shard.Index != 3 || r.Cells != 270 {
		t.Errorf("ShardRunOf: %+v %v", r, ok)
	}
	if _, ok := ShardRunOf(map[string]any{"mqar_shard": "3/8"}); ok {
		t.Error("ShardRunOf without a cell count")
	}
}

// TestGridWith: settings replace the grid's, seeds count from Seed or
// shift the grid's, zero values keep them; negative values name the
// setting, and a grid Validate refuses is bad input.
func TestGridWith(t *testing.T) {
	t.Parallel()
	q := Quick()
	g, err := q.With(Settings{Seed: 1})
	if err != nil || !slices.Equal(g.Seeds, q.Seeds) || g.Steps != q.Steps || !g.ShiftSoftmax {
		t.Errorf("no settings: %+v, %v", g, err)
	}
	g, err = q.With(Settings{Kinds: []string{"softmax"}, DModels: []int{16}, Seeds: 3, Seed: 5, Steps: 7, LR: 1e-2, Pure: true})
	if err != nil || !slices.Equal(g.Seeds, []uint64{5, 6, 7}) || g.Steps != 7 || g.LR != 1e-2 || g.ShiftSoftmax || g.DModels[0] != 16 {
		t.Errorf("settings: %+v, %v", g, err)
	}
	if g, _ := q.With(Settings{Seed: 4}); !slices.Equal(g.Seeds, []uint64{4}) || q.Seeds[0] != 1 {
		t.Errorf("seed 4: seeds %v (quick grid's now %v)", g.Seeds, q.Seeds)
	}
	for _, c := range []struct {
		s    Settings
		want string
	}{
		{Settings{Seed: 1, EvalSeqs: -1}, "eval_seqs must be positive, got -1"},
		{Settings{Seed: 1, LR: math.NaN()}, "lr must be positive, got NaN"},
		{Settings{Seed: 1, DModels: []int{15}}, "mqar: d_model 15 is not a multiple of 2 heads"},
		// Sizes refused before anything is allocated (retrieval --seeds 1e8
		// built 1.8·10⁹ cells until the OOM killer stopped it).
		{Settings{Seed: 1, Seeds: 100_000_000}, "seeds 100000000 makes a grid of more than the 65536 cells one run can hold (18 cells per seed)"},
		{Settings{Seed: 1, EvalSeqs: 1 << 40}, "mqar: 1099511627776 held-out sequences of 64 tokens per cell needs an estimated …"},
	} {
		_, err := q.With(c.s)
		var me *membudget.Error
		ok := (badinput.Is(err) || errors.As(err, &me)) && err.Error() == c.want
		if p, cut := strings.CutSuffix(c.want, "…"); cut && err != nil {
			ok = strings.HasPrefix(err.Error(), p) && errors.As(err, &me)
		}
		if !ok {
			t.Errorf("%+v: %v, want bad input %q", c.s, err, c.want)
		}
	}
}

// TestRunWorkersBounded: Run starts no more goroutines than cells
// (retrieval --workers 100000000 started 10⁸ and ignored Ctrl-C for
// minutes while doing so).
func TestRunWorkersBounded(t *testing.T) {
	t.Parallel()
	done := make(chan error, 1)
	go func() {
		_, err := Run(context.Background(), Quick(), nil, 1<<40, nil, nil)
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run with no cells and 2⁴⁰ workers still running after 30 s")
	}
}
