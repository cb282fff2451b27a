package vecmath

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestLayerNormRow compares the forward and backward with the float64
// references on random rows of every length up to 70 and a few longer
// (offset mean, spread 0.1 to 10): forward outputs and statistics within
// 2e-6 relative, gradients within 2e-6 of the largest; nothing past D
// written; inputs unchanged.
func TestLayerNormRow(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 3))
	const eps = 1e-5
	for _, D := range append(rangeN(1, 70), 128, 257) {
		for _, sd := range []float64{0.1, 10} {
			rnd := func(n int, mu, sd float64) []float32 {
				s := make([]float32, n)
				for i := range s {
					s[i] = float32(mu + sd*r.NormFloat64())
				}
				return s
			}
			x, w, b := rnd(D, 3, sd), rnd(D, 1, 0.3), rnd(D, 0, 0.3)
			out, want := rnd(D+1, 0, 1), make([]float32, D)
			pad := out[D]
			mean, rstd := LayerNormRow(out, x, w, b, eps)
			wm, wr := LayerNormRowRef(want, x, w, b, eps)
			if relErr(mean, wm, 3) > 2e-6 || relErr(rstd, wr, 0) > 2e-6 {
				t.Errorf("D=%d sd=%g: (mean, rstd) = (%g, %g), want (%g, %g)", D, sd, mean, rstd, wm, wr)
			}
			for i := range D {
				if math.Abs(float64(out[i]-want[i])) > 2e-6*(1+math.Abs(float64(want[i]))) {
					t.Errorf("D=%d sd=%g: out[%d] = %g, want %g", D, sd, i, out[i], want[i])
				}
			}
			if out[D] != pad {
				t.Errorf("D=%d: LayerNormRow wrote past the row", D)
			}

			dout := rnd(D+1, 0, 1)
			dx, dw, db := rnd(D+1, 0, 1), rnd(D+1, 0, 1), rnd(D+1, 0, 1)
			wdx, wdw, wdb := clone(dx), clone(dw), clone(db)
			xc, doutc := clone(x), clone(dout)
			LayerNormRowBackward(dx, dw, db, dout, x, w, wm, wr)
			LayerNormRowBackwardRef(wdx[:D], wdw[:D], wdb[:D], dout[:D], x, w, wm, wr)
			for name, p := range map[string][2][]float32{"dx": {dx, wdx}, "dw": {dw, wdw}, "db": {db, wdb}} {
				got, want := p[0], p[1]
				big := 0.0
				for _, v := range want {
					big = max(big, math.Abs(float64(v)))
				}
				for i := range D + 1 {
					if math.Abs(float64(got[i]-want[i])) > 2e-6*big {
						t.Errorf("D=%d sd=%g: %s[%d] = %g, want %g", D, sd, name, i, got[i], want[i])
					}
				}
			}
			for i := range x {
				if x[i] != xc[i] || dout[i] != doutc[i] {
					t.Fatalf("D=%d: LayerNormRowBackward changed its inputs", D)
				}
			}
		}
	}
}

// TestLayerNormRowKnown: x = [1 2 3 4], w = 1, b = 0 has mean 2.5, variance
// 1.25, out = (x−2.5)/sqrt(1.25+eps).
func TestLayerNormRowKnown(t *testing.T) {
	t.Parallel()
	x, w, b := []float32{1, 2, 3, 4}, []float32{1, 1, 1, 1}, []float32{0, 0, 0, 0}
	out := make([]float32, 4)
	mean, rstd := LayerNormRow(out, x, w, b, 0)
	if mean != 2.5 || relErr(rstd, float32(1/math.Sqrt(1.25)), 0) > 1e-7 {
		t.Errorf("(mean, rstd) = (%g, %g), want (2.5, %g)", mean, rstd, 1/math.Sqrt(1.25))
	}
	if want := float32(1.5 / math.Sqrt(1.25)); relErr(out[3], want, 0) > 2e-7 || relErr(out[0], -want, 0) > 2e-7 {
		t.Errorf("out = %v, want ±%g at the ends", out, want)
	}
}

func relErr(got, want float32, floor float64) float64 {
	return math.Abs(float64(got-want)) / max(math.Abs(float64(want)), floor, 1e-30)
}

func clone(s []float32) []float32 { return append([]float32(nil), s...) }

// TestLayerNormRows: the 4-row kernel gives LayerNormRow's bits, row by
// row, for row counts around multiples of 4 and every length up to 70 and
// a few longer (each tail), and writes nothing past the last row.
func TestLayerNormRows(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(7, 8))
	const eps = 1e-5
	for _, D := range append(rangeN(1, 70), 128, 257) {
		for _, n := range []int{1, 3, 4, 5, 8, 11} {
			x, w, b := make([]float32, n*D), make([]float32, D), make([]float32, D)
			for i := range x {
				x[i] = float32(float64(i%7) + 3*r.NormFloat64())
			}
			for i := range w {
				w[i], b[i] = float32(1+0.3*r.NormFloat64()), float32(0.3*r.NormFloat64())
			}
			out := make([]float32, n*D+1)
			out[n*D] = 42
			mean, rstd := make([]float32, n), make([]float32, n)
			LayerNormRows(out, x, w, b, mean, rstd, n, eps)
			want := make([]float32, D)
			for i := range n {
				m, s := LayerNormRow(want, x[i*D:(i+1)*D], w, b, eps)
				if mean[i] != m || rstd[i] != s {
					t.Fatalf("D=%d n=%d row %d: (mean, rstd) = (%g, %g), LayerNormRow gives (%g, %g)", D, n, i, mean[i], rstd[i], m, s)
				}
				for j := range D {
					if out[i*D+j] != want[j] {
						t.Fatalf("D=%d n=%d: out[%d, %d] = %g, LayerNormRow gives %g", D, n, i, j, out[i*D+j], want[j])
					}
				}
			}
			if out[n*D] != 42 {
				t.Fatalf("D=%d n=%d: LayerNormRows wrote past the rows", D, n)
			}
		}
	}
}

// TestLayerNormRowsBackward: the 4-row backward gives LayerNormRowBackward's
// bits, row after row (dx per row; dw, db accumulated over the rows), for
// row counts around multiples of 4 and every length up to 70 and a few
// longer, and writes nothing past dx's rows or dw's and db's D.
func TestLayerNormRowsBackward(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(9, 10))
	rnd := func(n int) []float32 {
		s := make([]float32, n)
		for i := range s {
			s[i] = float32(r.NormFloat64())
		}
		return s
	}
	for _, D := range append(rangeN(1, 70), 128, 257) {
		for _, n := range []int{1, 3, 4, 5, 8, 11} {
			x, w, dout := rnd(n*D), rnd(D), rnd(n*D)
			mean, rstd := rnd(n), rnd(n)
			dx, dw, db := rnd(n*D+1), rnd(D+1), rnd(D+1)
			wdx, wdw, wdb := clone(dx), clone(dw), clone(db)
			LayerNormRowsBackward(dx, dw[:D], db[:D], dout, x, w, mean, rstd, n)
			for i := range n {
				o := i * D
				LayerNormRowBackward(wdx[o:o+D], wdw[:D], wdb[:D], dout[o:o+D], x[o:o+D], w, mean[i], rstd[i])
			}
			for name, p := range map[string][2][]float32{"dx": {dx, wdx}, "dw": {dw, wdw}, "db": {db, wdb}} {
				for i := range p[0] {
					if p[0][i] != p[1][i] {
						t.Fatalf("D=%d n=%d: %s[%d] = %g, row by row %g", D, n, name, i, p[0][i], p[1][i])
					}
				}
			}
		}
	}
}
