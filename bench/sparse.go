package bench

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/attnlab/attnlab/attention"
	"github.com/attnlab/attnlab/plots"
	"github.com/attnlab/attnlab/report"
)

// CostOptions configure SparseCost.
type CostOptions struct {
	Kinds   []string // sparse kinds (attention.ParseSparse); per-head dilations use head 0's
	N, E    int      // sequence length and d_head (default 4096, 64)
	Repeats int      // timed runs (default 3)
	Rows    int      // query rows checked against the float64 reference (default 256)
	Seed    uint64
	// MemBudget bounds the estimated bytes of the naive dense row (default
	// 4 GiB); beyond it the row is skipped.
	MemBudget int64
}

// CostRow is one kernel of SparseCost.
type CostRow struct {
	Kind      string
	Pairs     int     // visible (query, key) pairs
	PairsFrac float64 // of dense causal attention's N(N+1)/2: the FLOPs ratio
	// MaxErr is max |out − ref| / max |ref| over the checked rows, ref the
	// masked dense attention in float64; LSEErr the largest |lse − ref|.
	MaxErr, LSEErr float64
	Time           time.Duration // median forward time (wall)
	CPU            time.Duration // median CPU time (all threads; 0 if unknown)
	Peak           int64         // measured peak bytes (own inputs and outputs included)
	Skipped        string
}

// DefaultCostKinds are the kinds of the cost table at W = 256: a window,
// the same window dilated by 4, with 16 global tokens, and BigBird blocks
// of 64 seeing about as many keys.
func DefaultCostKinds() []string {
	return []string{"window:256", "window:256:d4", "window:256:g16", "block-sparse:64:l2:g1:r1"}
}

// SparseCost measures each kind's forward kernel at N tokens against
// masked dense attention: its error on Rows sampled queries (float64
// reference over exactly the visible keys), the pairs it computes, its
// median time and measured peak memory, beside the two dense kernels.
func SparseCost(ctx context.Context, opt CostOptions) ([]CostRow, error) {
	if opt.N == 0 {
		opt.N = 4096
	}
	if opt.E == 0 {
		opt.E = 64
	}
	if opt.Repeats == 0 {
		opt.Repeats = 3
	}
	if opt.Rows == 0 {
		opt.Rows = 256
	}
	if opt.MemBudget == 0 {
		opt.MemBudget = 4 << 30
	}
	N, E := opt.N, opt.E
	if N < 1 || N > MaxN || E < 1 || E > 1024 || opt.Repeats < 1 || opt.Rows < 1 {
		return nil, fmt.Errorf("bench: cost table needs 1 ≤ N ≤ %d, 1 ≤ d_head ≤ 1024, repeats and rows ≥ 1; got N=%d d_head=%d", MaxN, N, E)
	}
	type entry struct {
		name string
		s    *attention.Sparse
		k    kernel
	}
	var es []entry
	o := Options{}.withDefaults()
	for _, name := range []string{"dense-naive", "dense-blockwise"} {
		k, _ := o.kernel(name)
		es = append(es, entry{name: map[string]string{"dense-naive": "dense (naive, N×N)", "dense-blockwise": "dense (blockwise)"}[name], k: k})
	}
	for _, kind := range opt.Kinds {
		sk, err := attention.ParseSparse(kind)
		if err != nil {
			return nil, err
		}
		s, err := sk.Head(0, max(len(sk.Dilations), 1))
		if err != nil {
			return nil, err
		}
		k := kernel{name: kind, flops: func(N, E int) float64 { return 4 * float64(E) * float64(s.Pairs(N)) },
			need: func(N, E int) int64 { return ioBytes(N, E) + int64(6*N*E)*4 },
			run: func(ctx context.Context, x *inputs) error {
				q := attention.QKV{Q: x.q, K: x.k, V: x.v, LQ: x.E, LK: x.E, LV: x.E, T: x.N, E: x.E, Scale: x.scale}
				return s.Forward(ctx, q, x.out, x.E, x.lse)
			}}
		es = append(es, entry{name: kind, s: &s, k: k})
	}
	m := newMaster(N, E, opt.Seed)
	r := rand.New(rand.NewPCG(opt.Seed, 7))
	rows := r.Perm(N)[:min(opt.Rows, N)]
	slices.Sort(rows)
	meter := newPeakMeter()
	dense := N * (N + 1) / 2
	var out []CostRow
	for _, e := range es {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		row := CostRow{Kind: e.name, Pairs: dense}
		if e.s != nil {
			row.Pairs = e.s.Pairs(N)
		}
		row.PairsFrac = float64(row.Pairs) / float64(dense)
		if need := e.k.need(N, E); need > opt.MemBudget {
			row.Skipped = fmt.Sprintf("needs %s, over the %s budget", bytesString(need), bytesString(opt.MemBudget))
			out = append(out, row)
			continue
		}
		p := Point{Kernel: e.name, N: N}
		x, err := measureKeep(ctx, meter, e.k, m, opt.Repeats, &p)
		if err != nil {
			return nil, err
		}
		row.Time, row.CPU, row.Peak = p.Median, p.CPU, p.Peak
		vis := func(i int, visit func(lo, hi int)) { visit(0, i+1) }
		if e.s != nil {
			vis = e.s.Rows
		}
		row.MaxErr, row.LSEErr = refError(m, x, rows, vis)
		out = append(out, row)
	}
	return out, nil
}

// measureKeep is measure that also returns the run's inputs and outputs.
func measureKeep(ctx context.Context, meter *peakMeter, k kernel, m master, repeats int, p *Point) (*inputs, error) {
	var kept *inputs
	wrapped := k
	wrapped.run = func(ctx context.Context, x *inputs) error {
		kept = x
		return k.run(ctx, x)
	}
	err := measure(ctx, meter, wrapped, m, repeats, p)
	return kept, err
}

