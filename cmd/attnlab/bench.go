package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/attnlab/attnlab/bench"
	"github.com/attnlab/attnlab/internal/cli"
	"github.com/attnlab/attnlab/optim"
	"github.com/attnlab/attnlab/report"
	"github.com/spf13/cobra"
)

type benchOpts struct {
	outFlags
	minN, maxN, dHead, window, repeats, ringHosts int
	maxMem                                        float64
	maxTime                                       time.Duration
	kernels                                       string
	trainStep                                     bool
	cores                                         string
	seconds                                       float64
}

func newBenchCmd(e *env) *cobra.Command {
	o := &benchOpts{}
	c := &cobra.Command{
		Use:   "bench",
		Short: "Time attention kernels on this machine: time, peak memory and GFLOP/s against N",
		Long: `Time one causal attention head (d_head 64) at N = 256, 512, … up to --max-n for
naive dense attention (the N×N score matrix materialised), blockwise dense attention
(FlashAttention's online softmax), a sliding window, a dilated window, BigBird
block-sparse attention, linear attention (recurrent and chunked forms) and Ring
Attention on in-process hosts. Each point is the median of --repeats forward passes; its peak memory
is measured around a first run; its useful GFLOP/s is set against the machine's matmul
rate measured in the same run. Time and memory are fitted on log-log axes (slopes in
the legends). Points that would need more than --max-mem, or take longer than --max-time
even at the matmul rate, are skipped, with the reason.

--train-step times the reference training step instead (2 layers, attention-only, d_model 64,
4 heads, d_vocab 64, T 65, batch 32, AdamW) on 1, 2, … cores (--cores): tokens per second and
per CPU-second, GFLOP/s, and both as fractions of one core's FMA peak measured in the same
run: train_step.csv.`,
		Example: `  attnlab bench
  attnlab bench --max-n 8192 --repeats 5
  attnlab bench --kernels dense-naive,dense-blockwise,window --max-n 16384
  attnlab bench --train-step --cores 1,2 --repeats 5`,
		Args: cobra.NoArgs,
		RunE: func(_ *cobra.Command, _ []string) error { return runBench(e, o) },
	}
	o.outFlags.add(c, "attnlab-out/bench")
	f := c.Flags()
	f.IntVar(&o.minN, "min-n", 256, "shortest sequence (then doubling)")
	f.IntVar(&o.maxN, "max-n", 65536, "longest sequence")
	f.IntVar(&o.dHead, "d-head", 64, "d_head")
	f.IntVar(&o.window, "window", 256, "W of the window kernels (block-sparse sees about as many keys)")
	f.IntVar(&o.repeats, "repeats", 3, "timed runs per point (the median is reported)")
	f.IntVar(&o.ringHosts, "ring-hosts", 4, "hosts of the in-process ring")
	f.Float64Var(&o.maxMem, "max-mem", 4, "memory budget of one point, GiB (larger points are skipped)")
	f.DurationVar(&o.maxTime, "max-time", 5*time.Minute, "time limit of one point (all its runs); points that would take longer even at the matmul rate are skipped")
	f.StringVar(&o.kernels, "kernels", strings.Join(bench.Kernels(), ","), "comma-separated kernels")
	f.BoolVar(&o.trainStep, "train-step", false, "time the reference training step instead of the attention kernels")
	f.StringVar(&o.cores, "cores", "", "with --train-step: comma-separated core counts (default 1 to the number of cores)")
	f.Float64Var(&o.seconds, "seconds", 1, "with --train-step: length of one timed run, seconds")
	return c
}

func runBench(e *env, o *benchOpts) error {
	if o.trainStep {
		return runBenchStep(e, o)
	}
	ns, err := bench.Doubling(o.minN, o.maxN)
	if err != nil {
		return cli.FlagError(err, nil)
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"--repeats", o.repeats}, {"--d-head", o.dHead}, {"--window", o.window}, {"--ring-hosts", o.ringHosts}} {
		if f.v < 1 {
			return cli.Usagef("%s must be positive, got %d", f.name, f.v)
		}
	}
	if !(o.maxMem >= 0.001 && o.maxMem <= 1<<20) {
		return cli.Usagef("--max-mem must be between 0.001 and %d GiB, got %v", 1<<20, o.maxMem)
	}
	if o.maxTime <= 0 {
		return cli.Usagef("--max-time must be positive, got %v", o.maxTime)
	}
	opt := bench.Options{Ns: ns, E: o.dHead, Window: o.window, Repeats: o.repeats, RingHosts: o.ringHosts,
		MemBudget: int64(o.maxMem * (1 << 30)), MaxTime: o.maxTime, Seed: o.seed}
	if opt.Kernels, err = bench.ParseKernels(o.kernels); err != nil {
		return cli.FlagError(err, nil)
	}
	if err := opt.Validate(); err != nil {
		return cli.FlagError(err, map[string]string{"ns": "--max-n"})
	}
	tick := optim.NewCounter(e.stderr, "bench", "points", len(opt.Ns)*len(opt.Kernels), o.quiet)
	opt.Progress = func(done, total int) { tick.Add(1) }
	r, err := bench.Run(e.ctx, opt)
	tick.Finish()
	if errors.Is(err, bench.ErrNothingRun) {
		return cli.Usagef("every point needs more memory than --max-mem %g GiB or more time than --max-time %v: lower --max-n or raise the limits", o.maxMem, o.maxTime)
	}
	if err != nil {
		return err
	}
	return e.finish(o.outFlags, r.Results())
}

// runBenchStep is bench --train-step.
func runBenchStep(e *env, o *benchOpts) error {
	opt := bench.StepOptions{Repeats: o.repeats, Seconds: o.seconds}
	if o.cores != "" {
		var err error
		if opt.Cores, err = cli.PositiveInts("--cores", o.cores); err != nil {
			return err
		}
	}
	if err := opt.Validate(); err != nil {
		return cli.FlagError(err, nil)
	}
	opt = opt.WithDefaults()
	if !o.quiet {
		fmt.Fprintf(e.stderr, "timing the reference training step on %v cores, %d × %gs each\n", opt.Cores, o.repeats, o.seconds)
	}
	r, err := bench.TrainStep(e.ctx, opt)
	if err != nil {
		return err
	}
	return e.finish(o.outFlags, report.Results{Tables: []*report.Table{r.Table()}, Headline: []*report.Table{r.Headline()},
		Extra: map[string]any{"peak_gflops_per_core": r.Peak, "flops_per_token": r.FLOPsPerToken, "cores": opt.Cores, "repeats": o.repeats}})
}
