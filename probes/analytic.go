package probes

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"

	"github.com/attnlab/attnlab/attention"
	"github.com/attnlab/attnlab/internal/membudget"
	"github.com/attnlab/attnlab/plots"
	"github.com/attnlab/attnlab/report"
)

// AnalyticConfig sets up the analytic retrieval probe.
type AnalyticConfig struct {
	Dims   []int     // key dimensions d; default 16, 32, 64
	Ratios []float64 // N/d values swept; default 1/4 … 16 in powers of 2
	Betas  []float64 // softmax inverse temperatures; default √d (per d) and 64
	Maps   []string  // linear feature maps; default elu, relu, favor, taylor, identity
	// Queries is the least number of queries per cell: trials = ⌈Queries/N⌉
	// independent memories are drawn when N is small. Default 512.
	Queries int
	Seed    uint64
}

// DefaultAnalytic returns the defaults documented on AnalyticConfig (Betas
// nil means "√d and 64").
func DefaultAnalytic() AnalyticConfig {
	return AnalyticConfig{Dims: []int{16, 32, 64}, Ratios: []float64{0.25, 0.5, 1, 2, 4, 8, 16},
		Maps: []string{"elu", "relu", "favor", "taylor", "identity"}, Queries: 512, Seed: 1}
}

// AnalyticRow is one cell of the analytic probe.
type AnalyticRow struct {
	Method     string  // "softmax" or "linear:<map>"
	Beta       float64 // softmax inverse temperature; 0 for linear
	D, N       int     // key dimension, associations stored
	StateDim   int     // what the method keeps per query: N·(d+d_v) for softmax, M·d_v + M for linear
	Accuracy   float64 // fraction of queries decoded to their own value
	Queries    int
	FeatureDim int // M for linear maps; 0 for softmax
}

// Label names the row's method for tables and legends.
func (r AnalyticRow) Label() string {
	if r.Method == "softmax" {
		return fmt.Sprintf("softmax β=%.3g", r.Beta)
	}
	return r.Method
}

// Analytic runs the analytic retrieval probe (no training). For each d and
// N it stores N associations k_i → v_i, keys and values independent
// uniformly random unit vectors in d dimensions (d_v = d), queries every
// key, and decodes the output o_i to the nearest value code argmax_c o_i·v_c.
//
//	softmax:  o_i = Σ_j softmax_j(β·k_i·k_j)·v_j
//	linear:   o_i = φ(x_i)ᵀ·S / (φ(x_i)·z),  S = Σ_j φ(x_j)·v_jᵀ, z = Σ_j φ(x_j),  x = √d·k
//
// The linear maps see x = √d·k, whose entries have unit variance as after a
// LayerNorm; favor and taylor then approximate exp(x_i·x_j/√d) =
// exp(√d·k_i·k_j), softmax at β = √d. Softmax keeps all N keys and reads
// them exactly, so a large β retrieves far past N = d; linear attention
// keeps an M×d_v state, and the crosstalk Σ_{j≠i} φ(x_i)·φ(x_j)·v_j grows
// with N until it drowns the signal.
//
// The memory the cells need is checked against the budget before any is
// run, and ctx is checked between cells: a cancelled run returns ctx's
// error.
func Analytic(ctx context.Context, cfg AnalyticConfig) ([]AnalyticRow, error) {
	return AnalyticProgress(ctx, cfg, nil)
}

// analyticCellSpec is one (method, d, N) of the analytic probe.
type analyticCellSpec struct {
	d, n   int
	method string
	beta   float64
}

// analyticCells lists cfg's cells in the order of Analytic's rows.
func analyticCells(cfg AnalyticConfig) []analyticCellSpec {
	var cells []analyticCellSpec
	for _, d := range cfg.Dims {
		betas := cfg.Betas
		if betas == nil {
			betas = []float64{math.Sqrt(float64(d)), 64}
		}
		for _, ratio := range cfg.Ratios {
			n := max(1, int(math.Round(ratio*float64(d))))
			for _, b := range betas {
				cells = append(cells, analyticCellSpec{d, n, "softmax", b})
			}
			for _, m := range cfg.Maps {
				cells = append(cells, analyticCellSpec{d, n, "linear:" + m, 0})
			}
		}
	}
	return cells
}

