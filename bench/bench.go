package bench

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/attnlab/attnlab/attention"
	"github.com/attnlab/attnlab/attention/ring"
	"github.com/attnlab/attnlab/internal/badinput"
	"github.com/attnlab/attnlab/internal/cputime"
	"github.com/attnlab/attnlab/internal/gemm"
	"github.com/attnlab/attnlab/internal/list"
	"github.com/attnlab/attnlab/internal/membudget"
	"github.com/attnlab/attnlab/internal/ringnet"
	"github.com/attnlab/attnlab/internal/vecmath"
)

// Options says what to time.
type Options struct {
	Ns      []int    // sequence lengths, ascending (default 256, 512, …, 65,536)
	E       int      // d_head (default 64)
	Window  int      // W of the window kinds (default 256)
	Repeats int      // timed runs per point; the median is reported (default 3)
	Kernels []string // names from Kernels(); nil: all
	// MemBudget is the most bytes one run may need (its estimate, checked
	// before anything is allocated); a point beyond it is reported as
	// skipped. Default 4 GiB, and never above membudget.Limit.
	MemBudget int64
	RingHosts int // hosts of the in-process ring (default 4)
	// MaxTime bounds a point's time: a point whose runs (the first and
	// Repeats timed ones) would take longer than this even at the machine's
	// matmul rate, measured first, is skipped, with the reason. Default 5 min.
	MaxTime  time.Duration
	RateTime time.Duration // how long to measure the matmul rate (default 1 s)
	Seed     uint64
	// Progress, when set, is called after each (kernel, N) point.
	Progress func(done, total int)
}

func (o Options) withDefaults() Options {
	if len(o.Ns) == 0 {
		for n := 256; n <= 65536; n *= 2 {
			o.Ns = append(o.Ns, n)
		}
	}
	if o.E == 0 {
		o.E = 64
	}
	if o.Window == 0 {
		o.Window = 256
	}
	if o.Repeats == 0 {
		o.Repeats = 3
	}
	if o.MemBudget == 0 {
		o.MemBudget = 4 << 30
	}
	if o.RingHosts == 0 {
		o.RingHosts = 4
	}
	if o.RateTime == 0 {
		o.RateTime = time.Second
	}
	if o.MaxTime == 0 {
		o.MaxTime = 5 * time.Minute
	}
	if len(o.Kernels) == 0 {
		o.Kernels = Kernels()
	}
	return o
}

// MaxN is the longest sequence Run accepts (its inputs alone are 4·N·E
// floats).
const MaxN = 1 << 22

// Validate returns an error naming the first option out of range: a
// *badinput.Setting naming ns, d_head, window, repeats, ring_hosts,
// max_time or kernels, or a *badinput.Error for the memory budget.
func (o Options) Validate() error {
	o = o.withDefaults()
	for i, n := range o.Ns {
		if n < 1 || n > MaxN {
			return badinput.Settingf("{ns}: sequence length %d outside [1, %d]", n, MaxN)
		}
		if i > 0 && n <= o.Ns[i-1] {
			return badinput.Settingf("{ns}: sequence lengths must ascend, got %v", o.Ns)
		}
	}
	switch {
	case o.E < 1 || o.E > 1024:
		return badinput.Settingf("{d_head} %d outside [1, 1024]", o.E)
	case o.Window < 1:
		return badinput.Settingf("{window} %d must be positive", o.Window)
	case o.Repeats < 1 || o.Repeats > 1000:
		return badinput.Settingf("{repeats} %d outside [1, 1000]", o.Repeats)
	case o.RingHosts < 1 || o.RingHosts > 64:
		return badinput.Settingf("{ring_hosts} %d outside [1, 64]", o.RingHosts)
	case o.MemBudget < 1<<20:
		return badinput.Errorf("bench: memory budget %d bytes is below 1 MiB", o.MemBudget)
	case o.MaxTime < time.Millisecond || o.MaxTime > 24*time.Hour:
		return badinput.Settingf("{max_time} %v outside [1ms, 24h]", o.MaxTime)
	}
	for _, k := range o.Kernels {
		if _, err := o.kernel(k); err != nil {
			return badinput.Settingf("{kernels}: unknown kernel %q (known: %s)", k, strings.Join(Kernels(), ", "))
		}
	}
	return nil
}

