package probes

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestKernelFidelity: Taylor's kernel is 1 + x + x²/2 of x = q·k/√d, so
// its relative error is e^{−x}(1 + x + x²/2) − 1, computed here from the
// same pairs (same seeded draws) without the feature map; FAVOR+ with 64
// features is far off per pair at this scale; elu+1 is no approximation.
func TestKernelFidelity(t *testing.T) {
	const d, pairs = 16, 2000
	rows, err := KernelFidelity([]string{"taylor", "favor", "elu"}, []int{d}, pairs, 1)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, d))
	errs := make([]float64, pairs)
	mean := 0.0
	for p := range errs {
		q, k := make([]float64, d), make([]float64, d)
		for i := range d {
			q[i], k[i] = r.NormFloat64(), r.NormFloat64()
		}
		x := dotf(q, k) / math.Sqrt(d)
		e := math.Exp(-x)*(1+x+x*x/2) - 1
		errs[p], mean = math.Abs(e), mean+e
	}
	slices.Sort(errs)
	taylor, favor, elu := rows[0], rows[1], rows[2]
	if taylor.M != 1+d+d*d || math.Abs(taylor.MedianAbs-quantile(errs, 0.5)) > 1e-9 ||
		math.Abs(taylor.P90Abs-quantile(errs, 0.9)) > 1e-9 || math.Abs(taylor.Mean-mean/pairs) > 1e-9 {
		t.Errorf("taylor: %+v; want median %.6f, p90 %.6f, mean %.6f", taylor, quantile(errs, 0.5), quantile(errs, 0.9), mean/pairs)
	}
	if taylor.MedianAbs > 0.06 || taylor.MedianAbs < 0.02 {
		t.Errorf("taylor: median |err| %.3f, expected a few %%", taylor.MedianAbs)
	}
	if favor.M != 64 || favor.MedianAbs < 0.3 {
		t.Errorf("favor: median |err| %.3f with %d features; expected tens of %%", favor.MedianAbs, favor.M)
	}
	if elu.MedianAbs < 1 {
		t.Errorf("elu: median |err| %.3f; elu+1 is not softmax's kernel", elu.MedianAbs)
	}
	if _, err := KernelFidelity([]string{"nope"}, []int{4}, 10, 1); err == nil {
		t.Error("unknown map accepted")
	}
	if _, err := KernelFidelity([]string{"elu"}, []int{4}, 0, 1); err == nil {
		t.Error("zero pairs accepted")
	}
	if tab := KernelTable(rows); len(tab.Rows) != 3 {
		t.Errorf("table has %d rows", len(tab.Rows))
	}
}
