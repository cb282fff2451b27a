package probes

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/attnlab/attnlab/attention"
	"github.com/attnlab/attnlab/report"
)

// KernelRow is how closely one feature map's kernel follows softmax's.
type KernelRow struct {
	Map   string // "linear:taylor"
	D, M  int    // input and feature dimension
	Pairs int
	// Relative error of φ(q)·φ(k) against exp(q·k/√d), per pair:
	// its median and 90th percentile in absolute value, and its mean
	// (signed: an unbiased estimator has mean ≈ 0 however large the spread).
	MedianAbs, P90Abs, Mean float64
}

// KernelFidelity measures the kernel trick itself: for pairs q, k with
// independent standard normal entries (unit variance, as after a
// LayerNorm), the relative error of each map's kernel against softmax's
//
//	err(q, k) = (φ(q)·φ(k) − exp(q·k/√d)) / exp(q·k/√d)
//
// with φ as the engine computes it for keys on both sides (no query
// stabiliser). Taylor (Based: 1 + x + x²/2 of x = q·k/√d) and FAVOR+
// (Choromanski et al.: positive random features, unbiased in expectation
// over the features) approximate exp(q·k/√d); elu+1, relu and identity are
// other kernels altogether, listed to show how far from softmax they are.
func KernelFidelity(maps []string, dims []int, pairs int, seed uint64) ([]KernelRow, error) {
	if pairs < 1 {
		return nil, fmt.Errorf("probes: kernel fidelity needs at least one pair, got %d", pairs)
	}
	var rows []KernelRow
	for _, name := range maps {
		fm, err := attention.NewFeatureMap(name)
		if err != nil {
			return nil, err
		}
		for _, d := range dims {
			r := rand.New(rand.NewPCG(seed, uint64(d)))
			M := fm.Dim(d)
			q, k := make([]float64, d), make([]float64, d)
			pq, pk := make([]float64, M), make([]float64, M)
			errs := make([]float64, pairs)
			mean := 0.0
			for p := range pairs {
				for i := range d {
					q[i], k[i] = r.NormFloat64(), r.NormFloat64()
				}
				fm.Map(pq, q, false)
				fm.Map(pk, k, false)
				want := math.Exp(dotf(q, k) / math.Sqrt(float64(d)))
				e := (dotf(pq, pk) - want) / want
				errs[p] = math.Abs(e)
				mean += e
			}
			slices.Sort(errs)
			rows = append(rows, KernelRow{Map: "linear:" + fm.Name(), D: d, M: M, Pairs: pairs,
				MedianAbs: quantile(errs, 0.5), P90Abs: quantile(errs, 0.9), Mean: mean / float64(pairs)})
		}
	}
	return rows, nil
}

// quantile of sorted x by linear interpolation.
func quantile(x []float64, p float64) float64 {
	h := p * float64(len(x)-1)
	i := int(h)
	if i+1 >= len(x) {
		return x[len(x)-1]
	}
	return x[i] + (h-float64(i))*(x[i+1]-x[i])
}

// KernelTable is kernel.csv.
func KernelTable(rows []KernelRow) *report.Table {
	t := report.NewTable("kernel", "The kernel trick: φ(q)·φ(k) against exp(q·k/√d), q and k with unit-variance entries",
		report.Column{Name: "map"}, report.Column{Name: "d"}, report.Column{Name: "features"}, report.Column{Name: "pairs"},
		report.Column{Name: "median_abs_rel_err", Format: "%.3f"}, report.Column{Name: "p90_abs_rel_err", Format: "%.3f"},
		report.Column{Name: "mean_rel_err", Format: "%+.3f"})
	for _, r := range rows {
		t.Add(r.Map, r.D, r.M, r.Pairs, r.MedianAbs, r.P90Abs, r.Mean)
	}
	t.Caption = "relative error per pair: (φ(q)·φ(k) − e^{q·k/√d}) / e^{q·k/√d}; taylor and favor approximate softmax's kernel, elu, relu and identity are other kernels"
	return t
}
