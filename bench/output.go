package bench

import (
	"fmt"
	"math"
	"slices"

	"github.com/attnlab/attnlab/plots"
	"github.com/attnlab/attnlab/report"
)

// refN is the length the summary quotes a rate at (the acceptance point of
// the blockwise kernel), or the nearest measured.
const refN = 4096

// Tables returns bench (every point), summary (per kernel: slopes, the
// rate at refN, the longest N run) and matmul (the yardstick).
func (r *Result) Tables() []*report.Table {
	col := func(name, unit string) report.Column { return report.Column{Name: name, Unit: unit} }
	t := report.NewTable("bench", fmt.Sprintf("Attention kernels, one causal head, d_head %d, %d cores (median of %d runs)", r.Opt.E, r.Cores, r.Opt.Repeats),
		col("kernel", ""), col("n", ""), col("time", "ms"), col("time_min", "ms"), col("time_max", "ms"), col("cpu_time", "ms"),
		col("tokens_per_s", ""), col("gflops", "GFLOP/s"), col("of_matmul", ""), col("gflops_per_cpu_s", ""), col("of_matmul_cpu", ""),
		col("peak_memory", "MiB"), col("estimated_memory", "MiB"), col("skipped", ""))
	for _, p := range r.Points {
		if p.Skipped != "" {
			t.Add(p.Kernel, p.N, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, mib(p.Need), p.Skipped)
			continue
		}
		t.Add(p.Kernel, p.N, ms(p.Median), ms(slices.Min(p.Times)), ms(slices.Max(p.Times)), nanNil(ms(p.CPU)),
			float64(p.N)/p.Median.Seconds(), p.GFLOPs(), p.GFLOPs()/r.Rate, nanNil(p.CPURate()), nanNil(p.CPURate()/r.CPURate),
			mib(p.Peak), mib(p.Need), "")
	}
	t.Caption = r.caption()

	s := report.NewTable("summary", fmt.Sprintf("Scaling with N (fits over N ≥ 1024); rates at N = %d", r.atN()),
		col("kernel", ""), col("cpu_time_slope", ""), col("memory_slope", ""), col("time_slope", ""), col("time_at_ref", "ms"),
		col("gflops_at_ref", "GFLOP/s"), col("of_matmul_at_ref", ""), col("of_matmul_cpu_at_ref", ""), col("largest_n", ""),
		col("time_at_largest", "ms"), col("peak_at_largest", "MiB"), col("what", ""))
	for _, k := range r.kernelDefinitions {
		var atRef, largest *Point
		for i := range r.Points {
			p := &r.Points[i]
			if p.Kernel != k.name || p.Skipped != "" {
				continue
			}
			largest = p
			if p.N == r.atN() {
				atRef = p
			}
		}
		row := []any{k.name, nanNil(r.CPUSlope[k.name]), nanNil(r.MemSlope[k.name]), nanNil(r.TimeSlope[k.name])}
		if atRef != nil {
			row = append(row, ms(atRef.Median), atRef.GFLOPs(), atRef.GFLOPs()/r.Rate, nanNil(atRef.CPURate()/r.CPURate))
		} else {
			row = append(row, nil, nil, nil, nil)
		}
		if largest != nil {
			row = append(row, largest.N, ms(largest.Median), mib(largest.Peak))
		} else {
			row = append(row, nil, nil, nil)
		}
		s.Add(append(row, k.what)...)
	}
	s.Caption = r.caption()

	m := report.NewTable("matmul", "The machine's float32 matmul rate (gemm micro-kernels, 256×256×256 products on every core)",
		col("cores", ""), col("rate_before", "GFLOP/s"), col("rate_after", "GFLOP/s"), col("gflops_per_cpu_s", ""), col("memory_method", ""))
	m.Add(r.Cores, r.Rate, r.RateAfter, nanNil(r.CPURate), r.MemMethod)
	return []*report.Table{t, s, m}
}

// Headline is the summary with its widest columns left for a wide terminal.
func (r *Result) Headline() []*report.Table {
	full := r.Tables()[1]
	t := report.NewTable("summary", full.Title,
		report.Column{Name: "kernel"}, report.Column{Name: "cpu_slope", Format: "%.2f"}, report.Column{Name: "mem_slope", Format: "%.2f"},
		report.Column{Name: "wall_slope", Format: "%.2f", Detail: 2},
		report.Column{Name: "time", Unit: "ms", Format: "%.1f"}, report.Column{Name: "GFLOP/s", Format: "%.1f"},
		report.Column{Name: "of_matmul", Format: "%.2f"}, report.Column{Name: "of_mm_cpu", Format: "%.2f"}, report.Column{Name: "largest_n"},
		report.Column{Name: "time_there", Unit: "ms", Format: "%.0f", Detail: 1}, report.Column{Name: "peak_there", Unit: "MiB", Format: "%.0f", Detail: 1})
	for _, row := range full.Rows {
		t.Add(row[:11]...)
	}
	t.Caption = full.Caption
	return []*report.Table{t}
}

