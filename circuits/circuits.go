package circuits

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
)

// BaselineSamples is the number of random head pairs CompositionBaseline
// averages over.
const BaselineSamples = 1000

// Head returns head h of a per-layer weight [H, rows, cols] as a
// [rows, cols] view (three-index slice: appending to it cannot spill into the
// next head). It returns an error if w is too short.
func Head(w []float32, h, rows, cols int) ([]float32, error) {
	n := rows * cols
	if h < 0 || rows < 1 || cols < 1 || len(w) < (h+1)*n || len(w)%n != 0 {
		return nil, fmt.Errorf("circuits: cannot cut head %d of [%d, %d] from a weight with %d values", h, rows, cols, len(w))
	}
	return w[h*n : (h+1)*n : (h+1)*n], nil
}

// OVMatrix returns a head's OV circuit, [D, D] row-major:
//
//	W_OV = W_V · W_O   (W_V [D, E], W_O [E, D]; rank ≤ E)
func OVMatrix(wV, wO []float32, D, E int) ([]float32, error) {
	ov, err := ovDense(wV, wO, D, E)
	if err != nil {
		return nil, err
	}
	return toFloat32(ov), nil
}

// QKMatrix returns a head's QK circuit, [D, D] row-major:
//
//	W_QK = W_Q · W_Kᵀ   (W_Q, W_K [D, E]); attention score x_q W_QK x_kᵀ / sqrt(E)
func QKMatrix(wQ, wK []float32, D, E int) ([]float32, error) {
	qk, err := qkDense(wQ, wK, D, E)
	if err != nil {
		return nil, err
	}
	return toFloat32(qk), nil
}

// CompositionScore is the composition score of Elhage et al. 2021 as
// TransformerLens utils.composition_scores computes it, for left and right
// [D, D] row-major:
//
//	score = ‖left · right‖_F / (‖left‖_F · ‖right‖_F)
//
// It lies in [0, 1]. NaN when either matrix is zero (TL's 0/0).
func CompositionScore(left, right []float32, D int) (float64, error) {
	if err := checkLen("left", left, D, D); err != nil {
		return 0, err
	}
	if err := checkLen("right", right, D, D); err != nil {
		return 0, err
	}
	return compose(dense(left, D, D), dense(right, D, D)), nil
}

// QComposition scores how much a later head's queries read what an earlier
// head writes, following TransformerLens all_composition_scores("Q")
// (left = model.OV of the earlier head, right = model.QK of the later one):
//
//	Q = ‖W_OV⁰ · W_QK¹‖_F / (‖W_OV⁰‖_F ‖W_QK¹‖_F)
//
// wV0 [D, E], wO0 [E, D] are the earlier head's, wQ1, wK1 [D, E] the later's.
// Elhage et al.'s ‖W_QK¹ᵀ W_OV⁰‖ in column convention is the same number.
func QComposition(wV0, wO0, wQ1, wK1 []float32, D, E int) (float64, error) {
	ov, qk, err := ovqk(wV0, wO0, wQ1, wK1, D, E)
	if err != nil {
		return 0, err
	}
	return compose(ov, qk), nil
}

// KComposition scores how much a later head's keys read what an earlier head
// writes, following TransformerLens all_composition_scores("K")
// (right = model.QK.T):
//
//	K = ‖W_OV⁰ · W_QK¹ᵀ‖_F / (‖W_OV⁰‖_F ‖W_QK¹‖_F)
//
// Arguments as QComposition.
func KComposition(wV0, wO0, wQ1, wK1 []float32, D, E int) (float64, error) {
	ov, qk, err := ovqk(wV0, wO0, wQ1, wK1, D, E)
	if err != nil {
		return 0, err
	}
	return compose(ov, qk.T()), nil
}

// VComposition scores how much a later head's values read what an earlier
// head writes, following TransformerLens all_composition_scores("V")
// (right = model.OV):
//
//	V = ‖W_OV⁰ · W_OV¹‖_F / (‖W_OV⁰‖_F ‖W_OV¹‖_F)
//
// wV0, wV1 [D, E], wO0, wO1 [E, D].
func VComposition(wV0, wO0, wV1, wO1 []float32, D, E int) (float64, error) {
	ov0, err := ovDense(wV0, wO0, D, E)
	if err != nil {
		return 0, err
	}
	ov1, err := ovDense(wV1, wO1, D, E)
	if err != nil {
		return 0, err
	}
	return compose(ov0, ov1), nil
}