// work estimates a cell's multiply-adds, for progress: per trial, softmax
// scores, weights and outputs (2·n²·d), linear features, state and
// readout (3·n·M·d), and decoding every query against the n value codes
// (n²·d). It assumes the map's name is valid (CheckAnalytic).
func (c analyticCellSpec) work(cfg AnalyticConfig) int {
	trials := max(1, (max(cfg.Queries, 1)+c.n-1)/c.n)
	per := 3 * c.n * c.n * c.d
	if c.method != "softmax" {
		m := c.d
		if fm, err := attention.NewFeatureMap(c.method[len("linear:"):]); err == nil {
			m = fm.Dim(c.d)
		}
		per = 3*c.n*m*c.d + c.n*c.n*c.d
	}
	return trials * per
}

// AnalyticWork is the estimated work of Analytic on cfg, in the units
// AnalyticProgress reports (multiply-adds; an estimate, for time-left
// reports).
func AnalyticWork(cfg AnalyticConfig) int {
	w := 0
	for _, c := range analyticCells(cfg) {
		w += c.work(cfg)
	}
	return w
}

// AnalyticProgress is Analytic, calling tick (when not nil; from several
// goroutines, so it must be safe for concurrent use) with each cell's
// estimated work as the cell completes: the ticks add up to
// AnalyticWork(cfg).
func AnalyticProgress(ctx context.Context, cfg AnalyticConfig, tick func(work int)) ([]AnalyticRow, error) {
	cells := analyticCells(cfg)
	if err := CheckAnalytic(cfg); err != nil {
		return nil, err
	}
	workers := runtime.GOMAXPROCS(0)
	rows := make([]AnalyticRow, len(cells))
	var wg sync.WaitGroup
	next := make(chan int)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				c := cells[i]
				rows[i] = analyticCell(cfg, c.method, c.beta, c.d, c.n)
				if tick != nil {
					tick(c.work(cfg))
				}
			}
		}()
	}
	var err error
	for i := range cells {
		if err = ctx.Err(); err != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if err != nil {
		return nil, err
	}
	return rows, nil
}

// analyticCell measures one (method, d, N); its random draws depend only on
// (Seed, d, N), so every method sees the same memories.
func analyticCell(cfg AnalyticConfig, method string, beta float64, d, n int) AnalyticRow {
	trials := max(1, (max(cfg.Queries, 1)+n-1)/n)
	r := rand.New(rand.NewPCG(cfg.Seed, uint64(d)<<32|uint64(n)))
	row := AnalyticRow{Method: method, Beta: beta, D: d, N: n}
	var fm attention.FeatureMap
	if method != "softmax" {
		var err error
		if fm, err = attention.NewFeatureMap(method[len("linear:"):]); err != nil {
			panic(err) // names come from the command, checked there
		}
		row.FeatureDim = fm.Dim(d)
		row.StateDim = row.FeatureDim*d + row.FeatureDim
	} else {
		row.StateDim = 2 * n * d
	}
	keys, vals, out := make([]float64, n*d), make([]float64, n*d), make([]float64, n*d) // [N, d] each
	correct := 0
	for range trials {
		unitRows(r, keys, n, d)
		unitRows(r, vals, n, d)
		if fm == nil {
			softmaxRecall(out, keys, vals, beta, n, d)
		} else {
			linearRecall(out, fm, keys, vals, n, d)
		}
		for i := range n {
			best, arg := math.Inf(-1), -1
			for c := range n {
				if s := dotf(out[i*d:(i+1)*d], vals[c*d:(c+1)*d]); s > best {
					best, arg = s, c
				}
			}
			if arg == i {
				correct++
			}
		}
	}
	row.Queries = trials * n
	row.Accuracy = float64(correct) / float64(row.Queries)
	return row
}

// unitRows fills x [n, d] with independent uniform unit vectors.
func unitRows(r *rand.Rand, x []float64, n, d int) {
	for i := range n {
		v := x[i*d : (i+1)*d]
		for e := range v {
			v[e] = r.NormFloat64()
		}
		s := 1 / math.Sqrt(dotf(v, v))
		for e := range v {
			v[e] *= s
		}
	}
}

