package induction_test

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/attnlab/attnlab/fixtures"
	"github.com/attnlab/attnlab/induction"
)

// TestThresholdNamesNoHead: with no head at or above the threshold the
// report names none, ablates none and says so (issue 9: the one-layer
// control's footer named L0H1 at 0.028, below the threshold, with an
// ablation delta).
func TestThresholdNamesNoHead(t *testing.T) {
	m, err := fixtures.Model("induction-1l")
	if err != nil {
		t.Fatal(err)
	}
	r, err := induction.Analyze(context.Background(), m, induction.Options{Batch: 4, SeqLen: 20, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.InductionHeads) != 0 || !math.IsNaN(r.AblateInduction.Mean) {
		t.Errorf("induction heads %v, ablation Δ %v; want none and not computed", r.InductionHeads, r.AblateInduction.Mean)
	}
	sum := r.Tables()[2]
	if !strings.HasPrefix(sum.Caption, "induction heads: none") {
		t.Errorf("summary caption %q, want it to start with \"induction heads: none\"", sum.Caption)
	}
	var pattern bool
	for _, f := range r.Figures() {
		pattern = pattern || f.Name == "pattern_"+r.Best.String()+".png"
	}
	if !pattern {
		t.Error("no pattern figure of the best head")
	}
}

// TestNoAblationIsNotComputed: --no-ablation reports the ablation deltas as
// not computed (nil cells: blank in the CSV, "–" on the terminal), not as
// 0, and draws no ablation figure (issue 9).
func TestNoAblationIsNotComputed(t *testing.T) {
	m, err := fixtures.Model("induction-2l")
	if err != nil {
		t.Fatal(err)
	}
	r, err := induction.Analyze(context.Background(), m, induction.Options{Batch: 4, SeqLen: 20, Seed: 1, NoAblation: true})
	if err != nil {
		t.Fatal(err)
	}
	tabs := r.Tables()
	heads, sum := tabs[0], tabs[2]
	for _, col := range []string{"zero_ablation_dloss", "zero_ablation_dloss_std", "mean_ablation_dloss", "mean_ablation_dloss_std"} {
		j := heads.Column(col)
		for _, row := range heads.Rows {
			if row[j] != nil {
				t.Fatalf("heads.csv %s = %v for %v, want not computed (nil)", col, row[j], row[0])
			}
		}
	}
	for _, row := range sum.Rows {
		if strings.HasPrefix(row[0].(string), "ablate_") && row[1] != nil {
			t.Errorf("summary %s = %v, want not computed", row[0], row[1])
		}
	}
	for _, f := range r.Figures() {
		if strings.HasPrefix(f.Name, "ablation_") {
			t.Errorf("%s drawn without ablation runs", f.Name)
		}
	}
	if len(r.InductionHeads) == 0 {
		t.Error("no induction heads named on the two-layer model")
	}
}