// Point is one (kernel, N) measurement.
type Point struct {
	Kernel string
	N      int
	Times  []time.Duration // each timed run (wall clock)
	Median time.Duration
	// CPU is the median CPU time of a run (user + system, all threads,
	// cputime.Process; wall time where the system does not say): unlike
	// wall time it does not count the time other processes held the cores.
	CPU     time.Duration
	Peak    int64   // bytes: the run's peak memory, inputs and outputs included
	Need    int64   // bytes the run was estimated to need (budget check)
	FLOPs   float64 // useful floating-point operations of one run
	Skipped string  // why the point was not run ("" when it was)
}

// GFLOPs is the point's rate on its useful work.
func (p Point) GFLOPs() float64 { return p.FLOPs / p.Median.Seconds() / 1e9 }

// CPURate is the useful GFLOP per CPU-second (NaN without CPU times).
func (p Point) CPURate() float64 {
	if p.CPU <= 0 {
		return math.NaN()
	}
	return p.FLOPs / p.CPU.Seconds() / 1e9
}

// Result is a whole benchmark.
type Result struct {
	Opt               Options
	Cores             int     // GOMAXPROCS
	Rate, RateAfter   float64 // matmul GFLOP/s on Cores goroutines, before and after the kernels
	CPURate           float64 // matmul GFLOP per CPU-second (the better of before and after; NaN if unknown)
	MemMethod         string  // "rss" or "heap" (peakMeter)
	Points            []Point
	TimeSlope         map[string]float64 // fitted d log time / d log N, N ≥ 1024 (wall)
	CPUSlope          map[string]float64 // the same for CPU time
	MemSlope          map[string]float64
	kernelDefinitions []kernel
}

// kernel is one attention implementation under test.
type kernel struct {
	name, what string
	flops      func(N, E int) float64
	need       func(N, E int) int64 // bytes beyond the master inputs
	run        func(ctx context.Context, x *inputs) error
}

// inputs are one point's tensors: q, k, v, out [N, E], lse [N].
type inputs struct {
	N, E         int
	q, k, v, out []float32
	lse          []float32
	scale        float32
	scratch      []float32 // kernel-owned (naive: the N×N scores)
}

// Kernels lists the kernels Run knows, in the order they are reported.
func Kernels() []string {
	return []string{"dense-naive", "dense-blockwise", "window", "dilated", "block-sparse", "linear-recurrent", "linear-chunked", "ring"}
}

// Doubling is the sequence lengths minN, 2·minN, 4·minN, … up to maxN.
// Its error is a *badinput.Setting naming min_n and max_n.
func Doubling(minN, maxN int) ([]int, error) {
	if minN < 1 || maxN < minN || maxN > MaxN {
		return nil, badinput.Settingf("{min_n} and {max_n} must satisfy 1 ≤ min ≤ max ≤ %d, got %d and %d", MaxN, minN, maxN)
	}
	var ns []int
	for n := minN; n <= maxN; n *= 2 {
		ns = append(ns, n)
	}
	return ns, nil
}

// ParseKernels reads a comma-separated list of kernels (Validate checks
// the names). Its error, for an empty list or a kernel named twice, is a
// *badinput.Setting naming kernels.
func ParseKernels(s string) ([]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, badinput.Settingf("{kernels} is empty: name at least one of %s", strings.Join(Kernels(), ", "))
	}
	ks, err := list.Strings(s)
	if err != nil {
		return nil, badinput.Settingf("{kernels} %v", err)
	}
	return ks, nil
}

// causalFLOPs is dense causal attention's useful work: q·k and p·v, 2·E
// each, on the N(N+1)/2 visible pairs.
func causalFLOPs(N, E int) float64 { return 4 * float64(E) * float64(N) * float64(N+1) / 2 }

// io is what every kernel allocates for its own inputs and outputs.
func ioBytes(N, E int) int64 { return int64(4*N*E+N) * 4 }