// refError compares out and lse on the given query rows with masked dense
// attention in float64 over the keys vis lists.
func refError(m master, x *inputs, rows []int, vis func(i int, visit func(lo, hi int))) (maxErr, lseErr float64) {
	E := x.E
	scale := float64(x.scale)
	d, big := 0.0, 0.0
	for _, i := range rows {
		var js []int
		vis(i, func(lo, hi int) {
			for j := lo; j < hi; j++ {
				js = append(js, j)
			}
		})
		s := make([]float64, len(js))
		mx := math.Inf(-1)
		for n, j := range js {
			for e := range E {
				s[n] += float64(m.q[i*E+e]) * float64(m.k[j*E+e])
			}
			s[n] *= scale
			mx = max(mx, s[n])
		}
		z := 0.0
		for n := range s {
			s[n] = math.Exp(s[n] - mx)
			z += s[n]
		}
		ref := make([]float64, E)
		for n, j := range js {
			for e := range E {
				ref[e] += s[n] / z * float64(m.v[j*E+e])
			}
		}
		for e := range E {
			d = max(d, math.Abs(float64(x.out[i*E+e])-ref[e]))
			big = max(big, math.Abs(ref[e]))
		}
		lseErr = max(lseErr, math.Abs(float64(x.lse[i])-(mx+math.Log(z))))
	}
	return d / big, lseErr
}

// CostTable is SparseCost's table.
func CostTable(rows []CostRow, N, E int) *report.Table {
	col := func(name, unit string) report.Column { return report.Column{Name: name, Unit: unit} }
	detail := func(c report.Column, d int) report.Column { c.Detail = d; return c }
	t := report.NewTable("sparse_cost", fmt.Sprintf("Exactness and cost at N = %d, d_head %d, one causal head", N, E),
		col("kind", ""), col("max_error", ""), detail(col("lse_error", ""), 3), col("flops_vs_dense", ""), detail(col("time", "ms"), 2),
		col("cpu_time", "ms"), detail(col("peak_memory", "MiB"), 1), col("memory_vs_naive", ""), detail(col("pairs", ""), 4), col("skipped", ""))
	var naive int64
	for _, r := range rows {
		if r.Kind == "dense (naive, N×N)" && r.Skipped == "" {
			naive = r.Peak
		}
	}
	for _, r := range rows {
		if r.Skipped != "" {
			t.Add(r.Kind, nil, nil, r.PairsFrac, nil, nil, nil, nil, r.Pairs, r.Skipped)
			continue
		}
		var rel any
		if naive > 0 {
			rel = float64(r.Peak) / float64(naive)
		}
		t.Add(r.Kind, r.MaxErr, r.LSEErr, r.PairsFrac, r.Time.Seconds()*1e3, nanNil(r.CPU.Seconds()*1e3), mib(r.Peak), rel, r.Pairs, "")
	}
	t.Caption = "max_error: max |out − ref| / max |ref| on sampled queries, ref = masked dense attention in float64 over the visible keys; flops_vs_dense: visible pairs / N(N+1)/2; time: wall, cpu_time: all threads (robust on a shared machine); memory measured (peak RSS, the run's own q, k, v, out included)"
	return t
}

// MaskFigures draws which keys each query sees for each kind on T tokens
// (Beltagy et al. 2020, Figure 2, causal): 1 where the key is visible, 0
// where the pattern hides an earlier key, blank for later keys; titled
// with the fraction of the causal mask kept. Per-head dilations draw one
// figure per head.
func MaskFigures(kinds []string, T int) ([]report.Figure, error) {
	var figs []report.Figure
	for _, kind := range kinds {
		var pats []attention.Sparse
		dense := kind == "" || kind == "softmax"
		if !dense {
			sk, err := attention.ParseSparse(kind)
			if err != nil {
				return nil, err
			}
			H := max(len(sk.Dilations), 1)
			for h := range H {
				s, _ := sk.Head(h, H)
				pats = append(pats, s)
			}
		}
		n := max(len(pats), 1)
		for h := range n {
			v := make([]float64, T*T)
			for i := range v {
				v[i] = math.NaN() // the future: blank
			}
			kept := 0
			for i := range T {
				for j := 0; j <= i; j++ {
					v[i*T+j] = 0
					if dense || pats[h].Visible(i, j) {
						v[i*T+j] = 1
						kept++
					}
				}
			}
			name, title := kind, kind
			if dense {
				name, title = "dense", "dense causal"
			}
			if n > 1 {
				name += fmt.Sprintf("_h%d", h)
				title += fmt.Sprintf(", head %d (dilation %d)", h, pats[h].Dilation)
			}
			zero, one := 0.0, 1.0
			figs = append(figs, report.Figure{Name: "mask_" + fileSafe(name) + ".png", Fig: plots.Heatmap{
				Title:  fmt.Sprintf("%s: keeps %.0f%% of causal", title, 100*float64(kept)/float64(T*(T+1)/2)),
				XLabel: fmt.Sprintf("key position (T = %d)", T), YLabel: "query position", ValueLabel: "1 visible, 0 hidden (blank: future)", Rows: T, Cols: T, Values: v,
				Min: &zero, Max: &one, Width: 5.6, Height: 5}})
		}
	}
	return figs, nil
}

// fileSafe turns a kind into a file-name stem ("window:16:d2" → "window16_d2").
func fileSafe(s string) string {
	out := []rune{}
	for i, r := range s {
		switch {
		case r == ':' && i == len("window") || r == ':' && i == len("block-sparse"):
		case r == ':' || r == ',':
			out = append(out, '_')
		default:
			out = append(out, r)
		}
	}
	return string(out)
}
