package mqar

import (
	"context"
	"math"
	"testing"

	"github.com/attnlab/attnlab/probes"
)

// TestKernelMapCell: the first linear kind, largest d_model, fewest kv
// pairs, first seed; none for a grid without a linear kind.
func TestKernelMapCell(t *testing.T) {
	t.Parallel()
	g := Full()
	c, ok := g.KernelMapCell()
	if !ok || c.Kind != "linear:elu" || c.DModel != 128 || c.KVPairs != 4 || c.Seed != 1 {
		t.Errorf("full grid: %+v %v, want linear:elu d_model 128 kv 4 seed 1", c, ok)
	}
	if g.Cells()[c.Index] != c {
		t.Errorf("cell %+v is not the grid's cell %d", c, c.Index)
	}
	g.Kinds = []string{"softmax"}
	if _, ok := g.KernelMapCell(); ok {
		t.Error("a softmax-only grid has a kernel-map cell")
	}
}

// TestOnAnswer on hand-built maps: T = 6, context of 2 pairs (positions
// 0–3), queries at 4 (asks for the value at 1) and 5 (value at 3).
func TestOnAnswer(t *testing.T) {
	t.Parallel()
	const T = 6
	tokens := []int32{10, 70, 11, 71, 10, 11}
	targets := []int32{-1, -1, -1, -1, 70, 71}
	mask := []float32{0, 0, 0, 0, 1, 1}
	km := probes.KernelMap{T: T, Linear: make([]float64, T*T), Softmax: make([]float64, T*T)}
	// query 4: linear 0.75 on the answer (1), softmax 1 on position 2;
	// query 5: both 1 on the answer (3).
	km.Linear[4*T+1], km.Linear[4*T+0] = 0.75, 0.25
	km.Softmax[4*T+2] = 1
	km.Linear[5*T+3], km.Softmax[5*T+3] = 1, 1
	a := onAnswer(km, tokens, targets, mask, 4)
	if a.sameTop != 0.5 || a.linear != 0.875 || a.softmax != 0.5 {
		t.Errorf("got %+v, want same top 0.5, linear 0.875, softmax 0.5", a)
	}
}

// TestRunDrawsTheKernelMap: a grid of one linear cell, trained a few
// steps, gives kernel_map.csv with one row per last-layer head, each a
// probability comparison, and one figure per head.
func TestRunDrawsTheKernelMap(t *testing.T) {
	t.Parallel()
	g := Quick()
	g.Kinds, g.DModels, g.KVPairs, g.Steps, g.EvalSeqs = []string{"linear:elu"}, []int{32}, []int{4}, 3, 8
	res, err := Run(context.Background(), g, g.Cells(), 1, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := g.Results(res)
	var rows int
	for _, tb := range r.Tables {
		if tb.Name != "kernel_map" {
			continue
		}
		rows = len(tb.Rows)
		for _, row := range tb.Rows {
			for _, col := range []string{"mean_abs_diff", "same_top_key", "linear_on_answer", "softmax_on_answer"} {
				v := row[tb.Column(col)].(float64)
				if math.IsNaN(v) || v < 0 || v > 1 {
					t.Errorf("%v %s = %v, want in [0, 1]", row[0], col, v)
				}
			}
		}
	}
	if rows != g.Heads {
		t.Errorf("kernel_map has %d rows, want %d (one per head of the last layer)", rows, g.Heads)
	}
	names := map[string]bool{}
	for _, f := range r.Figures {
		names[f.Name] = true
	}
	if !names["kernel_map_L1H0.png"] || !names["kernel_map_L1H1.png"] {
		t.Errorf("figures %v lack kernel_map_L1H0.png, kernel_map_L1H1.png", names)
	}
}
