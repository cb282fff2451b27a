package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"time"

	"github.com/attnlab/attnlab/internal/badinput"
	"github.com/attnlab/attnlab/internal/cputime"
	"github.com/attnlab/attnlab/internal/gemm"
	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/report"
	"github.com/attnlab/attnlab/tasks"
	"github.com/attnlab/attnlab/train"
)

// StepConfig and StepBatch are the reference training step's model and
// batch (train.ReferenceConfig, train.ReferenceBatch).
var StepConfig = train.ReferenceConfig

const StepBatch = train.ReferenceBatch

// StepOptions says how to time the reference step.
type StepOptions struct {
	Cores   []int   // worker counts to time, each 1 to GOMAXPROCS; nil: every count from 1 to GOMAXPROCS
	Repeats int     // timed runs per worker count, 1 to 1000
	Seconds float64 // length of one timed run (at least 3 steps), 0.01 to 3600 s
}

// WithDefaults fills in the default core counts.
func (o StepOptions) WithDefaults() StepOptions {
	if o.Cores == nil {
		for c := range runtime.GOMAXPROCS(0) {
			o.Cores = append(o.Cores, c+1)
		}
	}
	return o
}

// Validate checks o (with its defaults). Its errors are *badinput.Setting
// naming cores, repeats and seconds.
func (o StepOptions) Validate() error {
	o = o.WithDefaults()
	procs := runtime.GOMAXPROCS(0)
	for _, c := range o.Cores {
		if c < 1 || c > procs {
			return badinput.Settingf("{cores} must list counts from 1 to %d (the cores Go may use here), got %d", procs, c)
		}
	}
	switch {
	case len(o.Cores) == 0:
		return badinput.Settingf("{cores} lists no core count")
	case o.Repeats < 1 || o.Repeats > 1000:
		return badinput.Settingf("{repeats} must be from 1 to 1000, got %d", o.Repeats)
	case !(o.Seconds >= 0.01 && o.Seconds <= 3600):
		return badinput.Settingf("{seconds} must be from 0.01 to 3600, got %v", o.Seconds)
	}
	return nil
}

// StepPoint is the reference step timed on Cores workers: Repeats runs,
// each of Steps steps, their wall and process CPU seconds.
type StepPoint struct {
	Cores, Units int
	Steps        []int
	Wall, CPU    []time.Duration
}

// StepResult is TrainStep's measurement: one point per worker count and
// one core's FMA peak (gemm.PeakGFLOPS) measured in the same run.
type StepResult struct {
	Opt           StepOptions
	FLOPsPerToken float64
	TokensPerStep int
	Peak          float64 // GFLOP/s of one core
	Points        []StepPoint
}

// TrainStep times the reference training step (StepConfig, StepBatch, the
// default work units, AdamW) on each worker count of opt.Cores: forward,
// backward, the reduction over units and the update, on a fixed induction
// batch. The process's CPU time is measured with the wall time, so rates per
// CPU-second hold on a machine shared with other jobs.
func TrainStep(ctx context.Context, opt StepOptions) (*StepResult, error) {
	if err := opt.Validate(); err != nil {
		return nil, err
	}
	opt = opt.WithDefaults()
	each := time.Duration(opt.Seconds * float64(time.Second))
	task, err := tasks.NewInduction(tasks.DefaultInductionConfig())
	if err != nil {
		return nil, err
	}
	T := StepConfig.NCtx
	batch := task.Sample(rand.New(rand.NewPCG(1, 2)), StepBatch, T)
	r := &StepResult{Opt: opt, TokensPerStep: StepBatch * T, Peak: gemm.PeakGFLOPS(300 * time.Millisecond)}
	for _, cores := range opt.Cores {
		m, err := model.NewInit[float32](StepConfig)
		if err != nil {
			return nil, err
		}
		r.FLOPsPerToken = train.FLOPsPerToken(m.Config, T)
		tr, err := train.New(m, task, train.Options{Steps: 1 << 30, Batch: StepBatch, SeqLen: T, Workers: cores})
		if err != nil {
			return nil, err
		}
		p := StepPoint{Cores: cores, Units: tr.Opt.Units}
		for range 3 { // warm up: workspaces, caches, the pool's helpers
			if _, _, err := tr.StepBatch(batch); err != nil {
				return nil, err
			}
		}
		for range opt.Repeats {
			w0, c0 := time.Now(), cputime.Process()
			n := 0
			for ; n < 3 || time.Since(w0) < each; n++ {
				if err := ctx.Err(); err != nil {
					return nil, err
				}
				if _, _, err := tr.StepBatch(batch); err != nil {
					return nil, err
				}
			}
			p.Steps = append(p.Steps, n)
			p.Wall = append(p.Wall, time.Since(w0))
			p.CPU = append(p.CPU, cputime.Process()-c0)
		}
		r.Points = append(r.Points, p)
	}
	return r, nil
}

