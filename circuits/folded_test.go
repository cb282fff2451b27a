package circuits

import (
	"math"
	"slices"
	"testing"

	"github.com/attnlab/attnlab/model"
)

// handModel is a two-layer, one-head model with D = 2, E = 1, V = 2 whose
// folds and scores are worked out by hand in TestFoldedByHand.
func handModel(t *testing.T) *model.Model {
	t.Helper()
	m, err := model.NewInit[float32](model.Config{NLayers: 2, DModel: 2, NHeads: 1, DHead: 1, DVocab: 2, NCtx: 2,
		NormalizationType: "LN", PositionalEmbeddingType: "standard", AttnOnly: true, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	p := m.Params
	clear(p.Data)
	copy(p.WE, []float32{1, 0, 0, 1}) // identity [V, D]
	b0, b1 := &p.Blocks[0], &p.Blocks[1]
	copy(b0.Ln1W, []float32{2, 3})
	copy(b0.WQ, []float32{1, 1}) // [D, E]
	copy(b0.WK, []float32{1, 0})
	copy(b0.WV, []float32{1, 0})
	copy(b0.WO, []float32{1, 0}) // [E, D]
	copy(b1.Ln1W, []float32{1, 1})
	copy(b1.WQ, []float32{0, 1})
	copy(b1.WK, []float32{1, 0})
	copy(b1.WV, []float32{0, 1})
	copy(b1.WO, []float32{0, -1})
	copy(p.LnFW, []float32{0.5, 4})
	copy(p.WU, []float32{1, 0, 0, 1}) // identity [D, V]
	return m
}

// TestFoldedByHand: ln1.w = (2, 3) scales the rows of layer 0's W_Q, W_K and
// W_V, ln_final.w = (0.5, 4) the rows of W_U, W_O and W_E are untouched, and
// the model is not changed. Then, with W_OV⁰ = [[2,0],[0,0]], W_QK¹ =
// W_Q¹W_K¹ᵀ = [[0,0],[1,0]] and W_OV¹ = [[0,0],[0,−1]]:
//
//	Q = ‖W_OV⁰W_QK¹‖/(‖W_OV⁰‖‖W_QK¹‖) = 0,  K = ‖W_OV⁰W_QK¹ᵀ‖/(2·1) = ‖[[0,2],[0,0]]‖/2 = 1,  V = ‖W_OV⁰W_OV¹‖ = 0
//
// and the full OV circuits W_E·W_OV·W_U are [[1,0],[0,0]] (copying score
// 1/1 = 1) and [[0,0],[0,−4]] (−4/4 = −1).
func TestFoldedByHand(t *testing.T) {
	t.Parallel()
	m := handModel(t)
	before := slices.Clone(m.Params.Data)
	heads, wE, wU := Folded(m)
	want := []HeadWeights{
		{HeadID: model.HeadID{Layer: 0, Head: 0}, WQ: []float32{2, 3}, WK: []float32{2, 0}, WV: []float32{2, 0}, WO: []float32{1, 0}},
		{HeadID: model.HeadID{Layer: 1, Head: 0}, WQ: []float32{0, 1}, WK: []float32{1, 0}, WV: []float32{0, 1}, WO: []float32{0, -1}},
	}
	if len(heads) != 2 {
		t.Fatalf("%d heads, want 2", len(heads))
	}
	for i, h := range heads {
		w := want[i]
		if h.HeadID != w.HeadID || !slices.Equal(h.WQ, w.WQ) || !slices.Equal(h.WK, w.WK) || !slices.Equal(h.WV, w.WV) || !slices.Equal(h.WO, w.WO) {
			t.Errorf("head %d folded to %+v, want %+v", i, h, w)
		}
	}
	if !slices.Equal(wE, []float32{1, 0, 0, 1}) || !slices.Equal(wU, []float32{0.5, 0, 0, 4}) {
		t.Errorf("W_E %v, W_U %v; want the identity and diag(0.5, 4)", wE, wU)
	}
	if !slices.Equal(m.Params.Data, before) {
		t.Error("Folded changed the model")
	}

	comps, err := Compositions(m)
	if err != nil {
		t.Fatal(err)
	}
	if len(comps) != 1 || comps[0].Src.String() != "L0H0" || comps[0].Dst.String() != "L1H0" {
		t.Fatalf("compositions %+v, want L0H0 → L1H0 only", comps)
	}
	if c := comps[0]; math.Abs(c.Q) > 1e-12 || math.Abs(c.K-1) > 1e-12 || math.Abs(c.V) > 1e-12 {
		t.Errorf("Q, K, V = %v, %v, %v; want 0, 1, 0", c.Q, c.K, c.V)
	}
	copying, err := OVCopyingScores(m)
	if err != nil {
		t.Fatal(err)
	}
	if len(copying) != 2 || math.Abs(copying[0][0]-1) > 1e-12 || math.Abs(copying[1][0]+1) > 1e-12 {
		t.Errorf("OV copying scores %v, want [[1] [-1]]", copying)
	}
}
