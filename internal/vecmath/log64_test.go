package vecmath

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestLog64 compares Log64 with math.Log bit for bit: the sums a softmax
// gives (1 to 1e6), values across the whole float64 range, powers of two
// and their neighbours, the reduction's boundary sqrt(2)/2·2ᵏ and its
// neighbours, subnormals, and the special cases (±0, negatives, ±Inf,
// NaNs of both signs); at lengths around the multiples of 8, in place too.
func TestLog64(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(17, 1))
	var xs []float64
	for range 2000 {
		xs = append(xs, 1+r.Float64()*1e6, math.Exp(r.Float64()*1400-700), r.Float64())
	}
	for k := -1074; k <= 1023; k += 7 {
		p := math.Ldexp(1, k)
		h := math.Ldexp(math.Sqrt2/2, k)
		xs = append(xs, p, math.Nextafter(p, 0), math.Nextafter(p, math.Inf(1)), h, math.Nextafter(h, 0), math.Nextafter(h, math.Inf(1)))
	}
	hs := 7.07106781186547524401e-01 // exactly archLog's constant
	xs = append(xs, hs, hs*2, hs*64, math.Nextafter(hs, 1), math.Nextafter(hs, 0),
		0, math.Copysign(0, -1), -1, -1e-300, math.Inf(1), math.Inf(-1), math.NaN(), -math.NaN(),
		math.Float64frombits(0x7FF0000000000001), math.Float64frombits(0xFFF8000000000123),
		5e-324, 1e-310, math.MaxFloat64, math.SmallestNonzeroFloat64, 1, 2, math.E)
	check := func(what string, got, x []float64) {
		t.Helper()
		for i, v := range x {
			if want := math.Log(v); math.Float64bits(got[i]) != math.Float64bits(want) {
				t.Fatalf("%s: Log64(%v = %#x) = %v (%#x), math.Log gives %v (%#x)", what, v, math.Float64bits(v), got[i], math.Float64bits(got[i]), want, math.Float64bits(want))
			}
		}
	}
	got := make([]float64, len(xs))
	Log64(got, xs)
	check("all", got, xs)
	for n := 0; n <= 33; n++ {
		x := xs[100 : 100+n]
		d := make([]float64, n+1)
		d[n] = 42
		Log64(d[:n], x)
		check("prefix", d, x)
		if d[n] != 42 {
			t.Fatalf("n=%d: Log64 wrote past dst", n)
		}
		in := append([]float64(nil), x...)
		Log64(in, in)
		check("in place", in, x)
	}
}