// rates returns, per repeat, tokens per wall second and per CPU second.
func (r *StepResult) rates(p StepPoint) (wall, cpu []float64) {
	for i, n := range p.Steps {
		tok := float64(n * r.TokensPerStep)
		wall = append(wall, tok/p.Wall[i].Seconds())
		cpu = append(cpu, tok/p.CPU[i].Seconds())
	}
	return wall, cpu
}

// Table is the step's speed per worker count: tokens per second and per
// CPU-second (median and range over the repeats), GFLOP/s, and both as
// fractions of the FMA peak: of_peak against the peak of the cores used
// (wall clock), of_peak_cpu per CPU-second against one core's peak (what
// the code achieves whatever else runs on the machine).
func (r *StepResult) Table() *report.Table {
	col := func(name, unit string) report.Column { return report.Column{Name: name, Unit: unit} }
	t := report.NewTable("train_step",
		fmt.Sprintf("Reference training step (2 layers, attention-only, d_model 64, 4 heads, d_vocab 64, T 65, batch %d), median of %d runs", StepBatch, r.Opt.Repeats),
		col("cores", ""), col("units", ""), col("tokens_per_s", ""), col("tokens_per_cpu_s", ""),
		col("tokens_per_cpu_s_min", ""), col("tokens_per_cpu_s_max", ""), col("gflops", "GFLOP/s"),
		col("gflops_per_cpu_s", ""), col("of_peak", ""), col("of_peak_cpu", ""), col("of_peak_cpu_min", ""),
		col("of_peak_cpu_max", ""), col("speedup", ""))
	var base float64
	for _, p := range r.Points {
		wall, cpu := r.rates(p)
		tw, tc := medianFloat(wall), medianFloat(cpu)
		if base == 0 {
			base = tw / float64(p.Cores)
		}
		g, gc := tw*r.FLOPsPerToken/1e9, tc*r.FLOPsPerToken/1e9
		pk := r.Peak
		ofPeak := func(gflops float64) any {
			if pk <= 0 { // no AVX-512 kernels: no peak to compare with
				return nil
			}
			return gflops / pk
		}
		t.Add(p.Cores, p.Units, tw, tc, slices.Min(cpu), slices.Max(cpu), g, gc,
			ofPeak(g/float64(min(p.Cores, p.Units))), ofPeak(gc), ofPeak(slices.Min(cpu)*r.FLOPsPerToken/1e9),
			ofPeak(slices.Max(cpu)*r.FLOPsPerToken/1e9), tw/base)
	}
	t.Caption = fmt.Sprintf("%.0f FLOPs per token (matmuls ×2, backward 2× forward, attention over the full T×T); "+
		"one core's FMA peak measured in the same run: %.1f GFLOP/s; of_peak: GFLOP/s against the peak of the cores used; "+
		"of_peak_cpu: GFLOP per CPU-second against one core's peak (robust on a shared machine); speedup: tokens/s against the first row per core",
		r.FLOPsPerToken, r.Peak)
	return t
}

// Headline is Table's main columns, for the terminal.
func (r *StepResult) Headline() *report.Table {
	full := r.Table()
	t := report.NewTable("train_step", full.Title,
		report.Column{Name: "cores"}, report.Column{Name: "units"},
		report.Column{Name: "tokens/s", Format: "%.0f"}, report.Column{Name: "tokens/cpu-s", Format: "%.0f"},
		report.Column{Name: "GFLOP/cpu-s", Format: "%.1f"},
		report.Column{Name: "of_peak", Format: "%.3f"}, report.Column{Name: "of_peak_cpu", Format: "%.3f"},
		report.Column{Name: "speedup", Format: "%.2f"})
	for _, row := range full.Rows {
		t.Add(row[0], row[1], row[2], row[3], row[7], row[8], row[9], row[12])
	}
	t.Caption = full.Caption
	return t
}

// medianFloat is the median of xs (the mean of the middle two for an even count).
func medianFloat(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
