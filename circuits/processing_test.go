package circuits

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"

	"github.com/attnlab/attnlab/model"
	"gonum.org/v1/gonum/mat"
)

// processingModel is a small two-layer LN model with LayerNorm weights far
// from 1 and weights with a large mean over d_model, so that folding and
// centring both change the scores.
func processingModel(t *testing.T) *model.Model {
	t.Helper()
	cfg := model.Config{NLayers: 2, DModel: 8, NHeads: 2, DHead: 3, DVocab: 11, NCtx: 4,
		NormalizationType: "LN", PositionalEmbeddingType: "standard", AttnOnly: true, Seed: 3}
	m, err := model.NewInit[float32](cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(5, 6))
	for _, tn := range m.Params.Tensors {
		for i := range tn.Data {
			tn.Data[i] = float32(r.NormFloat64()) + 0.7 // a mean to centre away
		}
	}
	return m
}

// refDense returns the [r, c] float64 matrix of w.
func refDense(w []float32, r, c int) *mat.Dense {
	d := mat.NewDense(r, c, nil)
	for i := range r {
		for j := range c {
			d.Set(i, j, float64(w[i*c+j]))
		}
	}
	return d
}

// centring returns P_n = I − 11ᵀ/n.
func centring(n int) *mat.Dense {
	p := mat.NewDense(n, n, nil)
	for i := range n {
		for j := range n {
			v := -1 / float64(n)
			if i == j {
				v++
			}
			p.Set(i, j, v)
		}
	}
	return p
}

func diag(w []float32) *mat.Dense {
	d := mat.NewDense(len(w), len(w), nil)
	for i, v := range w {
		d.Set(i, i, float64(v))
	}
	return d
}

func mul(ms ...mat.Matrix) *mat.Dense {
	var out mat.Dense
	out.CloneFrom(ms[0])
	for _, m := range ms[1:] {
		var next mat.Dense
		next.Mul(&out, m)
		out = next
	}
	return &out
}

func frob(m mat.Matrix) float64 { return mat.Norm(m, 2) }

// refTL computes the TransformerLens-default (or fold-only) scores from the
// model's raw parameters with explicit projection and diagonal matrices in
// float64, independently of FoldedWith: K-composition of every layer-0 head
// into every layer-1 head, and the OV copying score from all V eigenvalues
// of the full [V, V] circuit (not the [E, E] cyclic product).
func refTL(m *model.Model, centre bool) (kcomp [][]float64, copying [][]float64) {
	c, p := m.Config, m.Params
	D, H, E, V := c.DModel, c.NHeads, c.DHead, c.DVocab
	PD, PV := centring(D), centring(V)
	if !centre {
		PD = mat.NewDense(D, D, nil)
		for i := range D {
			PD.Set(i, i, 1)
		}
	}
	head := func(l, h int) (ov, qk *mat.Dense, wV, wO *mat.Dense) {
		b := p.Blocks[l]
		read := func(w []float32) *mat.Dense {
			return mul(PD, diag(b.Ln1W), refDense(w[h*D*E:(h+1)*D*E], D, E))
		}
		wV, wO = read(b.WV), mul(refDense(b.WO[h*E*D:(h+1)*E*D], E, D), PD)
		var kT mat.Dense
		kT.CloneFrom(read(b.WK).T())
		return mul(wV, wO), mul(read(b.WQ), &kT), wV, wO
	}
	for h0 := range H {
		ov, _, _, _ := head(0, h0)
		var row []float64
		for h1 := range H {
			_, qk, _, _ := head(1, h1)
			row = append(row, frob(mul(ov, qk.T()))/(frob(ov)*frob(qk)))
		}
		kcomp = append(kcomp, row)
	}
	wE := mul(refDense(p.WE, V, D), PD)
	wU := mul(PD, diag(p.LnFW), refDense(p.WU, D, V))
	if centre {
		wU = mul(wU, PV)
	}
	for l := range c.NLayers {
		var row []float64
		for h := range H {
			_, _, wV, wO := head(l, h)
			full := mul(wE, wV, wO, wU) // [V, V]
			var eig mat.Eigen
			if !eig.Factorize(full, mat.EigenNone) {
				panic("eigen")
			}
			var num, den float64
			for _, v := range eig.Values(nil) {
				num += real(v)
				den += cmplx.Abs(v)
			}
			row = append(row, num/den)
		}
		copying = append(copying, row)
	}
	return kcomp, copying
}

// TestProcessingAgainstReference checks both conventions against scores
// computed independently in float64, and that they differ on this model.
func TestProcessingAgainstReference(t *testing.T) {
	t.Parallel()
	m := processingModel(t)
	for _, p := range []Processing{FoldLN, TLDefault} {
		wantK, wantCopy := refTL(m, p == TLDefault)
		comps, err := CompositionsWith(m, p)
		if err != nil {
			t.Fatal(err)
		}
		for _, cp := range comps {
			if want := wantK[cp.Src.Head][cp.Dst.Head]; math.Abs(cp.K-want) > 1e-5 {
				t.Errorf("%v: K-composition L0H%d→L1H%d = %.6f, reference %.6f", p, cp.Src.Head, cp.Dst.Head, cp.K, want)
			}
		}
		copying, err := OVCopyingScoresWith(m, p)
		if err != nil {
			t.Fatal(err)
		}
		for l := range copying {
			for h, got := range copying[l] {
				if want := wantCopy[l][h]; math.Abs(got-want) > 1e-5 {
					t.Errorf("%v: OV copying L%dH%d = %.6f, reference %.6f", p, l, h, got, want)
				}
			}
		}
	}
	a, _ := OVCopyingScoresWith(m, FoldLN)
	b, _ := OVCopyingScoresWith(m, TLDefault)
	if math.Abs(a[0][0]-b[0][0]) < 1e-3 {
		t.Errorf("the conventions agree (%.4f, %.4f) on a model with uncentred weights: the test cannot tell them apart", a[0][0], b[0][0])
	}
}

// TestTLDefaultCentresAwayTheMean: a head that writes only along the
// all-ones direction of d_model writes nothing LayerNorm lets through, so
// under TLDefault its OV circuit is zero (copying score NaN, as
// TransformerLens's 0/0) while FoldLN still scores it.
func TestTLDefaultCentresAwayTheMean(t *testing.T) {
	t.Parallel()
	m := processingModel(t)
	b := m.Params.Blocks[0]
	D, E := m.Config.DModel, m.Config.DHead
	for e := range E {
		for d := range D {
			b.WO[e*D+d] = float32(e + 1) // head 0: each row constant over d_model
		}
	}
	fold, _ := OVCopyingScoresWith(m, FoldLN)
	tl, _ := OVCopyingScoresWith(m, TLDefault)
	if math.IsNaN(fold[0][0]) || !math.IsNaN(tl[0][0]) {
		t.Errorf("fold-ln %v, tl-default %v; want a number and NaN", fold[0][0], tl[0][0])
	}
	if p, err := ParseProcessing("tl-default"); err != nil || p != TLDefault || p.String() != "tl-default" {
		t.Errorf("ParseProcessing: %v %v", p, err)
	}
	if _, err := ParseProcessing("centred"); err == nil {
		t.Error("ParseProcessing accepted an unknown name")
	}
}
