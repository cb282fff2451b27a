package induction_test

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/attnlab/attnlab/fixtures"
	"github.com/attnlab/attnlab/induction"
	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/plots"
)

func TestAnalyzeDoesNotChangeModel(t *testing.T) {
	cfg := model.Config{NLayers: 2, DModel: 16, NHeads: 2, DVocab: 20, NCtx: 21, AttnOnly: true,
		NormalizationType: "LN", PositionalEmbeddingType: "rotary", Seed: 2}
	m, err := model.NewInit[float32](cfg)
	if err != nil {
		t.Fatal(err)
	}
	before := slices.Clone(m.Params.Data)
	r, err := induction.Analyze(context.Background(), m, induction.Options{Batch: 4})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(before, m.Params.Data) {
		t.Error("Analyze changed the model's parameters")
	}
	if r.L != 10 || len(r.Heads) != 4 || len(r.Comp) != 4 {
		t.Errorf("L %d, %d heads, %d compositions; want 10, 4, 4", r.L, len(r.Heads), len(r.Comp))
	}
	if len(r.Tables()) != 4 || len(r.Figures()) < 10 {
		t.Errorf("%d tables, %d figures", len(r.Tables()), len(r.Figures()))
	}
}

func TestAnalyzeRejectsBadOptions(t *testing.T) {
	m, _ := model.NewInit[float32](model.Config{NLayers: 1, DModel: 8, NHeads: 2, DVocab: 30, NCtx: 9, AttnOnly: true})
	for _, o := range []induction.Options{{SeqLen: 5}, {SeqLen: 2}, {Batch: 1}} {
		if _, err := induction.Analyze(context.Background(), m, o); err == nil {
			t.Errorf("options %+v accepted", o)
		}
	}
}