func (r *Result) caption() string {
	return fmt.Sprintf("matmul rate on %d cores: %.1f GFLOP/s before, %.1f after, %.1f GFLOP per CPU-second; GFLOP/s counts useful work (4·d_head per visible pair, the naive kernel computing the masked half too; linear: 4·d_head² per token); of_matmul: against the wall-clock rate, of_mm_cpu: per CPU-second against the matmul's (robust on a shared machine); slopes: d log time / d log N for N ≥ 1024; peak memory measured (%s) with each run's own inputs and outputs",
		r.Cores, r.Rate, r.RateAfter, r.CPURate, map[string]string{"rss": "peak RSS", "heap": "sampled Go heap"}[r.MemMethod])
}

// atN is refN, or the measured N nearest to it.
func (r *Result) atN() int {
	best := 0
	for _, n := range r.Opt.Ns {
		if best == 0 || math.Abs(math.Log(float64(n)/refN)) < math.Abs(math.Log(float64(best)/refN)) {
			best = n
		}
	}
	return best
}

// Figures returns log–log wall time, CPU time and peak memory against N,
// one line per kernel with its fitted slope in the legend, and useful
// GFLOP per CPU-second against N with the matmul's marked (per CPU-second:
// what a kernel makes of the cores it gets, which a shared machine does not
// change the way it changes wall time).
func (r *Result) Figures() []report.Figure {
	var ts, cs, mem, rate []plots.Series
	for _, k := range r.kernelDefinitions {
		var xs, ys, cys, ms, gs []float64
		for _, p := range r.Points {
			if p.Kernel == k.name && p.Skipped == "" {
				xs = append(xs, float64(p.N))
				ys = append(ys, p.Median.Seconds()*1e3)
				cys = append(cys, p.CPU.Seconds()*1e3)
				ms = append(ms, float64(p.Peak)/(1<<20))
				gs = append(gs, p.CPURate())
			}
		}
		if len(xs) == 0 {
			continue
		}
		ts = append(ts, plots.Series{Name: fmt.Sprintf("%s (slope %s)", k.name, slope(r.TimeSlope[k.name])), X: xs, Y: ys})
		cs = append(cs, plots.Series{Name: fmt.Sprintf("%s (slope %s)", k.name, slope(r.CPUSlope[k.name])), X: xs, Y: cys})
		mem = append(mem, plots.Series{Name: fmt.Sprintf("%s (slope %s)", k.name, slope(r.MemSlope[k.name])), X: xs, Y: ms})
		rate = append(rate, plots.Series{Name: k.name, X: xs, Y: gs})
	}
	title := fmt.Sprintf("d_head %d, %d cores", r.Opt.E, r.Cores)
	var ticks []float64 // every other length: readable labels
	for i, n := range r.Opt.Ns {
		if (len(r.Opt.Ns)-1-i)%2 == 0 {
			ticks = append(ticks, float64(n))
		}
	}
	return []report.Figure{
		{Name: "bench_time.png", Fig: plots.LineChart{Title: "Wall time of one causal head vs N (" + title + ")",
			XLabel: "sequence length N (tokens)", YLabel: "time per forward pass (ms)", Series: ts, LogX: true, LogY: true,
			Markers: true, XTicks: ticks, Width: 8.5, Height: 5, Legend: plots.LegendRight}},
		{Name: "bench_cpu_time.png", Fig: plots.LineChart{Title: "CPU time of one causal head vs N (" + title + ")",
			XLabel: "sequence length N (tokens)", YLabel: "CPU time per forward pass, all threads (ms)", Series: cs, LogX: true, LogY: true,
			Markers: true, XTicks: ticks, Width: 8.5, Height: 5, Legend: plots.LegendRight}},
		{Name: "bench_memory.png", Fig: plots.LineChart{Title: "Peak memory vs N (" + title + ")",
			XLabel: "sequence length N (tokens)", YLabel: "peak memory (MiB)", Series: mem, LogX: true, LogY: true,
			Markers: true, XTicks: ticks, Width: 8.5, Height: 5, Legend: plots.LegendRight}},
		{Name: "bench_gflops.png", Fig: plots.LineChart{Title: "Useful GFLOP per CPU-second vs N (" + title + ")",
			XLabel: "sequence length N (tokens)", YLabel: "GFLOP per CPU-second (4·d_head per visible pair)", Series: rate, LogX: true,
			Markers: true, XTicks: ticks, Width: 8.5, Height: 5, Legend: plots.LegendRight,
			HLines: []plots.HLine{{Y: r.CPURate, Label: fmt.Sprintf("matmul %.0f GFLOP per CPU-s", r.CPURate)}, {Y: r.CPURate / 2, Label: "50% of it"}}}},
	}
}

func slope(s float64) string {
	if math.IsNaN(s) {
		return "–"
	}
	return fmt.Sprintf("%.2f", s)
}

func ms(d interface{ Seconds() float64 }) float64 { return d.Seconds() * 1e3 }

func mib(b int64) float64 { return float64(b) / (1 << 20) }

func nanNil(v float64) any {
	if math.IsNaN(v) {
		return nil
	}
	return v
}

// Results is what the bench command writes.
func (r *Result) Results() report.Results {
	return report.Results{Tables: r.Tables(), Headline: r.Headline(), Figures: r.Figures(),
		Extra: map[string]any{"d_head": r.Opt.E, "window": r.Opt.Window, "repeats": r.Opt.Repeats, "cores": r.Cores,
			"matmul_gflops": r.Rate, "matmul_gflops_after": r.RateAfter, "ns": r.Opt.Ns, "kernels": r.Opt.Kernels}}
}
