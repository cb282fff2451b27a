package model

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestGeluNewF32 compares the vectorised float32 gelu_new, forward and
// backward, with the plain float64 formula on random and extreme inputs.
func TestGeluNewF32(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	x := []float32{0, -0, 1e-8, -1e-8, 100, -100, 1e30, -1e30, 3, -3}
	for range 1000 {
		x = append(x, float32(r.NormFloat64()*4))
	}
	dout := make([]float32, len(x))
	for i := range dout {
		dout[i] = float32(r.NormFloat64())
	}
	got, gotD := make([]float32, len(x)), make([]float32, len(x))
	geluNewF32(got, nil, x, nil)
	geluNewF32(nil, gotD, x, dout)
	want, wantD := make([]float64, len(x)), make([]float64, len(x))
	x64, d64 := make([]float64, len(x)), make([]float64, len(x))
	for i := range x {
		x64[i], d64[i] = float64(x[i]), float64(dout[i])
	}
	actForward("gelu_new", want, x64)
	actBackward("gelu_new", wantD, x64, d64)
	for i := range x {
		if d := math.Abs(float64(got[i]) - want[i]); d > 1e-6+1e-6*math.Abs(want[i]) {
			t.Errorf("gelu_new(%g) = %g, want %g", x[i], got[i], want[i])
		}
		if d := math.Abs(float64(gotD[i]) - wantD[i]); d > 1e-6+1e-5*math.Abs(wantD[i]) {
			t.Errorf("gelu_new'(%g)·%g = %g, want %g", x[i], dout[i], gotD[i], wantD[i])
		}
	}
}
