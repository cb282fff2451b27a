package mqar

import (
	"context"
	"slices"
	"testing"

	"github.com/attnlab/attnlab/report"
)

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
	cells := Quick().Cells()
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
}

// TestRunDeterministic: the same cells give the same numbers whatever
// the number of workers.
func TestRunDeterministic(t *testing.T) {
	t.Parallel()
	g := Quick()
	g.Kinds, g.DModels, g.KVPairs, g.Steps, g.Batch, g.EvalSeqs = []string{"softmax", "linear:favor"}, []int{16}, []int{2}, 3, 4, 8
	a, err := Run(context.Background(), g, g.Cells(), 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Run(context.Background(), g, g.Cells(), 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range a {
		if a[i].Accuracy != b[i].Accuracy || a[i].ValLoss != b[i].ValLoss || a[i].DataHash != b[i].DataHash {
			t.Errorf("cell %d: 1 worker %+v, 2 workers %+v", i, a[i], b[i])
		}
	}
}
