package probes

import (
	"context"
	"math"
	"slices"
	"strconv"
	"testing"

	"github.com/attnlab/attnlab/report"
)

func TestAnalyticSeparation(t *testing.T) {
	t.Parallel()
	cfg := AnalyticConfig{Dims: []int{16}, Ratios: []float64{1.0 / 16, 0.5, 4, 16}, Betas: []float64{64},
		Maps: []string{"elu", "taylor", "identity"}, Queries: 64, Seed: 1}
	rows := Analytic(cfg)
	acc := map[string]float64{}
	for _, r := range rows {
		acc[r.Label()+"@"+strconv.Itoa(r.N)] = r.Accuracy
		if r.N == 1 && r.Accuracy != 1 {
			t.Errorf("%s with one association: accuracy %g, want 1", r.Label(), r.Accuracy)
		}
	}
	for _, c := range []struct {
		key    string
		lo, hi float64
	}{
		{"softmax β=64@256", 1, 1},      // a sharp softmax retrieves far past N = d
		{"linear:taylor@8", 1, 1},       // M = 273 ≫ N
		{"linear:taylor@256", 0, 0.5},   // N ≈ M: crosstalk wins
		{"linear:elu@256", 0, 0.1},      // M = 16
		{"linear:identity@256", 0, 0.1}, // M = 16
		{"linear:identity@8", 0.8, 1},   // few pairs: a linear associative memory works
	} {
		if v, ok := acc[c.key]; !ok || v < c.lo || v > c.hi {
			t.Errorf("%s: accuracy %v, want in [%g, %g]", c.key, v, c.lo, c.hi)
		}
	}
}

func itoa(n int) string {
	return string(rune('0'+n/100%10)) + string(rune('0'+n/10%10)) + string(rune('0'+n%10))
}

func TestSlope(t *testing.T) {
	t.Parallel()
	var pts []ScalingPoint
	for _, n := range []int{256, 1024, 4096} {
		pts = append(pts, ScalingPoint{Form: "softmax", N: n, Seconds: 3e-9 * float64(n*n)},
			ScalingPoint{Form: "recurrent", N: n, Seconds: 2e-6 * float64(n)})
	}
	if s := Slope(pts, "softmax"); math.Abs(s-2) > 1e-12 {
		t.Errorf("slope of c·N² = %g, want 2", s)
	}
	if s := Slope(pts, "recurrent"); math.Abs(s-1) > 1e-12 {
		t.Errorf("slope of c·N = %g, want 1", s)
	}
	if s := Slope(pts, "quadratic"); !math.IsNaN(s) {
		t.Errorf("slope without points = %g, want NaN", s)
	}
}

func TestShards(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"3/2", "2/2", "-1/2", "0/0", "1", "a/b", "1/2/3"} {
		if _, _, err := ParseShard(bad); err == nil {
			t.Errorf("ParseShard(%q) accepted", bad)
		}
	}
	if i, n, err := ParseShard("1/3"); err != nil || i != 1 || n != 3 {
		t.Errorf("ParseShard(1/3) = %d, %d, %v", i, n, err)
	}
	cells := QuickMQAR().Cells()
	var seen []int
	for i := range 5 {
		for _, c := range ShardCells(cells, i, 5) {
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

func TestMergeTables(t *testing.T) {
	t.Parallel()
	mk := func(idx ...int) *report.Table {
		var res []MQARResult
		for _, i := range idx {
			res = append(res, MQARResult{MQARCell: MQARCell{Index: i, Kind: "softmax", DModel: 32, KVPairs: 4 << (i % 2), Seed: 1}, Accuracy: float64(i) / 10})
		}
		return MQARTable(res)
	}
	m, err := MergeTables([]*report.Table{mk(3, 1), mk(0, 2), mk(1)})
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
	s := MQARSummary(m)
	if len(s.Rows) != 1 || s.Rows[0][2] != 0.1 || s.Rows[0][3] != 0.2 { // kv=4: cells 0, 2; kv=8: cells 1, 3
		t.Errorf("summary %v, want kv=4 mean 0.1, kv=8 mean 0.2", s.Rows)
	}
	bad := mk(1)
	bad.Rows[0][bad.Column("accuracy")] = 0.99
	if _, err := MergeTables([]*report.Table{mk(1), bad}); err == nil {
		t.Error("conflicting duplicate cell merged")
	}
	other := report.NewTable("x", "x", report.Column{Name: "cell"})
	if _, err := MergeTables([]*report.Table{mk(1), other}); err == nil {
		t.Error("tables with different columns merged")
	}
}

// TestRunMQARDeterministic: the same cells give the same numbers whatever
// the number of workers.
func TestRunMQARDeterministic(t *testing.T) {
	t.Parallel()
	g := QuickMQAR()
	g.Kinds, g.DModels, g.KVPairs, g.Steps, g.Batch, g.EvalSeqs = []string{"softmax", "linear:favor"}, []int{16}, []int{2}, 3, 4, 8
	a, err := RunMQAR(context.Background(), g, g.Cells(), 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := RunMQAR(context.Background(), g, g.Cells(), 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range a {
		if a[i].Accuracy != b[i].Accuracy || a[i].ValLoss != b[i].ValLoss || a[i].DataHash != b[i].DataHash {
			t.Errorf("cell %d: 1 worker %+v, 2 workers %+v", i, a[i], b[i])
		}
	}
}
