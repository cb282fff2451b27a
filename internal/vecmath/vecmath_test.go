package vecmath

import (
	"math"
	"math/rand/v2"
	"testing"
)

// ulps is the distance between float32s a and b in units in the last place
// of b.
func ulps(a, b float32) float64 {
	if a == b {
		return 0
	}
	u := math.Nextafter32(float32(math.Abs(float64(b))), float32(math.Inf(1))) - float32(math.Abs(float64(b)))
	return math.Abs(float64(a)-float64(b)) / float64(u)
}

// TestExpError sweeps the finite float32 inputs of both signs, every 151st
// bit pattern (2.8e7 values, all binades), and checks Exp against math.Exp
// rounded to float32: at most 2 ulp where the result is a normal float32,
// at most 1 ulp of the smallest normal (1.2e-38) absolute below it, exact
// 0 and +Inf at the ends, NaN for NaN.
func TestExpError(t *testing.T) {
	t.Parallel()
	const stride = 151
	var xs []float32
	for b := uint32(0); b < 0x7f800000; b += stride { // positive finite
		x := math.Float32frombits(b)
		xs = append(xs, x, -x)
	}
	xs = append(xs, 0, 88.72, 88.73, -87.33, -103.9, -104, -200, 1e30, -1e30,
		float32(math.Inf(1)), float32(math.Inf(-1)))
	got := make([]float32, len(xs))
	Exp(got, xs)
	var maxUlp, maxRel, maxSub float64
	var worst float32
	for i, x := range xs {
		want := float32(math.Exp(float64(x)))
		g := got[i]
		switch {
		case want >= 0x1p-126 && !math.IsInf(float64(want), 1):
			if u := ulps(g, want); u > maxUlp {
				maxUlp, worst = u, x
			}
			maxRel = max(maxRel, math.Abs(float64(g)-math.Exp(float64(x)))/math.Exp(float64(x)))
		case math.IsInf(float64(want), 1):
			if !math.IsInf(float64(g), 1) {
				t.Errorf("Exp(%g) = %g, want +Inf", x, g)
			}
		default: // subnormal or 0
			maxSub = max(maxSub, math.Abs(float64(g)-float64(want)))
		}
	}
	t.Logf("%d inputs: max %.2f ulp (%.3g relative, at x=%g) on normal results, max %.3g absolute below",
		len(xs), maxUlp, maxRel, worst, maxSub)
	if maxUlp > 2 {
		t.Errorf("max error %.2f ulp at x=%g, want ≤ 2", maxUlp, worst)
	}
	if maxSub > 0x1p-126 {
		t.Errorf("max absolute error %g on subnormal results, want ≤ 2^-126", maxSub)
	}
	nan := []float32{float32(math.NaN())}
	Exp(nan, nan)
	if !math.IsNaN(float64(nan[0])) {
		t.Errorf("Exp(NaN) = %g", nan[0])
	}
}

// TestExpLengths checks every tail length and that nothing past len(x) is
// written.
func TestExpLengths(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 1))
	for n := 0; n <= 50; n++ {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(r.NormFloat64() * 10)
		}
		dst := make([]float32, n+3)
		for i := range dst {
			dst[i] = 7
		}
		orig := append([]float32(nil), x...)
		Exp(dst, x)
		for i := range x {
			if x[i] != orig[i] {
				t.Fatalf("n=%d: Exp changed its input", n)
			}
			if u := ulps(dst[i], float32(math.Exp(float64(x[i])))); u > 2 {
				t.Errorf("n=%d: Exp(%g) = %g, %.1f ulp off", n, x[i], dst[i], u)
			}
		}
		for i := n; i < n+3; i++ {
			if dst[i] != 7 {
				t.Fatalf("n=%d: Exp wrote dst[%d]", n, i)
			}
		}
	}
}

