package vecmath

import (
	"math/rand/v2"
	"slices"
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

// TestAddBiasAndSumRows: both give the bits of Add row by row, for column
// counts around every multiple of 16 and 64 and several row counts, and
// write nothing else.
func TestAddBiasAndSumRows(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(3, 3))
	for _, cols := range []int{1, 15, 16, 17, 47, 63, 64, 65, 130, 192, 200, 256, 300, 520} {
		for _, rows := range []int{1, 2, 7, 130, 513} {
			x := make([]float32, rows*cols+3)
			b := make([]float32, cols+3)
			for i := range x {
				x[i] = float32(r.NormFloat64())
			}
			for i := range b {
				b[i] = float32(r.NormFloat64())
			}
			got, want := slices.Clone(x), slices.Clone(x)
			AddBias(got, b, rows, cols)
			for i := range rows {
				AddRef(want[i*cols:(i+1)*cols], b[:cols])
			}
			if !slices.Equal(got, want) {
				t.Fatalf("AddBias rows=%d cols=%d differs from Add row by row", rows, cols)
			}
			dst, wantDst := slices.Clone(b), slices.Clone(b)
			SumRows(dst, x, rows, cols)
			for i := range rows {
				AddRef(wantDst[:cols], x[i*cols:(i+1)*cols])
			}
			if !slices.Equal(dst, wantDst) {
				t.Fatalf("SumRows rows=%d cols=%d differs from Add row by row", rows, cols)
			}
			// The same rows ld = cols+3 apart, every window start.
			ld := cols + 3
			xs := make([]float32, rows*ld)
			for i := range xs {
				xs[i] = float32(r.NormFloat64())
			}
			for _, c0 := range []int{0, 1, 3} {
				dst, wantDst := slices.Clone(b[:cols]), slices.Clone(b[:cols])
				SumRowsStride(dst, xs[c0:], rows, cols, ld)
				for i := range rows {
					AddRef(wantDst, xs[c0+i*ld:c0+i*ld+cols])
				}
				if !slices.Equal(dst, wantDst) {
					t.Fatalf("SumRowsStride rows=%d cols=%d ld=%d from %d differs from Add row by row", rows, cols, ld, c0)
				}
			}
		}
	}
}