// TestEmbeddedInductionModel checks the embedded model against the
// acceptance criteria of the induction issue, on repeats of 50 tokens —
// longer than any repeated segment in its training data (at most 40).
func TestEmbeddedInductionModel(t *testing.T) {
	m, err := fixtures.Model("induction-2l")
	if err != nil {
		t.Fatal(err)
	}
	r, err := induction.Analyze(context.Background(), m, induction.Options{SeqLen: 50, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	var best induction.HeadScores
	for _, h := range r.Heads {
		if h.Layer == 1 && h.PrefixMatching.Mean > best.PrefixMatching.Mean {
			best = h
		}
	}
	t.Logf("best %s: prefix matching %.3f, induction %.3f of ceiling %.3f; loss first %.3f second %.3f; ablate heads +%.2f",
		best.String(), best.PrefixMatching.Mean, best.Induction.Mean, best.InductionCeil, r.FirstRepeat.Mean, r.SecondRepeat.Mean, r.AblateInduction.Mean)
	if best.PrefixMatching.Mean < 0.9 {
		t.Errorf("best layer-1 prefix-matching score %.3f < 0.9", best.PrefixMatching.Mean)
	}
	if r.SecondRepeat.Mean >= 0.5 || r.FirstRepeat.Mean < 3.9 {
		t.Errorf("loss on the repeats %.3f / %.3f; want second < 0.5 and first near ln(64) = 4.16", r.FirstRepeat.Mean, r.SecondRepeat.Mean)
	}
	if r.AblateInduction.Mean <= 2 {
		t.Errorf("ablating the induction heads together raises the loss by %.2f nats, want > 2", r.AblateInduction.Mean)
	}
	// Partners by both criteria: as many by ablation as by K-composition,
	// the layer-0 heads whose own zero ablation costs most, in that order.
	if len(r.AblationPartners) != len(r.PrevPartners) || len(r.PrevPartners) == 0 {
		t.Fatalf("partners by K-composition %v, by ablation %v", r.PrevPartners, r.AblationPartners)
	}
	zero := map[model.HeadID]float64{}
	var layer0 []float64
	for _, h := range r.Heads {
		zero[h.HeadID] = h.ZeroAblation.Mean
		if h.Layer == 0 {
			layer0 = append(layer0, h.ZeroAblation.Mean)
		}
	}
	slices.Sort(layer0)
	slices.Reverse(layer0)
	for i, p := range r.AblationPartners {
		if zero[p] != layer0[i] {
			t.Errorf("ablation partner %d is %s (Δ %.2f), want the layer-0 head with Δ %.2f", i, p, zero[p], layer0[i])
		}
	}
	if math.IsNaN(r.AblateAblationPartners.Mean) || r.AblateAblationPartners.Mean <= 0 {
		t.Errorf("ablating the ablation partners together: Δ %v", r.AblateAblationPartners.Mean)
	}
	caption := r.Tables()[2].Caption
	for _, want := range []string{"by K-composition", "used", "zero-ablation", r.AblationPartners[0].String()} {
		if !strings.Contains(caption, want) {
			t.Errorf("summary caption %q lacks %q", caption, want)
		}
	}
}

// TestOneLayerHasNoPartners: without an earlier layer nothing is a
// partner, and the partner rows are not applicable (nil), not NaN.
func TestOneLayerHasNoPartners(t *testing.T) {
	m, err := fixtures.Model("induction-1l")
	if err != nil {
		t.Fatal(err)
	}
	r, err := induction.Analyze(context.Background(), m, induction.Options{Batch: 4, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if r.PrevPartners != nil || r.AblationPartners != nil {
		t.Errorf("partners %v, %v in a one-layer model", r.PrevPartners, r.AblationPartners)
	}
	sum := r.Tables()[2]
	for _, row := range sum.Rows {
		if strings.HasPrefix(row[0].(string), "ablate_") && strings.HasSuffix(row[0].(string), "partners_dloss") {
			if row[1] != nil || row[3] != nil {
				t.Errorf("%s = %v, want not applicable (nil)", row[0], row[1:5])
			}
		}
		if row[0] == "composition_random_baseline" && row[1] != nil {
			t.Errorf("composition baseline %v in a one-layer model, want nil", row[1])
		}
	}
	if !strings.Contains(sum.Caption, "no previous-token partners") {
		t.Errorf("caption %q", sum.Caption)
	}
}

// TestPatternHeads: chosen heads' patterns are drawn on the chosen
// sequence, besides the default two; heads the model lacks and sequences
// outside the batch are errors.
func TestPatternHeads(t *testing.T) {
	m, err := fixtures.Model("induction-2l")
	if err != nil {
		t.Fatal(err)
	}
	r, err := induction.Analyze(context.Background(), m, induction.Options{Batch: 4, SeqLen: 10, NoAblation: true,
		PatternHeads: []model.HeadID{{Layer: 0, Head: 0}, {Layer: 1, Head: 3}}, PatternSeq: 2})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range r.Figures() {
		if strings.HasPrefix(f.Name, "pattern_") {
			names = append(names, f.Name)
		}
	}
	for _, want := range []string{"pattern_L0H0.png", "pattern_L1H3.png", "pattern_" + r.InductionHeads[0].String() + ".png"} {
		if !slices.Contains(names, want) {
			t.Errorf("pattern figures %v lack %s", names, want)
		}
	}
	for _, f := range r.Figures() {
		if f.Name == "pattern_L0H0.png" {
			h := f.Fig.(plots.Heatmap)
			if !strings.Contains(h.Title, "sequence 2") || h.RowLabels[1] != fmt.Sprint(r.Tokens[2*r.T+1]) {
				t.Errorf("title %q, first token label %q: want sequence 2's tokens", h.Title, h.RowLabels[1])
			}
		}
	}
	for _, o := range []induction.Options{
		{Batch: 4, SeqLen: 10, PatternHeads: []model.HeadID{{Layer: 2, Head: 0}}},
		{Batch: 4, SeqLen: 10, PatternHeads: []model.HeadID{{Layer: 0, Head: 4}}},
		{Batch: 4, SeqLen: 10, PatternSeq: 4},
	} {
		if _, err := induction.Analyze(context.Background(), m, o); err == nil {
			t.Errorf("options %+v accepted", o)
		}
	}
}
