package vecmath

import (
	"math/rand/v2"
	"testing"
)

// TestAdd compares Add with AddRef bit for bit for every length up to 200,
// and checks nothing past len(x) is written and x is unchanged.
func TestAdd(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 4))
	for n := 0; n <= 200; n++ {
		x, d := make([]float32, n), make([]float32, n+2)
		for i := range x {
			x[i] = float32(r.NormFloat64())
		}
		for i := range d {
			d[i] = float32(r.NormFloat64() * 100)
		}
		xc, want := clone(x), clone(d)
		AddRef(want, x)
		Add(d, x)
		for i := range d {
			if d[i] != want[i] {
				t.Fatalf("n=%d: dst[%d] = %g, want %g", n, i, d[i], want[i])
			}
		}
		for i := range x {
			if x[i] != xc[i] {
				t.Fatalf("n=%d: Add changed x", n)
			}
		}
	}
}

func TestAsF32(t *testing.T) {
	type myF32 float32
	s := []myF32{1, 2, 3}
	v, ok := AsF32(s)
	if !ok || len(v) != 3 || v[2] != 3 {
		t.Fatalf("AsF32(float32-based) = %v, %v", v, ok)
	}
	v[0] = 7 // a view, not a copy
	if s[0] != 7 {
		t.Error("AsF32 copied")
	}
	if v, ok := AsF32([]float64{1}); ok || v != nil {
		t.Errorf("AsF32(float64) = %v, %v; want nil, false", v, ok)
	}
}
