package circuits

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/gonum/mat"
)

// basis returns the [D, len(idx)] matrix whose columns are e_idx.
func basis(D int, idx ...int) []float32 {
	w := make([]float32, D*len(idx))
	for c, i := range idx {
		w[i*len(idx)+c] = 1
	}
	return w
}

// transpose of a [r, c] row-major slice.
func transpose(w []float32, r, c int) []float32 {
	out := make([]float32, r*c)
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			out[j*r+i] = w[i*c+j]
		}
	}
	return out
}

func scale(w []float32, s float32) []float32 {
	out := slices.Clone(w)
	for i := range out {
		out[i] *= s
	}
	return out
}

func randn(rng *rand.Rand, n int) []float32 {
	w := make([]float32, n)
	for i := range w {
		w[i] = float32(rng.NormFloat64())
	}
	return w
}

func TestCircuitMatricesByHand(t *testing.T) {
	t.Parallel()
	// D=3, E=1: W_V = e1, W_O = 2·e2ᵀ → W_OV has a single 2 at (0, 1).
	ov, err := OVMatrix([]float32{1, 0, 0}, []float32{0, 2, 0}, 3, 1)
	if err != nil {
		t.Fatal(err)
	}
	if want := []float32{0, 2, 0, 0, 0, 0, 0, 0, 0}; !slices.Equal(ov, want) {
		t.Errorf("OV: got %v, want %v", ov, want)
	}
	// W_Q = e3, W_K = e1 → W_QK = e3 e1ᵀ: a single 1 at (2, 0).
	qk, err := QKMatrix([]float32{0, 0, 1}, []float32{1, 0, 0}, 3, 1)
	if err != nil {
		t.Fatal(err)
	}
	if want := []float32{0, 0, 0, 0, 0, 0, 1, 0, 0}; !slices.Equal(qk, want) {
		t.Errorf("QK: got %v, want %v", qk, want)
	}
}

func TestCompositionByHand(t *testing.T) {
	t.Parallel()
	const D, E = 4, 2
	// Layer-0 head writes into span(e1, e2): W_OV⁰ = diag(1, 1, 0, 0).
	wV0 := basis(D, 0, 1)
	wO0 := transpose(wV0, D, E)
	// Layer-1 head: queries read span(e3, e4), keys read span(e1, e2).
	wQ1 := basis(D, 2, 3)
	wK1 := scale(basis(D, 0, 1), 3)
	// Layer-1 head whose values read span(e1): W_OV¹ = e1 e1ᵀ, and one
	// reading span(e4): orthogonal to what head 0 writes.
	wV1a, wO1a := basis(D, 0, 1), transpose(basis(D, 0, 3), D, E)
	wV1b, wO1b := basis(D, 3, 2), transpose(basis(D, 3, 2), D, E)
	inputs := [][]float32{wV0, wO0, wQ1, wK1, wV1a, wO1a, wV1b, wO1b}
	before := make([][]float32, len(inputs))
	for i, w := range inputs {
		before[i] = slices.Clone(w)
	}

	cases := []struct {
		name string
		f    func() (float64, error)
		want float64
	}{
		// Queries read e3, e4; head 0 writes e1, e2: orthogonal.
		{"Q orthogonal", func() (float64, error) { return QComposition(wV0, wO0, wQ1, wK1, D, E) }, 0},
		// Keys read exactly head 0's subspace: ‖P·R‖ = ‖R‖, ‖P‖ = √2.
		{"K aligned", func() (float64, error) { return KComposition(wV0, wO0, wQ1, wK1, D, E) }, 1 / math.Sqrt2},
		// W_OV⁰ W_OV¹ = diag(1,1,0,0)·(e1 e1ᵀ + e2 e4ᵀ) = e1e1ᵀ + e2e4ᵀ: ‖·‖ = √2;
		// ‖W_OV⁰‖ = √2, ‖W_OV¹‖ = √2 → 1/√2.
		{"V aligned", func() (float64, error) { return VComposition(wV0, wO0, wV1a, wO1a, D, E) }, 1 / math.Sqrt2},
		{"V orthogonal", func() (float64, error) { return VComposition(wV0, wO0, wV1b, wO1b, D, E) }, 0},
	}
	for _, c := range cases {
		got, err := c.f()
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%s: got %.15f, want %.15f", c.name, got, c.want)
		}
	}
	for i, w := range inputs {
		if !slices.Equal(w, before[i]) {
			t.Errorf("input %d was modified", i)
		}
	}
}

