package vecmath

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestELU1: ELU1 against ELU1Ref within 2 ulp (the exp's error) on random
// inputs of every tail length, exactly x+1 for x > 0, NaN for NaN, 1 at
// ±0, and nothing written past len(x).
func TestELU1(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	for n := 0; n <= 70; n++ {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(r.NormFloat64() * 4)
		}
		got, want := make([]float32, n+2), make([]float32, n)
		got[n], got[n+1] = 7, 7
		ELU1(got, x)
		ELU1Ref(want, x)
		for i, v := range x {
			if v > 0 && got[i] != v+1 {
				t.Fatalf("ELU1(%g) = %g, want %g exactly", v, got[i], v+1)
			}
			if u := ulps(got[i], want[i]); u > 2 {
				t.Fatalf("ELU1(%g) = %g, ref %g (%v ulp)", v, got[i], want[i], u)
			}
		}
		if got[n] != 7 || got[n+1] != 7 {
			t.Fatalf("n=%d: ELU1 wrote past len(x)", n)
		}
	}
	nan := float32(math.NaN())
	x := []float32{nan, 0, float32(math.Copysign(0, -1)), -200, float32(math.Inf(1)), float32(math.Inf(-1))}
	got := make([]float32, len(x))
	ELU1(got, x)
	if !math.IsNaN(float64(got[0])) || got[1] != 1 || got[2] != 1 || got[3] != 0 || !math.IsInf(float64(got[4]), 1) || got[5] != 0 {
		t.Errorf("ELU1(%v) = %v, want [NaN 1 1 0 +Inf 0]", x, got)
	}
}

func BenchmarkELU1(b *testing.B) {
	x, dst := make([]float32, 4096), make([]float32, 4096)
	for i := range x {
		x[i] = float32(i%13) - 6
	}
	for b.Loop() {
		ELU1(dst, x)
	}
	b.ReportMetric(4096*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gelem/s")
}