// CompositionBaseline is the expected composition score of two unrelated
// heads: the Monte Carlo mean over BaselineSamples pairs of
//
//	‖(A₁B₁)(A₂B₂)‖_F / (‖A₁B₁‖_F ‖A₂B₂‖_F),  A [D, E], B [E, D], entries iid N(0, 1)
//
// drawn from rand.NewPCG(seed, seed). The score is scale-invariant, so the
// initialisation scale does not matter, and W_OV, W_QK and W_QKᵀ of Gaussian
// heads share this distribution: one baseline serves Q, K and V composition
// (as in the ARENA induction-heads exercises). For E = D it is close to
// 1/sqrt(D); for E = 1 it is E|cos θ| of two random directions,
// Γ(D/2) / (√π Γ((D+1)/2)); for D = E = 1 it is exactly 1.
func CompositionBaseline(D, E int, seed uint64) (float64, error) {
	if D < 1 || E < 1 {
		return 0, fmt.Errorf("circuits: composition baseline needs D ≥ 1 and E ≥ 1, got D=%d, E=%d", D, E)
	}
	rng := rand.New(rand.NewPCG(seed, seed))
	gauss := func(r, c int) *mat.Dense {
		d := make([]float64, r*c)
		for i := range d {
			d[i] = rng.NormFloat64()
		}
		return mat.NewDense(r, c, d)
	}
	var sum float64
	for range BaselineSamples {
		a1, b1 := gauss(D, E), gauss(E, D)
		a2, b2 := gauss(D, E), gauss(E, D)
		sum += composeFactored(a1, b1, a2, b2)
	}
	return sum / BaselineSamples, nil
}

// composeFactored is compose(a1·b1, a2·b2) for a1, a2 [D, E] and b1, b2
// [E, D] in O(D·E²) rather than O(D³), through [E, E] Gram matrices:
//
//	‖a b‖_F²       = Σ (aᵀa) ⊙ (b bᵀ)
//	‖a1 b1 a2 b2‖² = Σ (Mᵀ a1ᵀa1 M) ⊙ (b2 b2ᵀ),  M = b1 a2
//
// Used where speed matters (the baseline); the per-head scores form the
// [D, D] product, which is exact near zero.
func composeFactored(a1, b1, a2, b2 *mat.Dense) float64 {
	var ga1, gb1, ga2, gb2, m, t, mgm mat.Dense
	ga1.Mul(a1.T(), a1)
	gb1.Mul(b1, b1.T())
	ga2.Mul(a2.T(), a2)
	gb2.Mul(b2, b2.T())
	m.Mul(b1, a2)
	t.Mul(&ga1, &m)
	mgm.Mul(m.T(), &t)
	inner := func(x, y *mat.Dense) float64 {
		var s float64
		r, c := x.Dims()
		for i := 0; i < r; i++ {
			for j := 0; j < c; j++ {
				s += x.At(i, j) * y.At(i, j)
			}
		}
		return s
	}
	return math.Sqrt(inner(&mgm, &gb2) / (inner(&ga1, &gb1) * inner(&ga2, &gb2)))
}

// compose is ‖l·r‖_F / (‖l‖_F ‖r‖_F).
func compose(l, r mat.Matrix) float64 {
	var lr mat.Dense
	lr.Mul(l, r)
	return mat.Norm(&lr, 2) / (mat.Norm(l, 2) * mat.Norm(r, 2))
}

func ovqk(wV0, wO0, wQ1, wK1 []float32, D, E int) (ov, qk *mat.Dense, err error) {
	if ov, err = ovDense(wV0, wO0, D, E); err != nil {
		return nil, nil, err
	}
	if qk, err = qkDense(wQ1, wK1, D, E); err != nil {
		return nil, nil, err
	}
	return ov, qk, nil
}

func ovDense(wV, wO []float32, D, E int) (*mat.Dense, error) {
	if err := checkLen("W_V", wV, D, E); err != nil {
		return nil, err
	}
	if err := checkLen("W_O", wO, E, D); err != nil {
		return nil, err
	}
	var ov mat.Dense
	ov.Mul(dense(wV, D, E), dense(wO, E, D))
	return &ov, nil
}

func qkDense(wQ, wK []float32, D, E int) (*mat.Dense, error) {
	if err := checkLen("W_Q", wQ, D, E); err != nil {
		return nil, err
	}
	if err := checkLen("W_K", wK, D, E); err != nil {
		return nil, err
	}
	var qk mat.Dense
	qk.Mul(dense(wQ, D, E), dense(wK, D, E).T())
	return &qk, nil
}

// dense copies a float32 [r, c] row-major slice into a new float64 matrix.
func dense(w []float32, r, c int) *mat.Dense {
	d := make([]float64, r*c)
	for i, x := range w[:r*c] {
		d[i] = float64(x)
	}
	return mat.NewDense(r, c, d)
}

func toFloat32(m *mat.Dense) []float32 {
	r, c := m.Dims()
	out := make([]float32, 0, r*c)
	for i := 0; i < r; i++ {
		for _, x := range m.RawRowView(i) {
			out = append(out, float32(x))
		}
	}
	return out
}

func checkLen(name string, w []float32, r, c int) error {
	if r < 1 || c < 1 {
		return fmt.Errorf("circuits: %s needs positive dimensions, got [%d, %d]", name, r, c)
	}
	if len(w) != r*c {
		return fmt.Errorf("circuits: %s has %d values, [%d, %d] wants %d", name, len(w), r, c, r*c)
	}
	for _, x := range w {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return fmt.Errorf("circuits: %s holds a non-finite value %g", name, x)
		}
	}
	return nil
}
