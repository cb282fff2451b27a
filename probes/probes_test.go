package probes

import (
	"context"
	"math"
	"strconv"
	"testing"
)

func TestAnalyticSeparation(t *testing.T) {
	t.Parallel()
	cfg := AnalyticConfig{Dims: []int{16}, Ratios: []float64{1.0 / 16, 0.5, 4, 16}, Betas: []float64{64},
		Maps: []string{"elu", "taylor", "identity"}, Queries: 64, Seed: 1}
	rows, err := Analytic(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	acc := map[string]float64{}
	for _, r := range rows {
		acc[r.Label()+"@"+strconv.Itoa(r.N)] = r.Accuracy
		if r.N == 1 && r.Accuracy != 1 {
			t.Errorf("%s with one association: accuracy %g, want 1", r.Label(), r.Accuracy)
		}
	}
	for _, c := range []struct {
		key    string
		lo, hi float64
	}{
		{"softmax β=64@256", 1, 1},      // a sharp softmax retrieves far past N = d
		{"linear:taylor@8", 1, 1},       // M = 273 ≫ N
		{"linear:taylor@256", 0, 0.5},   // N ≈ M: crosstalk wins
		{"linear:elu@256", 0, 0.1},      // M = 16
		{"linear:identity@256", 0, 0.1}, // M = 16
		{"linear:identity@8", 0.8, 1},   // few pairs: a linear associative memory works
	} {
		if v, ok := acc[c.key]; !ok || v < c.lo || v > c.hi {
			t.Errorf("%s: accuracy %v, want in [%g, %g]", c.key, v, c.lo, c.hi)
		}
	}
}

func TestSlope(t *testing.T) {
	t.Parallel()
	var pts []ScalingPoint
	for _, n := range []int{256, 1024, 4096} {
		pts = append(pts, ScalingPoint{Form: "softmax", N: n, Seconds: 3e-9 * float64(n*n)},
			ScalingPoint{Form: "recurrent", N: n, Seconds: 2e-6 * float64(n)})
	}
	if s := Slope(pts, "softmax"); math.Abs(s-2) > 1e-12 {
		t.Errorf("slope of c·N² = %g, want 2", s)
	}
	if s := Slope(pts, "recurrent"); math.Abs(s-1) > 1e-12 {
		t.Errorf("slope of c·N = %g, want 1", s)
	}
	if s := Slope(pts, "quadratic"); !math.IsNaN(s) {
		t.Errorf("slope without points = %g, want NaN", s)
	}
	// 2e-6·N < 3e-9·N² from N = 2000/3 on; the log ratio is linear in log N,
	// so the interpolation is exact.
	if x := Crossover(pts, "softmax", "recurrent"); math.Abs(x-2000.0/3) > 1e-9 {
		t.Errorf("crossover = %g, want %g", x, 2000.0/3)
	}
	if x := Crossover(pts, "recurrent", "softmax"); x != 0 {
		t.Errorf("softmax is faster than the recurrence at the smallest N: crossover %g, want 0", x)
	}
	if x := Crossover(pts[:2], "softmax", "recurrent"); !math.IsNaN(x) {
		t.Errorf("no crossover within N = 256: got %g, want NaN", x)
	}
}
