package model

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestActFloat32 compares the fused float32 bias + activation (forward and
// backward with the bias gradient) with the float64 loops, for every
// act_fn, on random and extreme inputs. vecmath's tests bound the error of
// each activation; this checks the model's wiring (bias, shapes, dbias).
func TestActFloat32(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	const N, M = 7, 37
	for _, act := range []string{"gelu_new", "gelu", "relu"} {
		x := make([]float32, N*M)
		for i := range x {
			x[i] = float32(r.NormFloat64() * 4)
		}
		copy(x, []float32{0, 1e-8, -1e-8, 100, -100, 1e30, -1e30, 3, -3})
		bias, dout := make([]float32, M), make([]float32, N*M)
		for i := range bias {
			bias[i] = float32(r.NormFloat64())
		}
		for i := range dout {
			dout[i] = float32(r.NormFloat64())
		}
		pre32, out32, d32, db32 := append([]float32(nil), x...), make([]float32, N*M), make([]float32, N*M), make([]float32, M)
		actForward(act, out32, pre32, bias, N, M)
		actBackward(act, d32, db32, pre32, dout, N, M)
		pre64, out64, d64, db64 := make([]float64, N*M), make([]float64, N*M), make([]float64, N*M), make([]float64, M)
		b64, do64 := make([]float64, M), make([]float64, N*M)
		for i := range x {
			pre64[i], do64[i] = float64(x[i]), float64(dout[i])
		}
		for i := range bias {
			b64[i] = float64(bias[i])
		}
		actForward(act, out64, pre64, b64, N, M)
		actBackward(act, d64, db64, pre64, do64, N, M)
		close := func(got float32, want, scale float64) bool {
			return math.Abs(float64(got)-want) <= 1e-5*scale+1e-6
		}
		for i := range x {
			if !close(pre32[i], pre64[i], math.Abs(pre64[i])) || !close(out32[i], out64[i], math.Abs(pre64[i])) {
				t.Errorf("%s: x=%g: pre %g out %g, want %g, %g", act, x[i], pre32[i], out32[i], pre64[i], out64[i])
			}
			if !close(d32[i], d64[i], math.Abs(do64[i])) {
				t.Errorf("%s'(%g)·%g = %g, want %g", act, pre32[i], dout[i], d32[i], d64[i])
			}
		}
		for j := range M {
			if !close(db32[j], db64[j], float64(N)) {
				t.Errorf("%s: dbias[%d] = %g, want %g", act, j, db32[j], db64[j])
			}
		}
	}
}
