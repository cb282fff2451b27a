package bench

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"time"

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
	Cores   []int         // worker counts to time (each ≤ GOMAXPROCS)
	Repeats int           // timed runs per worker count
	Each    time.Duration // length of one timed run (at least 3 steps)
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
	if len(opt.Cores) == 0 || opt.Repeats < 1 || opt.Each <= 0 {
		return nil, errors.New("bench: the step needs core counts, at least one repeat and a positive duration")
	}
	for _, c := range opt.Cores {
		if c < 1 || c > runtime.GOMAXPROCS(0) {
			return nil, fmt.Errorf("bench: %d cores: want 1 to %d (GOMAXPROCS)", c, runtime.GOMAXPROCS(0))
		}
	}
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
			for ; n < 3 || time.Since(w0) < opt.Each; n++ {
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