func (o Options) kernel(name string) (kernel, error) {
	sparseKernel := func(name, what string, s attention.Sparse) kernel {
		return kernel{name: name, what: what,
			flops: func(N, E int) float64 { return 4 * float64(E) * float64(s.Pairs(N)) },
			need:  func(N, E int) int64 { return ioBytes(N, E) + int64(6*N*E)*4 },
			run: func(ctx context.Context, x *inputs) error {
				q := attention.QKV{Q: x.q, K: x.k, V: x.v, LQ: x.E, LK: x.E, LV: x.E, T: x.N, E: x.E, Scale: x.scale}
				return s.Forward(ctx, q, x.out, x.E, x.lse)
			}}
	}
	W := o.Window
	switch name {
	case "dense-naive":
		return kernel{name: name, what: "S = q·kᵀ materialised [N, N], causal softmax rows, out = S·v",
			flops: causalFLOPs,
			need:  func(N, E int) int64 { return ioBytes(N, E) + int64(N)*int64(N)*4 },
			run:   naiveDense}, nil
	case "dense-blockwise":
		return kernel{name: name, what: "online softmax over 64×64 tiles (attention.FlashForward)",
			flops: causalFLOPs,
			need:  func(N, E int) int64 { return ioBytes(N, E) + int64(2*N*E)*4 },
			run: func(ctx context.Context, x *inputs) error {
				return attention.FlashForward(ctx, x.out, x.lse, x.q, x.k, x.v, x.N, x.E, x.scale)
			}}, nil
	case "window":
		return sparseKernel(name, fmt.Sprintf("window:%d", W), attention.Sparse{Window: W}), nil
	case "dilated":
		return sparseKernel(name, fmt.Sprintf("window:%d:d4 (reach %d)", W, (W-1)*4), attention.Sparse{Window: W, Dilation: 4}), nil
	case "block-sparse":
		b := 64
		l := max(W/b-2, 0)
		s := attention.Sparse{Block: b, Local: l, GlobalBlocks: 1, Random: 1, Seed: 1}
		return sparseKernel(name, s.String(), s), nil
	case "linear-recurrent":
		return kernel{name: name, what: "linear attention, elu+1 map, recurrent form (attention.Step, float64 state)",
			flops: func(N, E int) float64 { return 4 * float64(N) * float64(E) * float64(E) },
			need:  func(N, E int) int64 { return ioBytes(N, E) + int64(E*E+4*E)*8 },
			run:   linearRecurrent}, nil
	case "linear-chunked":
		return kernel{name: name, what: fmt.Sprintf("linear attention, elu+1 map, chunkwise-parallel form (attention.LinearChunked, chunks of %d)", attention.LinearChunk),
			flops: func(N, E int) float64 { return 4 * float64(N) * float64(E) * float64(E) },
			need: func(N, E int) int64 {
				return ioBytes(N, E) + int64(3*attention.LinearChunk*E+attention.LinearChunk*attention.LinearChunk+E*E)*4
			},
			run: func(ctx context.Context, x *inputs) error {
				fm, _ := attention.NewFeatureMap("elu")
				attention.LinearChunked{Map: fm}.Forward(attention.QKV{Q: x.q, K: x.k, V: x.v, LQ: x.E, LK: x.E, LV: x.E, T: x.N, E: x.E}, x.out, x.E)
				return ctx.Err()
			}}, nil
	case "ring":
		P := o.RingHosts
		return kernel{name: name, what: fmt.Sprintf("Ring Attention, %d in-process hosts, zigzag layout (attention/ring)", P),
			flops: causalFLOPs,
			need:  func(N, E int) int64 { return ioBytes(N, E) + int64(10*N*E)*4 },
			run: func(ctx context.Context, x *inputs) error {
				if err := ring.CheckShape(x.N, P); err != nil {
					return err
				}
				res, err := ring.Run(ctx, ringnet.Local(P), ring.Problem{N: x.N, E: x.E, Layout: ring.Zigzag, Scale: x.scale}, x.q, x.k, x.v, nil)
				if err != nil {
					return err
				}
				copy(x.out, res.Out)
				return nil
			}}, nil
	}
	return kernel{}, fmt.Errorf("bench: unknown kernel %q (known: %s)", name, strings.Join(Kernels(), ", "))
}

// naiveDense is the textbook kernel: the whole score matrix, then softmax,
// then the product with v, rows split across the cores in fixed chunks.
func naiveDense(ctx context.Context, x *inputs) error {
	N, E := x.N, x.E
	if len(x.scratch) < N*N {
		x.scratch = make([]float32, N*N)
	}
	S := x.scratch[:N*N]
	const chunk = 256
	nc := (N + chunk - 1) / chunk
	var next sync.Mutex
	u := 0
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), nc) {
		wg.Go(func() {
			for ctx.Err() == nil {
				next.Lock()
				c := u
				u++
				next.Unlock()
				if c >= nc {
					return
				}
				r0, r1 := c*chunk, min((c+1)*chunk, N)
				gemm.MatMul(false, true, r1-r0, N, E, x.q[r0*E:], E, x.k, E, S[r0*N:], N, false)
				for i := r0; i < r1; i++ {
					mx, sum := vecmath.SoftmaxRow(S[i*N:(i+1)*N], i+1, x.scale)
					x.lse[i] = mx + float32(math.Log(float64(sum)))
				}
				gemm.MatMul(false, false, r1-r0, E, N, S[r0*N:], N, x.v, E, x.out[r0*E:], E, false)
			}
		})
	}
	wg.Wait()
	return ctx.Err()
}