func TestCompositionScoreMatchesHelpers(t *testing.T) {
	t.Parallel()
	// On random heads, the helpers equal CompositionScore on the [D, D]
	// circuits, and K-composition equals the score with QK transposed by hand.
	rng := rand.New(rand.NewPCG(1, 1))
	const D, E = 7, 3
	wV0, wO0 := randn(rng, D*E), randn(rng, E*D)
	wQ1, wK1 := randn(rng, D*E), randn(rng, D*E)
	ov, _ := OVMatrix(wV0, wO0, D, E)
	qk, _ := QKMatrix(wQ1, wK1, D, E)
	q, _ := QComposition(wV0, wO0, wQ1, wK1, D, E)
	k, _ := KComposition(wV0, wO0, wQ1, wK1, D, E)
	q2, _ := CompositionScore(ov, qk, D)
	k2, _ := CompositionScore(ov, transpose(qk, D, D), D)
	// float32 rounding of the [D, D] circuits bounds the difference.
	if math.Abs(q-q2) > 1e-6 || math.Abs(k-k2) > 1e-6 {
		t.Errorf("Q %g vs %g, K %g vs %g", q, q2, k, k2)
	}
	if q <= 0 || q >= 1 || k <= 0 || k >= 1 || q == k {
		t.Errorf("random heads: Q %g, K %g should lie strictly in (0, 1) and differ", q, k)
	}
}

func TestCompositionScoreKnownValues(t *testing.T) {
	t.Parallel()
	// left = I (D=3): ‖R‖ / (√3 ‖R‖) = 1/√3 for any nonzero R.
	id := []float32{1, 0, 0, 0, 1, 0, 0, 0, 1}
	r := []float32{1, 2, 3, -4, 5, 6, 7, 8, -9}
	got, err := CompositionScore(id, r, 3)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(got-1/math.Sqrt(3)) > 1e-15 {
		t.Errorf("identity: got %g, want 1/√3", got)
	}
	got, _ = CompositionScore(make([]float32, 9), r, 3)
	if !math.IsNaN(got) {
		t.Errorf("zero left: got %g, want NaN", got)
	}
	if _, err := CompositionScore(id, r[:8], 3); err == nil || !strings.Contains(err.Error(), "right has 8 values") {
		t.Errorf("short right: got %v", err)
	}
}

func TestCompositionBaseline(t *testing.T) {
	t.Parallel()
	one, err := CompositionBaseline(1, 1, 3)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(one-1) > 1e-15 {
		t.Errorf("D=E=1: got %g, want exactly 1", one)
	}
	start := time.Now()
	b, err := CompositionBaseline(16, 16, 3)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("baseline took %v", d)
	}
	// Full-rank Gaussian products: ≈ 1/√D = 0.25.
	if b < 0.23 || b > 0.27 {
		t.Errorf("D=E=16: got %g, want ≈ 1/√16 = 0.25", b)
	}
	if again, _ := CompositionBaseline(16, 16, 3); again != b {
		t.Errorf("same seed, different baseline: %g vs %g", again, b)
	}
	// E=1: (a bᵀ)(c dᵀ) scores |cos(b, c)|, whose mean for independent
	// Gaussian directions in D dimensions is Γ(D/2) / (√π Γ((D+1)/2)).
	// The Monte Carlo standard error is ≈ 0.15/√1000 ≈ 0.005.
	rank1, _ := CompositionBaseline(16, 1, 3)
	lg1, _ := math.Lgamma(8)
	lg2, _ := math.Lgamma(8.5)
	if want := math.Exp(lg1-lg2) / math.Sqrt(math.Pi); math.Abs(rank1-want) > 0.02 {
		t.Errorf("D=16, E=1: got %g, want %g", rank1, want)
	}
	if _, err := CompositionBaseline(0, 2, 1); err == nil {
		t.Error("D=0: want an error")
	}
}

func TestComposeFactoredMatchesDense(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(2, 2))
	for _, s := range [][2]int{{5, 2}, {6, 6}, {9, 1}, {3, 4}} {
		D, E := s[0], s[1]
		m := func(r, c int) *mat.Dense { return dense(randn(rng, r*c), r, c) }
		a1, b1, a2, b2 := m(D, E), m(E, D), m(D, E), m(E, D)
		var l, r mat.Dense
		l.Mul(a1, b1)
		r.Mul(a2, b2)
		if got, want := composeFactored(a1, b1, a2, b2), compose(&l, &r); math.Abs(got-want) > 1e-12 {
			t.Errorf("D=%d E=%d: factored %.15f, dense %.15f", D, E, got, want)
		}
	}
}

func TestHead(t *testing.T) {
	t.Parallel()
	w := []float32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11} // [H=2, 2, 3]
	h1, err := Head(w, 1, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(h1, []float32{6, 7, 8, 9, 10, 11}) || cap(h1) != 6 {
		t.Errorf("head 1: %v (cap %d)", h1, cap(h1))
	}
	if _, err := Head(w, 2, 2, 3); err == nil {
		t.Error("head 2 of 2: want an error")
	}
}

// fullCopyingScore is the reference: eigenvalues of the whole [V, V] circuit.
func fullCopyingScore(t *testing.T, wE, wV, wO, wU []float32, V, D, E int) float64 {
	t.Helper()
	a, b, err := fullOVFactors(wE, wV, wO, wU, V, D, E)
	if err != nil {
		t.Fatal(err)
	}
	var m mat.Dense
	m.Mul(a, b)
	ev, err := eigenvalues(&m)
	if err != nil {
		t.Fatal(err)
	}
	return copyingScore(ev)
}

