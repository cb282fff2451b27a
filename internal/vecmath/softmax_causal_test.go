package vecmath

import (
	"math"
	"math/rand/v2"
	"testing"
)

// causalInputs are the score matrices (T×T plus 3 floats of padding) the
// causal kernels are checked on: ordinary scores, scores wide enough that
// most exps underflow, huge magnitudes (scale·x overflows to ±Inf), −Inf
// masks off the diagonal (the sparse rules' form), rows of equal scores,
// and scattered NaN and ±Inf.
func causalInputs(r *rand.Rand, T int) map[string][]float32 {
	n := T*T + 3
	gen := func(f func(i, j int) float32) []float32 {
		x := make([]float32, n)
		for k := range x {
			x[k] = f(k/T, k%T)
		}
		return x
	}
	return map[string][]float32{
		"normal": gen(func(i, j int) float32 { return float32(4 * r.NormFloat64()) }),
		"wide":   gen(func(i, j int) float32 { return float32(300 * r.NormFloat64()) }),
		"huge": gen(func(i, j int) float32 {
			return float32(r.NormFloat64() * math.Pow(10, float64(r.IntN(39))))
		}),
		"masked": gen(func(i, j int) float32 {
			if j != i && r.IntN(3) == 0 {
				return float32(math.Inf(-1))
			}
			return float32(2 * r.NormFloat64())
		}),
		"equal": gen(func(i, j int) float32 { return float32(i) - 3 }),
		"special": gen(func(i, j int) float32 {
			switch r.IntN(40) {
			case 0:
				return float32(math.NaN())
			case 1:
				return float32(math.Inf(1))
			case 2:
				return float32(math.Inf(-1))
			case 3:
				return float32(math.Copysign(0, -1))
			}
			return float32(r.NormFloat64())
		}),
	}
}

// sameBits reports the first element where got and want differ in their
// bits (NaNs included), or -1.
func sameBits(got, want []float32) int {
	for i := range got {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			return i
		}
	}
	return -1
}

// TestSoftmaxCausalGroupedBits: the four-rows-at-a-time forward kernel
// gives, for every T from 1 to 130 and every input kind, exactly the bits
// of the previous pairs-only kernel (grouped = 0) over the whole matrix,
// the cleared upper triangle included, and writes nothing past it. On the
// same inputs (the patterns, and the raw scores as p: Inf, NaN, huge
// values) the causal backward gives the row kernel's bits. The pairs-only
// kernel is no reference of its own: SoftmaxCausal (grouped) is held to
// the row reference by TestSoftmaxCausal.
func TestSoftmaxCausalGroupedBits(t *testing.T) {
	if !haveAsm {
		t.Skip("vecmath: no assembly kernels in this build or on this CPU")
	}
	t.Parallel()
	r := rand.New(rand.NewPCG(15, 65))
	for T := 1; T <= 130; T++ {
		for name, x := range causalInputs(r, T) {
			for _, scale := range []float32{0.25, -0.7} {
				var want []float32
				// Every split of the rows between groups and pairs.
				for _, grouped := range []int{T &^ 3, (T / 2) &^ 3} {
					got := clone(x)
					want = clone(x)
					softmaxCausalAsm(&got[0], T, scale, grouped)
					softmaxCausalAsm(&want[0], T, scale, 0)
					if sameBits(got[T*T:], x[T*T:]) >= 0 {
						t.Fatalf("%s T=%d grouped=%d: softmaxCausalAsm wrote past the matrix", name, T, grouped)
					}
					if i := sameBits(got, want); i >= 0 {
						t.Fatalf("%s T=%d scale=%g grouped=%d: pattern[%d,%d] = %g (%#x), the pairs kernel %g (%#x)",
							name, T, scale, grouped, i/T, i%T, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
					}
				}
				for pi, p := range [][]float32{want[:T*T], x[:T*T]} {
					d := make([]float32, T*T+3)
					for k := range d {
						d[k] = float32(r.NormFloat64() * math.Pow(10, float64(r.IntN(12)-6)))
					}
					if name == "special" && pi == 1 {
						d[r.IntN(T*T)] = float32(math.NaN())
					}
					got, rows := clone(d), clone(d)
					SoftmaxCausalBackward(got[:T*T], p, T, scale)
					for i := range T {
						SoftmaxRowBackward(rows[i*T:(i+1)*T], p[i*T:(i+1)*T], i+1, scale)
					}
					if i := sameBits(got, rows); i >= 0 {
						t.Fatalf("%s T=%d scale=%g p#%d: dscores[%d,%d] = %g (%#x), the row kernel %g (%#x)",
							name, T, scale, pi, i/T, i%T, got[i], math.Float32bits(got[i]), rows[i], math.Float32bits(rows[i]))
					}
				}
			}
		}
	}
}