// TestSoftmaxRow compares SoftmaxRow with the float64 reference on random
// rows of every length up to 70 and some longer, with scores up to ±30:
// probabilities within 1e-6 absolute and 2e-6 relative, mx exact, sum within
// 1e-6 relative, zeros after n, the padding untouched.
func TestSoftmaxRow(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 1))
	for _, n := range append(rangeN(1, 70), 100, 129, 257) {
		for _, sd := range []float64{0.1, 3, 30} {
			T := n + r.IntN(5)
			row := make([]float32, T+2)
			for i := range row {
				row[i] = float32(r.NormFloat64() * sd)
			}
			want := append([]float32(nil), row[:n]...)
			pad := [2]float32{row[T], row[T+1]}
			scale := float32(0.25)
			wmx, wsum := SoftmaxRowRef(want, scale)
			mx, sum := SoftmaxRow(row[:T], n, scale)
			if mx != wmx || math.Abs(float64(sum-wsum)) > 1e-6*float64(wsum) {
				t.Errorf("n=%d: (mx, sum) = (%g, %g), want (%g, %g)", n, mx, sum, wmx, wsum)
			}
			for j := range n {
				d := math.Abs(float64(row[j] - want[j]))
				if d > 1e-6 || d > 2e-6*float64(want[j])+1e-30 && d > 1e-12 {
					t.Errorf("n=%d sd=%g: p[%d] = %g, want %g", n, sd, j, row[j], want[j])
				}
			}
			for j := n; j < T; j++ {
				if row[j] != 0 {
					t.Errorf("n=%d: p[%d] = %g after n, want 0", n, j, row[j])
				}
			}
			if row[T] != pad[0] || row[T+1] != pad[1] {
				t.Errorf("n=%d: SoftmaxRow wrote past its row", n)
			}
		}
	}
}

// TestSoftmaxRowKnown checks hand-computed rows: equal scores give 1/n, a
// dominant score gives a one-hot row, NaN propagates.
func TestSoftmaxRowKnown(t *testing.T) {
	t.Parallel()
	row := []float32{2, 2, 2, 2, 9}
	SoftmaxRow(row, 4, 1)
	if row[0] != 0.25 || row[3] != 0.25 || row[4] != 0 {
		t.Errorf("equal scores: %v, want [0.25 0.25 0.25 0.25 0]", row)
	}
	row = []float32{0, 1000, 0}
	if mx, sum := SoftmaxRow(row, 3, 1); mx != 1000 || sum != 1 || row[1] != 1 || row[0] != 0 {
		t.Errorf("dominant score: %v (mx %g, sum %g), want [0 1 0]", row, mx, sum)
	}
	row = []float32{0, float32(math.NaN()), 0}
	SoftmaxRow(row, 3, 1)
	if !math.IsNaN(float64(row[0])) {
		t.Errorf("NaN score: %v, want NaN", row)
	}
}

// TestSoftmaxRowBackward compares with the float64 reference: within 1e-6
// of the row's largest gradient.
func TestSoftmaxRowBackward(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range append(rangeN(1, 70), 100, 257) {
		T := n + r.IntN(5)
		p, d := make([]float32, T), make([]float32, T)
		for i := range d {
			p[i] = float32(r.Float64())
			d[i] = float32(r.NormFloat64())
		}
		pc := append([]float32(nil), p...)
		want := append([]float32(nil), d[:n]...)
		SoftmaxRowBackwardRef(want, p[:n], 0.25)
		SoftmaxRowBackward(d, p, n, 0.25)
		big := 0.0
		for _, v := range want {
			big = max(big, math.Abs(float64(v)))
		}
		for j := range n {
			if math.Abs(float64(d[j]-want[j])) > 1e-6*big {
				t.Errorf("n=%d: d[%d] = %g, want %g", n, j, d[j], want[j])
			}
		}
		for j := n; j < T; j++ {
			if d[j] != 0 {
				t.Errorf("n=%d: d[%d] = %g after n, want 0", n, j, d[j])
			}
		}
		for i := range p {
			if p[i] != pc[i] {
				t.Fatalf("n=%d: SoftmaxRowBackward changed p", n)
			}
		}
	}
}