func TestOVCopyingShortcutMatchesFull(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 1))
	for _, s := range []struct{ V, D, E int }{{11, 7, 3}, {5, 4, 4}, {13, 6, 1}, {9, 3, 5}} {
		wE, wU := randn(rng, s.V*s.D), randn(rng, s.D*s.V)
		wV, wO := randn(rng, s.D*s.E), randn(rng, s.E*s.D)
		got, err := OVCopyingScore(wE, wV, wO, wU, s.V, s.D, s.E)
		if err != nil {
			t.Fatal(err)
		}
		want := fullCopyingScore(t, wE, wV, wO, wU, s.V, s.D, s.E)
		// The full [V, V] matrix has V-rank(·) eigenvalues that are zero only up
		// to rounding (~1e-15 each), which enter Σ|λ|.
		if math.Abs(got-want) > 1e-9 {
			t.Errorf("%+v: shortcut %.12f, full %.12f", s, got, want)
		}
	}
}

func TestOVCopyingByHand(t *testing.T) {
	t.Parallel()
	const V, D, E = 4, 4, 2
	id := basis(D, 0, 1, 2, 3) // I_4, as both W_E and W_U
	wV := basis(D, 0, 1)
	wO := transpose(wV, D, E)
	rot := []float32{0, 1, -1, 0} // [E, E] rotation: eigenvalues ±i
	wORot := make([]float32, E*D)
	for i := 0; i < E; i++ {
		for j := 0; j < E; j++ {
			wORot[i*D+j] = rot[i*E+j]
		}
	}
	cases := []struct {
		name     string
		wO       []float32
		score    float64
		lift     float64
		topFrac  float64
		wantEigs []complex128
	}{
		// W_E W_OV W_U = diag(1, 1, 0, 0). Lift: (1-1/4)·2/4 = 3/8. Tokens 0, 1 top.
		{"copying", wO, 1, 3.0 / 8, 0.5, []complex128{1, 1}},
		{"anti-copying", scale(wO, -2), -1, -3.0 / 4, 0, []complex128{-2, -2}},
		// diag = 0, rows sum to ±1 → lift 0; no strict maximum on the diagonal.
		{"rotation", wORot, 0, 0, 0, []complex128{1i, -1i}},
	}
	for _, c := range cases {
		in := [][]float32{id, wV, c.wO, id}
		before := make([][]float32, len(in))
		for i, w := range in {
			before[i] = slices.Clone(w)
		}
		got, err := OVCopyingScore(id, wV, c.wO, id, V, D, E)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got-c.score) > 1e-12 {
			t.Errorf("%s: score %g, want %g", c.name, got, c.score)
		}
		ev, _ := OVEigenvalues(id, wV, c.wO, id, V, D, E)
		slices.SortFunc(ev, func(a, b complex128) int { return -cmpFloat(imag(a), imag(b)) })
		for i := range c.wantEigs {
			if d := ev[i] - c.wantEigs[i]; math.Hypot(real(d), imag(d)) > 1e-12 {
				t.Errorf("%s: eigenvalues %v, want %v", c.name, ev, c.wantEigs)
				break
			}
		}
		lift, top, err := OVDirectCopying(id, wV, c.wO, id, V, D, E)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(lift-c.lift) > 1e-12 || top != c.topFrac {
			t.Errorf("%s: lift %g top %g, want %g %g", c.name, lift, top, c.lift, c.topFrac)
		}
		for i, w := range in {
			if !slices.Equal(w, before[i]) {
				t.Errorf("%s: input %d modified", c.name, i)
			}
		}
	}
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestOVDirectCopyingFullRank(t *testing.T) {
	t.Parallel()
	// V = D = E = 3, every matrix I except W_O = I + 0.5·J (J all ones): M = I + 0.5J.
	// lift = (1.5) - (1.5+0.5+0.5)/3 = 2/3; every diagonal is the strict row maximum.
	id := basis(3, 0, 1, 2)
	wO := slices.Clone(id)
	for i := range wO {
		wO[i] += 0.5
	}
	lift, top, err := OVDirectCopying(id, id, wO, id, 3, 3, 3)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(lift-2.0/3) > 1e-12 || top != 1 {
		t.Errorf("lift %g (want 2/3), top %g (want 1)", lift, top)
	}
	// Eigenvalues of I + 0.5J: 2.5, 1, 1 → all positive, score 1.
	s, _ := OVCopyingScore(id, id, wO, id, 3, 3, 3)
	if math.Abs(s-1) > 1e-12 {
		t.Errorf("score %g, want 1", s)
	}
}

func TestCopyingErrors(t *testing.T) {
	t.Parallel()
	id := basis(2, 0, 1)
	if _, err := OVCopyingScore(id, id, id[:3], id, 2, 2, 2); err == nil || !strings.Contains(err.Error(), "circuits: W_O has 3 values") {
		t.Errorf("short W_O: got %v", err)
	}
	nan := []float32{float32(math.NaN()), 0, 0, 1}
	if _, _, err := OVDirectCopying(nan, id, id, id, 2, 2, 2); err == nil || !strings.Contains(err.Error(), "non-finite") {
		t.Errorf("NaN W_E: got %v", err)
	}
}
