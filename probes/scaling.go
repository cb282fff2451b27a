package probes

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/attnlab/attnlab/attention"
	"github.com/attnlab/attnlab/internal/membudget"
	"github.com/attnlab/attnlab/plots"
	"github.com/attnlab/attnlab/report"
)

// ScalingForms are the ways of computing one head's causal attention
// output z [N, E] that Scaling times:
//
//	softmax    the engine's dense softmax: pattern [N, N] = Softmax.Forward, then z = pattern·v
//	quadratic  linear attention in the same masked quadratic form (Linear.Forward, then pattern·v)
//	recurrent  linear attention's recurrence (Linear.Recurrent): O(N·M·E) time, O(M·E) memory
//	chunked    linear attention's chunkwise-parallel form (LinearChunked, chunks of
//	           attention.LinearChunk): the recurrence's O(N) on the matmul kernels
//
// They are attention.Forms, run by attention.HeadRun, which the attention
// package's benchmarks (BenchmarkSoftmaxDenseN16384,
// BenchmarkLinearRecurrentN16384, BenchmarkLinearChunkedN16384, …) time too.
var ScalingForms = attention.Forms

// ScalingPoint is one timing.
type ScalingPoint struct {
	Form    string
	N       int
	Seconds float64 // best of Reps runs
	Reps    int
}

// Scaling times each form at each N for one head of dimension E (d_v = E)
// with feature map fm for the linear forms. Each point is the fastest of
// 2 to 5 runs (more while within budget per point): the first run also
// pays for touching the [N, N] pattern's fresh pages.
func Scaling(ctx context.Context, ns []int, E int, fm string, budget time.Duration) ([]ScalingPoint, error) {
	return ScalingProgress(ctx, ns, E, fm, budget, nil)
}

// scalingPointWork estimates one point's time in µs, for progress: one
// run's time from the form's cost (dense softmax and the quadratic form
// N²·E, the recurrence N·M·E, the chunked form N·E·64, each at the rate
// measured on the development machine), times the runs Scaling makes of
// it (5, fewer once past budget, at least 2).
func scalingPointWork(form, fm string, N, E int, budget time.Duration) int {
	n, e := float64(N), float64(E)
	m := e
	if f, err := attention.NewFeatureMap(fm); err == nil {
		m = float64(f.Dim(E))
	}
	var sec float64
	switch form {
	case "softmax":
		sec = 6e-11 * n * n * e
	case "quadratic":
		sec = 9e-11 * n * n * e
	case "recurrent":
		sec = 3.5e-9 * n * m * e
	default: // chunked
		sec = 1.3e-8 * n * e
	}
	runs := min(5*sec, max(2*sec, budget.Seconds()+sec))
	return max(1, int(runs*1e6))
}

// ScalingWork is the estimated time of Scaling in µs, the units
// ScalingProgress reports (an estimate from the development machine's
// rates: what matters is each point's share of the whole).
func ScalingWork(ns []int, E int, fm string, budget time.Duration) int {
	w := 0
	for _, N := range ns {
		for _, form := range ScalingForms {
			w += scalingPointWork(form, fm, N, E, budget)
		}
	}
	return w
}

// ScalingProgress is Scaling, calling tick (when not nil) with each
// point's estimated work as it completes: the ticks add up to
// ScalingWork(ns, E, fm, budget).
func ScalingProgress(ctx context.Context, ns []int, E int, fm string, budget time.Duration, tick func(work int)) ([]ScalingPoint, error) {
	if err := CheckFeatureMap(fm); err != nil {
		return nil, err
	}
	if err := CheckScaling(ns, E, fm); err != nil {
		return nil, err
	}
	var pts []ScalingPoint
	for _, N := range ns {
		r := rand.New(rand.NewPCG(uint64(N), uint64(E)))
		q, k, v, z := make([]float32, N*E), make([]float32, N*E), make([]float32, N*E), make([]float32, N*E)
		for i := range q {
			q[i], k[i], v[i] = float32(r.NormFloat64()), float32(r.NormFloat64()), float32(r.NormFloat64())
		}
		var pattern []float32 // [N, N], only for the quadratic forms
		for _, form := range ScalingForms {
			if (form == "softmax" || form == "quadratic") && pattern == nil {
				pattern = make([]float32, N*N)
			}
			run, err := attention.HeadRun(form, fm, q, k, v, z, pattern, N, E)
			if err != nil {
				return nil, err
			}
			best, reps := math.Inf(1), 0
			start := time.Now()
			for reps < 5 && (reps < 2 || time.Since(start) < budget) {
				if err := ctx.Err(); err != nil {
					return nil, err
				}
				t0 := time.Now()
				run()
				best = min(best, time.Since(t0).Seconds())
				reps++
			}
			pts = append(pts, ScalingPoint{Form: form, N: N, Seconds: best, Reps: reps})
			if tick != nil {
				tick(scalingPointWork(form, fm, N, E, budget))
			}
		}
	}
	return pts, nil
}

// Slope is the least-squares slope of log(seconds) against log(N) of one
// form's points: ≈ 2 for the quadratic forms, ≈ 1 for the recurrence.
func Slope(pts []ScalingPoint, form string) float64 {
	var sx, sy, sxx, sxy, n float64
	for _, p := range pts {
		if p.Form != form || !(p.Seconds > 0) {
			continue
		}
		x, y := math.Log(float64(p.N)), math.Log(p.Seconds)
		sx, sy, sxx, sxy, n = sx+x, sy+y, sxx+x*x, sxy+x*y, n+1
	}
	if n < 2 {
		return math.NaN()
	}
	return (n*sxy - sx*sy) / (n*sxx - sx*sx)
}