// linearRecurrent runs causal linear attention token by token.
func linearRecurrent(ctx context.Context, x *inputs) error {
	fm, _ := attention.NewFeatureMap("elu")
	s := attention.NewLinearState(fm, x.E, x.E)
	for i := range x.N {
		if i%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		attention.Step(s, x.out[i*x.E:(i+1)*x.E], x.q[i*x.E:(i+1)*x.E], x.k[i*x.E:(i+1)*x.E], x.v[i*x.E:(i+1)*x.E])
	}
	return nil
}

// ErrNothingRun is returned when every point was skipped.
var ErrNothingRun = errors.New("bench: every point exceeds the memory budget or the time limit")

// Run measures the machine's matmul rate, then times every kernel at every
// N (the median of opt.Repeats runs, after the first run, which also gives
// the peak memory), then measures the matmul rate again. Points whose
// estimated memory exceeds opt.MemBudget, or whose runs would take longer
// than opt.MaxTime even at the matmul rate, are skipped, with the reason.
func Run(ctx context.Context, opt Options) (*Result, error) {
	if err := opt.Validate(); err != nil {
		return nil, err
	}
	opt = opt.withDefaults()
	if lim, _ := membudget.Limit(); lim < opt.MemBudget {
		opt.MemBudget = lim
	}
	res := &Result{Opt: opt, Cores: runtime.GOMAXPROCS(0), TimeSlope: map[string]float64{}, CPUSlope: map[string]float64{}, MemSlope: map[string]float64{}}
	var ks []kernel
	for _, name := range opt.Kernels {
		k, _ := opt.kernel(name)
		ks = append(ks, k)
	}
	res.kernelDefinitions = ks
	fits := false // some point within the memory budget: else stop before measuring anything
	for _, N := range opt.Ns {
		for _, k := range ks {
			fits = fits || k.need(N, opt.E)+int64(3*N)*int64(opt.E)*4 <= opt.MemBudget
		}
	}
	if !fits {
		return res, ErrNothingRun
	}
	var cpu1 float64
	res.Rate, cpu1 = matmulRate(res.Cores, opt.RateTime)
	meter := newPeakMeter()
	res.MemMethod = meter.method
	total, done := len(ks)*len(opt.Ns), 0
	for _, N := range opt.Ns {
		// Decide every kernel's fate at this N before allocating its
		// inputs: the master copy counts against each point's budget, and
		// is not allocated when every point is skipped.
		masterBytes := int64(3*N) * int64(opt.E) * 4
		ps := make([]Point, len(ks))
		anyRun := false
		for i, k := range ks {
			p := Point{Kernel: k.name, N: N, FLOPs: k.flops(N, opt.E), Need: k.need(N, opt.E) + masterBytes}
			least := time.Duration(p.FLOPs * float64(opt.Repeats+1) / (res.Rate * 1e9) * float64(time.Second))
			switch {
			case p.Need > opt.MemBudget:
				p.Skipped = fmt.Sprintf("needs %s, over the %s budget", bytesString(p.Need), bytesString(opt.MemBudget))
			case !(least <= opt.MaxTime):
				p.Skipped = fmt.Sprintf("needs at least %s at the matmul rate, over the %v limit", least.Round(time.Second), opt.MaxTime)
			case k.name == "ring" && ring.CheckShape(N, opt.RingHosts) != nil:
				p.Skipped = ring.CheckShape(N, opt.RingHosts).Error()
			default:
				anyRun = true
			}
			ps[i] = p
		}
		var master master
		if anyRun {
			master = newMaster(N, opt.E, opt.Seed)
		}
		for i, k := range ks {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			p := ps[i]
			if p.Skipped == "" {
				if err := measure(ctx, meter, k, master, opt.Repeats, &p); err != nil {
					return nil, err
				}
			}
			res.Points = append(res.Points, p)
			done++
			if opt.Progress != nil {
				opt.Progress(done, total)
			}
		}
	}
	if !slices.ContainsFunc(res.Points, func(p Point) bool { return p.Skipped == "" }) {
		return res, ErrNothingRun
	}
	var cpu2 float64
	res.RateAfter, cpu2 = matmulRate(res.Cores, opt.RateTime)
	res.CPURate = math.Max(cpu1, cpu2)
	for _, k := range ks {
		res.TimeSlope[k.name], res.CPUSlope[k.name], res.MemSlope[k.name] = res.slopes(k.name)
	}
	return res, nil
}