func dotf(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// softmaxRecall: out_i = Σ_j softmax_j(β k_i·k_j) v_j (all keys visible).
func softmaxRecall(out, keys, vals []float64, beta float64, n, d int) {
	w := make([]float64, n)
	for i := range n {
		q := keys[i*d : (i+1)*d]
		mx := math.Inf(-1)
		for j := range n {
			w[j] = beta * dotf(q, keys[j*d:(j+1)*d])
			mx = max(mx, w[j])
		}
		sum := 0.0
		for j := range w {
			w[j] = math.Exp(w[j] - mx)
			sum += w[j]
		}
		o := out[i*d : (i+1)*d]
		clear(o)
		for j, wj := range w {
			for e := range o {
				o[e] += wj / sum * vals[j*d+e]
			}
		}
	}
}

// linearRecall fills the state with every pair, then reads each query.
func linearRecall(out []float64, fm attention.FeatureMap, keys, vals []float64, n, d int) {
	st := attention.NewLinearState(fm, d, d)
	x, phi := make([]float64, d), make([]float64, st.M)
	scale := math.Sqrt(float64(d))
	for j := range n {
		for e := range d {
			x[e] = keys[j*d+e] * scale
		}
		fm.Map(phi, x, false)
		for m, p := range phi {
			st.Z[m] += p
			for c := range d {
				st.S[m*d+c] += p * vals[j*d+c]
			}
		}
	}
	for i := range n {
		for e := range d {
			x[e] = keys[i*d+e] * scale
		}
		fm.Map(phi, x, true)
		o := out[i*d : (i+1)*d]
		clear(o)
		s := 0.0
		for m, p := range phi {
			s += p * st.Z[m]
			for c := range d {
				o[c] += p * st.S[m*d+c]
			}
		}
		dn := s + math.Copysign(attention.LinearEps, s)
		if s == 0 {
			dn = attention.LinearEps
		}
		for c := range o {
			o[c] /= dn
		}
	}
}

// AnalyticTable is analytic.csv: one row per (method, d, N).
func AnalyticTable(rows []AnalyticRow) *report.Table {
	t := report.NewTable("analytic", "Analytic recall: N random unit key→value pairs in d dims, every key queried",
		report.Column{Name: "method"}, report.Column{Name: "beta"}, report.Column{Name: "feature_dim"},
		report.Column{Name: "d"}, report.Column{Name: "n"}, report.Column{Name: "n_over_d", Format: "%.2f"},
		report.Column{Name: "state_floats"}, report.Column{Name: "queries"},
		report.Column{Name: "accuracy", Format: "%.3f"})
	for _, r := range rows {
		t.Add(r.Method, r.Beta, r.FeatureDim, r.D, r.N, float64(r.N)/float64(r.D), r.StateDim, r.Queries, r.Accuracy)
	}
	t.Caption = "linear maps see x = √d·k; softmax keeps all N keys (state grows with N), linear a fixed M×d_v state"
	return t
}

// AnalyticSummary is the terminal table: accuracy at N = d/2, d, 4d, 16d
// per method (rows) for each d.
func AnalyticSummary(rows []AnalyticRow) *report.Table {
	ratios := []float64{0.5, 1, 4, 16}
	cols := []report.Column{{Name: "method"}, {Name: "d"}}
	for _, x := range ratios {
		cols = append(cols, report.Column{Name: fmt.Sprintf("acc@N=%gd", x), Format: "%.2f"})
	}
	t := report.NewTable("analytic_summary", "Analytic recall accuracy (fraction of keys retrieved)", cols...)
	type key struct {
		label string
		d     int
	}
	acc := map[key]map[float64]float64{}
	var order []key
	for _, r := range rows {
		k := key{r.Label(), r.D}
		if acc[k] == nil {
			acc[k] = map[float64]float64{}
			order = append(order, k)
		}
		acc[k][float64(r.N)/float64(r.D)] = r.Accuracy
	}
	for _, k := range order {
		cells := []any{k.label, k.d}
		for _, x := range ratios {
			var v any // not measured: not applicable
			if a, ok := acc[k][x]; ok {
				v = a
			}
			cells = append(cells, v)
		}
		t.Add(cells...)
	}
	return t
}

// AnalyticCharts draws accuracy vs N (log x, ticks at the measured N), one
// chart per d: a line with markers per method (markers of different shapes
// keep the methods that all sit at 1.0 apart), N = d marked, the accuracy
// of a random guess among the N values (1/N), the legend beside the data.
func AnalyticCharts(rows []AnalyticRow) map[int]plots.LineChart {
	charts := map[int]plots.LineChart{}
	idx := map[string]int{}
	zero, top := 0.0, 1.04
	for _, r := range rows {
		c, ok := charts[r.D]
		if !ok {
			c = plots.LineChart{Title: fmt.Sprintf("Analytic recall, d = %d (no training)", r.D),
				XLabel: "associations stored N (log scale)", YLabel: "retrieval accuracy (fraction)", LogX: true,
				VLines: []plots.VLine{{X: float64(r.D), Label: "N = d"}}, Height: 4.5, Width: 8,
				Markers: true, Legend: plots.LegendRight, YMin: &zero, YMax: &top}
		}
		key := fmt.Sprint(r.D, r.Label())
		i, ok := idx[key]
		if !ok {
			i = len(c.Series)
			idx[key] = i
			c.Series = append(c.Series, plots.Series{Name: r.Label(), Dashed: r.Method == "softmax"})
		}
		c.Series[i].X = append(c.Series[i].X, float64(r.N))
		c.Series[i].Y = append(c.Series[i].Y, r.Accuracy)
		if !slices.Contains(c.XTicks, float64(r.N)) {
			c.XTicks = append(c.XTicks, float64(r.N))
		}
		charts[r.D] = c
	}
	for d, c := range charts {
		slices.Sort(c.XTicks)
		guess := plots.Series{Name: "random guess (1/N)", X: c.XTicks, Reference: true}
		for _, n := range c.XTicks {
			guess.Y = append(guess.Y, 1/n)
		}
		c.Series = append(c.Series, guess)
		charts[d] = c
	}
	return charts
}

// CheckFeatureMap returns an error naming name when it is not a linear
// feature map the engine knows (elu, relu, favor, favor:M, taylor, identity).
func CheckFeatureMap(name string) error {
	_, err := attention.NewFeatureMap(name)
	return err
}

// AnalyticResults returns analytic.csv, the terminal summary and
// analytic_d{d}.png for each key dimension of cfg.
func AnalyticResults(cfg AnalyticConfig, rows []AnalyticRow) report.Results {
	r := report.Results{Tables: []*report.Table{AnalyticTable(rows)}, Headline: []*report.Table{AnalyticSummary(rows)}}
	charts := AnalyticCharts(rows)
	for _, d := range cfg.Dims {
		r.Figures = append(r.Figures, report.Figure{Name: fmt.Sprintf("analytic_d%d.png", d), Fig: charts[d]})
	}
	return r
}

// CheckAnalytic checks the memory Analytic(cfg) needs against the budget:
// each of GOMAXPROCS workers holds one cell's keys, values and outputs
// [N, d] and, for a linear map, its state [M, d] and features [M].
func CheckAnalytic(cfg AnalyticConfig) error {
	var worst int64
	for _, d := range cfg.Dims {
		for _, ratio := range cfg.Ratios {
			n := max(1, int(math.Min(math.Round(ratio*float64(d)), math.MaxInt32)))
			var est membudget.Estimate
			est.Add(8*3, n, d)
			for _, m := range cfg.Maps {
				fm, err := attention.NewFeatureMap(m)
				if err != nil {
					return fmt.Errorf("probes: %w", err)
				}
				est.Add(8, fm.Dim(d), d+2)
			}
			worst = max(worst, est.Bytes())
		}
	}
	need := membudget.Bytes(int(min(worst, math.MaxInt64/1024)), runtime.GOMAXPROCS(0))
	if worst >= math.MaxInt64/1024 {
		need = math.MaxInt64
	}
	if err := membudget.Check(fmt.Sprintf("the analytic probe at d = %d", slices.Max(append([]int{0}, cfg.Dims...))), need); err != nil {
		return fmt.Errorf("probes: %w", err)
	}
	return nil
}
