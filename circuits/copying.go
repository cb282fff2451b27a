package circuits

import (
	"fmt"
	"math"
	"math/cmplx"

	"gonum.org/v1/gonum/mat"
)

// OVEigenvalues returns the E eigenvalues of a head's full OV circuit
//
//	W_E · W_V · W_O · W_U   [V, V]  (rank ≤ E)
//
// that can be nonzero, computed as TransformerLens FactoredMatrix.eigenvalues
// does, from the small cyclic product
//
//	W_O · W_U · W_E · W_V   [E, E]
//
// (if BAv = λv then AB(Av) = λ(Av): AB and BA share their nonzero
// eigenvalues). wE [V, D], wV [D, E], wO [E, D], wU [D, V].
func OVEigenvalues(wE, wV, wO, wU []float32, V, D, E int) ([]complex128, error) {
	a, b, err := fullOVFactors(wE, wV, wO, wU, V, D, E)
	if err != nil {
		return nil, err
	}
	var ba mat.Dense
	ba.Mul(b, a) // [E, E]
	return eigenvalues(&ba)
}

// OVCopyingScore is the OV copying eigenvalue score of Elhage et al. 2021: a
// head that copies the token it attends to has a full OV circuit with
// positive eigenvalues.
//
//	score = Σᵢ Re λᵢ / Σᵢ |λᵢ|,   λ = eigenvalues of W_E W_V W_O W_U
//
// Complex eigenvalues come in conjugate pairs, so Σ Re λ = Σ λ. The score is
// 1 for pure copying, -1 for pure anti-copying, 0 for a rotation. Computed
// from the [E, E] product (see OVEigenvalues); NaN when every eigenvalue is 0.
func OVCopyingScore(wE, wV, wO, wU []float32, V, D, E int) (float64, error) {
	ev, err := OVEigenvalues(wE, wV, wO, wU, V, D, E)
	if err != nil {
		return 0, err
	}
	return copyingScore(ev), nil
}

func copyingScore(ev []complex128) float64 {
	var num, den float64
	for _, l := range ev {
		num += real(l)
		den += cmplx.Abs(l)
	}
	return num / den
}

// OVDirectCopying measures, token by token, how much a head's full OV circuit
// M = W_E W_V W_O W_U [V, V] raises the logit of the token it attends to
// (Olsson et al. 2022's copying, read from the weights):
//
//	lift(t)  = M[t, t] - 1/V Σⱼ M[t, j]
//	meanLift = 1/V Σₜ lift(t)
//	topFrac  = |{ t : M[t, t] > M[t, j] for every j ≠ t }| / V
//
// A tie for the row maximum does not count towards topFrac. Arguments as
// OVCopyingScore.
func OVDirectCopying(wE, wV, wO, wU []float32, V, D, E int) (meanLift, topFrac float64, err error) {
	a, b, err := fullOVFactors(wE, wV, wO, wU, V, D, E)
	if err != nil {
		return 0, 0, err
	}
	var m mat.Dense
	m.Mul(a, b) // [V, V]
	top := 0
	for t := 0; t < V; t++ {
		row := m.RawRowView(t)
		var sum float64
		best := true
		for j, x := range row {
			sum += x
			if j != t && x >= row[t] {
				best = false
			}
		}
		meanLift += row[t] - sum/float64(V)
		if best {
			top++
		}
	}
	return meanLift / float64(V), float64(top) / float64(V), nil
}

// fullOVFactors returns W_E·W_V [V, E] and W_O·W_U [E, V].
func fullOVFactors(wE, wV, wO, wU []float32, V, D, E int) (a, b *mat.Dense, err error) {
	for _, c := range []struct {
		name string
		w    []float32
		r, c int
	}{{"W_E", wE, V, D}, {"W_V", wV, D, E}, {"W_O", wO, E, D}, {"W_U", wU, D, V}} {
		if err := checkLen(c.name, c.w, c.r, c.c); err != nil {
			return nil, nil, err
		}
	}
	a, b = new(mat.Dense), new(mat.Dense)
	a.Mul(dense(wE, V, D), dense(wV, D, E))
	b.Mul(dense(wO, E, D), dense(wU, D, V))
	return a, b, nil
}

func eigenvalues(m mat.Matrix) ([]complex128, error) {
	var eig mat.Eigen
	if !eig.Factorize(m, mat.EigenNone) {
		r, _ := m.Dims()
		return nil, fmt.Errorf("circuits: eigenvalue decomposition of the [%d, %d] OV circuit did not converge", r, r)
	}
	ev := eig.Values(nil)
	for _, l := range ev {
		if cmplx.IsNaN(l) || math.IsInf(real(l), 0) {
			return nil, fmt.Errorf("circuits: eigenvalue decomposition returned %v", l)
		}
	}
	return ev, nil
}