// master holds one N's random inputs, copied into each kernel's own.
type master struct{ q, k, v []float32 }

func newMaster(N, E int, seed uint64) master {
	r := rand.New(rand.NewPCG(seed, uint64(N)))
	m := master{make([]float32, N*E), make([]float32, N*E), make([]float32, N*E)}
	for _, x := range [][]float32{m.q, m.k, m.v} {
		for i := range x {
			x[i] = float32(r.NormFloat64())
		}
	}
	return m
}

// measure runs k once under the peak meter (its inputs and outputs
// allocated inside the measurement), then times opt.Repeats more runs.
func measure(ctx context.Context, meter *peakMeter, k kernel, m master, repeats int, p *Point) error {
	N, E := p.N, len(m.q)/p.N
	meter.Begin()
	x := &inputs{N: N, E: E, q: slices.Clone(m.q), k: slices.Clone(m.k), v: slices.Clone(m.v),
		out: make([]float32, N*E), lse: make([]float32, N), scale: float32(1 / math.Sqrt(float64(E)))}
	err := k.run(ctx, x)
	p.Peak = meter.End()
	if err != nil {
		return err
	}
	var cpus []time.Duration
	for range repeats {
		st := time.Now()
		c0 := cputime.Process()
		if err := k.run(ctx, x); err != nil {
			return err
		}
		p.Times = append(p.Times, time.Since(st))
		cpus = append(cpus, cputime.Process()-c0)
	}
	p.Median, p.CPU = median(p.Times), median(cpus)
	return nil
}

func median(t []time.Duration) time.Duration {
	ts := slices.Clone(t)
	sort.Slice(ts, func(i, j int) bool { return ts[i] < ts[j] })
	if len(ts)%2 == 0 {
		return (ts[len(ts)/2-1] + ts[len(ts)/2]) / 2
	}
	return ts[len(ts)/2]
}

// matmulRate is gemm.Rate with the CPU time it took: GFLOP/s of wall time
// and GFLOP per CPU-second (NaN where CPU time is unknown).
func matmulRate(cores int, d time.Duration) (wall, perCPU float64) {
	c0 := cputime.Process()
	st := time.Now()
	wall = gemm.Rate(cores, d)
	el := time.Since(st).Seconds()
	c1 := cputime.Process()
	if c1 <= c0 {
		return wall, math.NaN()
	}
	return wall, wall * el / (c1 - c0).Seconds()
}

// slopes fits log wall time, log CPU time and log peak memory against log
// N by least squares over the points with N ≥ 1024 that ran (all of them
// when fewer than two qualify); NaN without two points.
func (r *Result) slopes(kernel string) (timeSlope, cpuSlope, memSlope float64) {
	var all, big []Point
	for _, p := range r.Points {
		if p.Kernel == kernel && p.Skipped == "" {
			all = append(all, p)
			if p.N >= 1024 {
				big = append(big, p)
			}
		}
	}
	if len(big) >= 2 {
		all = big
	}
	var xs, ts, cs, ms []float64
	for _, p := range all {
		xs = append(xs, math.Log(float64(p.N)))
		ts = append(ts, math.Log(p.Median.Seconds()))
		cs = append(cs, math.Log(p.CPU.Seconds())) // −Inf without CPU times: the fit is NaN
		ms = append(ms, math.Log(float64(max(p.Peak, 1))))
	}
	return fitSlope(xs, ts), fitSlope(xs, cs), fitSlope(xs, ms)
}

// fitSlope is the least-squares slope of y on x (NaN for fewer than two
// distinct x).
func fitSlope(x, y []float64) float64 {
	n := float64(len(x))
	if len(x) < 2 {
		return math.NaN()
	}
	var sx, sy, sxx, sxy float64
	for i := range x {
		sx += x[i]
		sy += y[i]
		sxx += x[i] * x[i]
		sxy += x[i] * y[i]
	}
	d := n*sxx - sx*sx
	if d == 0 || math.IsInf(sy, 0) || math.IsNaN(sy) {
		return math.NaN()
	}
	return (n*sxy - sx*sy) / d
}

func bytesString(b int64) string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(b)/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
	}
	return fmt.Sprintf("%d KiB", b>>10)
}