func rangeN(lo, hi int) []int {
	var s []int
	for n := lo; n <= hi; n++ {
		s = append(s, n)
	}
	return s
}

// TestSoftmaxCausal checks the whole-matrix kernels against the row
// kernels (same bits) and the float64 references (1e-6), for T up to 130.
func TestSoftmaxCausal(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(2, 2))
	for _, T := range rangeN(1, 130) {
		// x and d have 3 floats of padding after the matrix, which must
		// stay untouched.
		x, d, p := make([]float32, T*T+3), make([]float32, T*T+3), make([]float32, T*T)
		for i := range x {
			x[i] = float32(r.NormFloat64() * 4)
			d[i] = float32(r.NormFloat64())
		}
		rows, ref, dref0 := clone(x), clone(x), clone(d)
		SoftmaxCausal(x[:T*T], T, 0.25)
		for i := range T {
			SoftmaxRow(rows[i*T:(i+1)*T], i+1, 0.25)
			SoftmaxRowRef(ref[i*T:i*T+i+1], 0.25)
			clear(ref[i*T+i+1 : (i+1)*T])
		}
		for i := range x {
			if x[i] != rows[i] || math.Abs(float64(x[i]-ref[i])) > 1e-6 {
				t.Fatalf("T=%d: pattern[%d,%d] = %g, rows %g, reference %g", T, i/T, i%T, x[i], rows[i], ref[i])
			}
		}
		for i := T * T; i < len(x); i++ {
			if x[i] != rows[i] || d[i] != dref0[i] {
				t.Fatalf("T=%d: SoftmaxCausal wrote past the matrix", T)
			}
		}
		copy(p, x)
		drows, dref := clone(d), clone(d)
		SoftmaxCausalBackward(d[:T*T], p, T, 0.25)
		for i := range T {
			SoftmaxRowBackward(drows[i*T:(i+1)*T], p[i*T:(i+1)*T], i+1, 0.25)
			SoftmaxRowBackwardRef(dref[i*T:i*T+i+1], p[i*T:i*T+i+1], 0.25)
			clear(dref[i*T+i+1 : (i+1)*T])
		}
		for i := range d {
			if i >= T*T && d[i] != dref0[i] {
				t.Fatalf("T=%d: SoftmaxCausalBackward wrote past the matrix", T)
			}
			if d[i] != drows[i] || math.Abs(float64(d[i]-dref[i])) > 1e-6 {
				t.Fatalf("T=%d: dscores[%d,%d] = %g, rows %g, reference %g", T, i/T, i%T, d[i], drows[i], dref[i])
			}
		}
	}
}

// TestSoftmaxRows: the two-row kernel gives SoftmaxRow's bits (rows, max
// and sum) for row counts 1 to 5 and every length up to 70, with scores
// spread wide enough that some exps underflow.
func TestSoftmaxRows(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(11, 12))
	for n := 1; n <= 70; n++ {
		for rows := 1; rows <= 5; rows++ {
			x := make([]float32, rows*n)
			for i := range x {
				x[i] = float32(8 * r.NormFloat64())
			}
			want := append([]float32(nil), x...)
			mx, sum := make([]float32, rows), make([]float32, rows)
			SoftmaxRows(x, n, 1.5, mx, sum)
			for i := range rows {
				m, s := SoftmaxRow(want[i*n:(i+1)*n], n, 1.5)
				if mx[i] != m || sum[i] != s {
					t.Fatalf("n=%d rows=%d: row %d (max, sum) = (%g, %g), SoftmaxRow gives (%g, %g)", n, rows, i, mx[i], sum[i], m, s)
				}
			}
			for i := range x {
				if x[i] != want[i] {
					t.Fatalf("n=%d rows=%d: x[%d] = %g, SoftmaxRow gives %g", n, rows, i, x[i], want[i])
				}
			}
		}
	}
}
