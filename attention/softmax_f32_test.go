package attention

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestSoftmaxFloat32 compares the float32 fast path (vecmath rows, causal
// gemm.MatMulTri products) with the float64 plain loops on the same inputs,
// for T crossing the 8-row blocks and the 64-deep passes unevenly, with q,
// k inside a wider row (ld > E): patterns within 1e-6 absolute, scores
// within 1e-6 relative, dq and dk within 1e-5 of their largest entry,
// nothing outside dq's and dk's [T, E] windows written.
func TestSoftmaxFloat32(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 1))
	const E, ld, ldd = 16, 40, 35
	for _, T := range []int{1, 2, 9, 33, 65, 130} {
		q64, k64 := randn(r, T*ld, 1), randn(r, T*ld, 1)
		dp64 := randn(r, T*T, 1)
		q32, k32, dp32 := to32(q64), to32(k64), to32(dp64)
		q64, k64, dp64 = to64(q32), to64(k32), to64(dp32) // same inputs

		p64, s64 := make([]float64, T*T), make([]float64, T*T)
		p32, s32 := make([]float32, T*T), make([]float32, T*T)
		Softmax[float64]{}.Forward(p64, s64, q64, k64, ld, T, E)
		Softmax[float32]{}.Forward(p32, s32, q32, k32, ld, T, E)
		for i := range T * T {
			if d := math.Abs(float64(p32[i]) - p64[i]); d > 1e-6 {
				t.Fatalf("T=%d: pattern[%d,%d] = %g, want %g", T, i/T, i%T, p32[i], p64[i])
			}
			if d := math.Abs(float64(s32[i]) - s64[i]); d > 1e-6*(1+math.Abs(s64[i])) && !(math.IsInf(s64[i], -1) && math.IsInf(float64(s32[i]), -1)) {
				t.Fatalf("T=%d: scores[%d,%d] = %g, want %g", T, i/T, i%T, s32[i], s64[i])
			}
		}
		// The pattern without the scores hook is the same bits.
		p2 := make([]float32, T*T)
		Softmax[float32]{}.Forward(p2, nil, q32, k32, ld, T, E)
		for i := range p2 {
			if p2[i] != p32[i] {
				t.Fatalf("T=%d: pattern differs with and without the scores hook", T)
			}
		}

		dq64, dk64 := randn(r, T*ldd, 1), randn(r, T*ldd, 1)
		dq32, dk32 := to32(dq64), to32(dk64)
		dq64, dk64 = to64(dq32), to64(dk32)
		dq0, dk0 := append([]float32(nil), dq32...), append([]float32(nil), dk32...)
		Softmax[float64]{}.Backward(dq64, dk64, ldd, dp64, p64, q64, k64, ld, T, E)
		Softmax[float32]{}.Backward(dq32, dk32, ldd, dp32, p32, q32, k32, ld, T, E)
		for name, g := range map[string]struct {
			got  []float32
			want []float64
			orig []float32
		}{"dq": {dq32, dq64, dq0}, "dk": {dk32, dk64, dk0}} {
			big := 0.0
			for _, v := range g.want {
				big = max(big, math.Abs(v))
			}
			for i := range g.got {
				if i%ldd >= E {
					if g.got[i] != g.orig[i] {
						t.Fatalf("T=%d: %s[%d] outside the window written", T, name, i)
					}
					continue
				}
				if d := math.Abs(float64(g.got[i]) - g.want[i]); d > 1e-5*big {
					t.Fatalf("T=%d: %s[%d,%d] = %g, want %g", T, name, i/ldd, i%ldd, g.got[i], g.want[i])
				}
			}
		}
	}
}

func to32(s []float64) []float32 {
	v := make([]float32, len(s))
	for i, x := range s {
		v[i] = float32(x)
	}
	return v
}

func to64(s []float32) []float64 {
	v := make([]float64, len(s))
	for i, x := range s {
		v[i] = float64(x)
	}
	return v
}