// Crossover is the N at which form b becomes faster than form a: the first
// pair of adjacent measured N where b's time falls below a's, interpolated
// linearly in log N on log(time_b / time_a). It returns 0 when b is already
// faster at the smallest N and NaN when it never overtakes a.
func Crossover(pts []ScalingPoint, a, b string) float64 {
	ta, tb := map[int]float64{}, map[int]float64{}
	var ns []int
	for _, p := range pts {
		switch p.Form {
		case a:
			ta[p.N] = p.Seconds
		case b:
			tb[p.N] = p.Seconds
		}
	}
	for n := range ta {
		if tb[n] > 0 && ta[n] > 0 {
			ns = append(ns, n)
		}
	}
	slices.Sort(ns)
	for i, n := range ns {
		r := math.Log(tb[n] / ta[n])
		if r >= 0 {
			continue
		}
		if i == 0 {
			return 0
		}
		m := ns[i-1]
		r0 := math.Log(tb[m] / ta[m])
		x0, x1 := math.Log(float64(m)), math.Log(float64(n))
		return math.Exp(x0 + (x1-x0)*r0/(r0-r))
	}
	return math.NaN()
}

func formLabel(form, fm string) string {
	switch form {
	case "softmax":
		return "softmax, dense"
	case "quadratic":
		return "linear:" + fm + ", quadratic form"
	case "chunked":
		return "linear:" + fm + ", chunked form"
	}
	return "linear:" + fm + ", recurrent form"
}

// ScalingTable is scaling.csv, with each point's speedup over dense
// softmax at the same N and each form's fitted slope.
func ScalingTable(pts []ScalingPoint, E int, fm string) *report.Table {
	t := report.NewTable("scaling", fmt.Sprintf("Causal attention time vs sequence length (one head, d_head = d_v = %d, linear:%s)", E, fm),
		report.Column{Name: "form"}, report.Column{Name: "n"}, report.Column{Name: "seconds", Unit: "s"},
		report.Column{Name: "tokens_per_s", Format: "%.0f"}, report.Column{Name: "speedup_vs_softmax", Unit: "×", Format: "%.2f"},
		report.Column{Name: "slope", Format: "%.2f"}, report.Column{Name: "reps"})
	soft := map[int]float64{}
	for _, p := range pts {
		if p.Form == "softmax" {
			soft[p.N] = p.Seconds
		}
	}
	for _, p := range pts {
		var slope any // one N: no slope to fit, not applicable
		if s := Slope(pts, p.Form); !math.IsNaN(s) {
			slope = s
		}
		t.Add(formLabel(p.Form, fm), p.N, p.Seconds, float64(p.N)/p.Seconds, soft[p.N]/p.Seconds, slope, p.Reps)
	}
	t.Caption = "slope: least-squares fit of log(seconds) on log(N) over all N (≈2 quadratic, ≈1 linear in N); " + crossoverText(pts)
	return t
}

// ScalingChart is the log–log time-vs-N plot, slopes in the legend.
func ScalingChart(pts []ScalingPoint, E int, fm string) plots.LineChart {
	c := plots.LineChart{Title: fmt.Sprintf("Causal attention time per head vs N (d_head = %d, log-log)", E),
		XLabel: "sequence length N (tokens, log scale)", YLabel: "time (s)",
		LogX: true, LogY: true, Legend: plots.LegendBottomRight, Height: 4.5}
	for _, form := range ScalingForms {
		s := plots.Series{Name: fmt.Sprintf("%s (slope %.2f)", formLabel(form, fm), Slope(pts, form)), Dashed: form == "softmax"}
		for _, p := range pts {
			if p.Form == form {
				s.X, s.Y = append(s.X, float64(p.N)), append(s.Y, p.Seconds)
			}
		}
		c.Series = append(c.Series, s)
	}
	if x := Crossover(pts, "softmax", "chunked"); x > 0 {
		c.VLines = append(c.VLines, plots.VLine{X: x, Label: fmt.Sprintf("chunked overtakes softmax, N ≈ %.0f", x)})
	}
	return c
}

// ScalingResults returns scaling.csv (also the headline) and scaling.png.
func ScalingResults(pts []ScalingPoint, E int, fm string) report.Results {
	t := ScalingTable(pts, E, fm)
	return report.Results{Tables: []*report.Table{t}, Headline: []*report.Table{t},
		Figures: []report.Figure{{Name: "scaling.png", Fig: ScalingChart(pts, E, fm)}}}
}

// crossoverText says where the chunked form overtakes dense softmax.
func crossoverText(pts []ScalingPoint) string {
	switch x := Crossover(pts, "softmax", "chunked"); {
	case math.IsNaN(x):
		return "the chunked form does not overtake dense softmax at these N"
	case x == 0:
		return "the chunked form is faster than dense softmax at every N measured"
	default:
		return fmt.Sprintf("the chunked form overtakes dense softmax at N ≈ %.0f", x)
	}
}

// CheckScaling checks the memory Scaling(ns, E, fm) needs against the
// budget: at the largest N, q, k, v, z [N, E], the dense pattern [N, N] and
// the linear state.
func CheckScaling(ns []int, E int, fm string) error {
	if len(ns) == 0 {
		return nil
	}
	f, err := attention.NewFeatureMap(fm)
	if err != nil {
		return fmt.Errorf("probes: %w", err)
	}
	N := slices.Max(ns)
	var est membudget.Estimate
	est.Add(4*4, N, E)
	est.Add(4, N, N)
	est.Add(4, f.Dim(E)+1, E+1)
	if err := est.Check(fmt.Sprintf("timing attention at N = %d", N)); err != nil {
		return fmt.Errorf("probes: %w", err)
	}
	return nil
}
