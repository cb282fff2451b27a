package main

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/plots"
	"github.com/attnlab/attnlab/report"
	"github.com/attnlab/attnlab/sinks"
	"github.com/attnlab/attnlab/tasks"
	"github.com/attnlab/attnlab/train"
	"github.com/spf13/cobra"
)

type sinkOpts struct {
	outFlags
	mf                  modelFlags
	eps                 float64
	k, guLen            int
	batch, seqLen       int
	streaming           bool
	streamLen, nStreams int
	window              int
	sweep               string
	compare             bool
	compareDir          string
	steps               int
}

func newSinkCmd(e *env) *cobra.Command {
	o := &sinkOpts{}
	c := &cobra.Command{
		Use:   "sink-analysis",
		Short: "Attention sinks: first-token mass per head, why they form, what a StreamingLLM cache buys",
		Long: `Measure attention sinks on held-out byte-level text (the Go standard library's
validation files): first-token attention α per head and per query position, Gu et
al.'s Sink_k^ε (fraction of heads whose α_k exceeds ε), the first token's value norm
against the others', residual-stream norms of the first token per layer (massive
activations), and the sink left when the first token is replaced or removed.

--streaming evaluates streaming KV-cache policies one token at a time on a stream
several times longer than n_ctx (Xiao et al. 2023): dense, window, window with
re-computation, and sinks + window (S = 1, 2, 4), with rotary positions assigned
within the cache (StreamingLLM) or by text position, and a window-size sweep.

--compare trains one model per attention variant (softmax, softmax1, a learnable
sink slot, sigmoid, softmax with a dedicated sink token) with the same budget, or
loads them from --compare-dir, and reports their sinks and validation loss.

Without --model it uses the embedded rotary byte-level text model
(embedded:text-sink, trained with a dedicated sink token; embedded:text-rotary is
the control without one).`,
		Example: `  attnlab sink-analysis
  attnlab sink-analysis --streaming --stream-len 512 --window 64
  attnlab sink-analysis --compare --compare-dir attnlab-out/variants
  attnlab sink-analysis --model m.safetensors --epsilon 0.2 --json`,
		Args: cobra.NoArgs,
		RunE: func(_ *cobra.Command, _ []string) error { return runSinks(e, o) },
	}
	o.outFlags.add(c, "attnlab-out/sink-analysis")
	o.mf.add(c, "weights file of a byte-level text model (default: the embedded sink-token text model, embedded:text-sink)")
	f := c.Flags()
	f.Float64Var(&o.eps, "epsilon", 0.3, "Sink_k^ε threshold: a head is a sink head when its α_k exceeds it (Gu et al.)")
	f.IntVar(&o.k, "k", 1, "Gu et al.'s token index k (one-based; 1 is the first token)")
	f.IntVar(&o.guLen, "gu-len", 64, "positions Gu et al.'s α_k is computed on (at most --seq-len)")
	f.IntVar(&o.batch, "batch", 16, "held-out windows to measure on")
	f.IntVar(&o.seqLen, "seq-len", 0, "window length; default the model's n_ctx")
	f.BoolVar(&o.streaming, "streaming", false, "evaluate streaming cache policies (streaming.csv, streaming_loss.png)")
	f.IntVar(&o.streamLen, "stream-len", 0, "tokens per stream; default 8 × n_ctx")
	f.IntVar(&o.nStreams, "streams", 2, "streams to average over (consecutive stretches of held-out text)")
	f.IntVar(&o.window, "window", 0, "cache size W of the policy comparison; default n_ctx")
	f.StringVar(&o.sweep, "windows", "", "comma-separated cache sizes of the sweep; default n_ctx/8, n_ctx/4, n_ctx/2, n_ctx")
	f.BoolVar(&o.compare, "compare", false, "train (or load) one model per attention variant and compare their sinks")
	f.StringVar(&o.compareDir, "compare-dir", "", "with --compare: load <variant>.safetensors from here when present, else train and save it here")
	f.IntVar(&o.steps, "steps", 3000, "with --compare: training steps per variant (3000: the embedded model's recipe)")
	return c
}

func runSinks(e *env, o *sinkOpts) error {
	switch {
	case math.IsNaN(o.eps) || o.eps <= 0 || o.eps >= 1:
		return usagef("--epsilon must be between 0 and 1, got %v", o.eps)
	case o.batch < 1:
		return usagef("--batch must be a positive integer, got %d", o.batch)
	case o.k < 1:
		return usagef("--k must be at least 1 (one-based), got %d", o.k)
	case o.nStreams < 1:
		return usagef("--streams must be a positive integer, got %d", o.nStreams)
	case o.steps < 1:
		return usagef("--steps must be a positive integer, got %d", o.steps)
	case o.seqLen < 0 || o.streamLen < 0 || o.window < 0 || o.guLen < 1:
		return usagef("--seq-len, --stream-len, --window and --gu-len must be positive")
	}
	m, name, err := o.mf.load("text-sink")
	if err != nil {
		return err
	}
	c := m.Config
	if c.DVocab < 256 {
		return usagef("sink-analysis needs a byte-level text model (d_vocab ≥ 256); %s has d_vocab %d", name, c.DVocab)
	}
	T := o.seqLen
	if T == 0 {
		T = c.NCtx
	}
	if T < 2 || T > c.NCtx {
		return usagef("--seq-len must be between 2 and the model's n_ctx (%d), got %d", c.NCtx, T)
	}
	if o.k > min(o.guLen, T) {
		return usagef("--k (%d) must be at most --gu-len and --seq-len (%d)", o.k, min(o.guLen, T))
	}
	sinkTok := strings.HasSuffix(m.Meta["task"], "+sink")
	corpus, err := tasks.DefaultCorpus()
	if err != nil {
		return err
	}
	tokens := heldOut(corpus, o.batch, T, sinkTok, o.seed)
	rep, err := sinks.Analyze(m, tokens, o.batch, T, sinks.Options{Eps: o.eps, K: o.k, GuLen: min(o.guLen, T)})
	if err != nil {
		return err
	}
	res := results{model: name, extra: map[string]any{"sink_token": sinkTok, "seq_len": T, "batch": o.batch}}
	res.tables = rep.Tables()
	// summary, per-head mass, residual norms and the first-token replacement
	res.headline = append(append([]*report.Table{}, res.tables[:2]...), res.tables[3:5]...)
	res.figures = sinkFigures(rep, name)
	if o.streaming {
		if err := streamingResults(e, o, m, corpus, sinkTok, &res); err != nil {
			return err
		}
	}
	if o.compare {
		if err := compareResults(e, o, m, corpus, &res); err != nil {
			return err
		}
	}
	return e.finish(o.outFlags, res)
}

// heldOut draws B held-out windows of T bytes; for a model trained with a
// dedicated sink token each window starts with it.
func heldOut(corpus *tasks.TextCorpus, B, T int, sinkTok bool, seed uint64) []int32 {
	r := rand.New(rand.NewPCG(seed, 0x5171))
	if !sinkTok {
		return corpus.ValSample(r, B, T).Tokens
	}
	b := corpus.ValSample(r, B, T-1)
	var toks []int32
	for i := range B {
		row, _, _ := b.Row(i)
		toks = append(append(toks, sinks.SinkTokenID), row...)
	}
	return toks
}

func sinkFigures(r *sinks.Report, name string) []figure {
	vals := make([]float64, 0, r.L*r.H)
	rows, cols := make([]string, r.L), make([]string, r.H)
	for l := range r.L {
		rows[l] = fmt.Sprintf("L%d", l)
		vals = append(vals, r.Alpha[l]...)
	}
	for h := range r.H {
		cols[h] = fmt.Sprintf("H%d", h)
	}
	lo, hi := 0.0, 1.0
	heat := plots.Heatmap{Title: "First-token attention α per head (" + name + ")", XLabel: "head", YLabel: "layer",
		ValueLabel: "α: mean attention to position 0 (fraction)", Rows: r.L, Cols: r.H, Values: vals,
		RowLabels: rows, ColLabels: cols, CellText: true, CellFormat: "%.3f", Min: &lo, Max: &hi}
	// The heads with the largest α, few enough to tell apart (the CSV has all).
	type head struct{ l, h int }
	var heads []head
	for l := range r.L {
		for h := range r.H {
			heads = append(heads, head{l, h})
		}
	}
	slices.SortStableFunc(heads, func(a, b head) int { return cmp.Compare(r.Alpha[b.l][b.h], r.Alpha[a.l][a.h]) })
	heads = heads[:min(len(heads), 6)]
	lines := plots.LineChart{Title: fmt.Sprintf("First-token attention by query position (top %d heads by α)", len(heads)),
		XLabel: "query position i (tokens)", YLabel: "attention to position 0 (fraction)", LogX: true}
	for _, hd := range heads {
		var xs, ys []float64
		for i := 1; i < r.T; i++ {
			xs, ys = append(xs, float64(i)), append(ys, r.ByPos[hd.l][hd.h][i])
		}
		lines.Series = append(lines.Series, plots.Series{Name: plots.HeadLabel(hd.l, hd.h), X: xs, Y: ys})
	}
	var ux, uy []float64
	for i := 1; i < r.T; i++ {
		ux, uy = append(ux, float64(i)), append(uy, 1/float64(i+1))
	}
	lines.Series = append(lines.Series, plots.Series{Name: "uniform 1/(i+1)", X: ux, Y: uy, Dashed: true})
	return []figure{{"sink_heatmap.png", heat.Render}, {"sink_by_position.png", lines.Render}}
}

// parseWindows reads --windows, or the default sweep.
func parseWindows(s string, nctx int) ([]int, error) {
	if s == "" {
		var ws []int
		for _, d := range []int{8, 4, 2, 1} {
			if nctx/d >= 2 {
				ws = append(ws, nctx/d)
			}
		}
		return ws, nil
	}
	var ws []int
	for _, f := range strings.Split(s, ",") {
		w, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || w < 2 || w > nctx {
			return nil, usagef("--windows must list cache sizes between 2 and n_ctx (%d), got %q", nctx, f)
		}
		ws = append(ws, w)
	}
	return ws, nil
}

func streamingResults(e *env, o *sinkOpts, m *model.Model, corpus *tasks.TextCorpus, sinkTok bool, res *results) error {
	c := m.Config
	W := o.window
	if W == 0 {
		W = c.NCtx
	}
	if W < 5 || W > c.NCtx {
		return usagef("--window must be between 5 and the model's n_ctx (%d), got %d", c.NCtx, W)
	}
	ws, err := parseWindows(o.sweep, c.NCtx)
	if err != nil {
		return err
	}
	N := o.streamLen
	if N == 0 {
		N = 8 * c.NCtx
	}
	if N < 2 {
		return usagef("--stream-len must be at least 2, got %d", N)
	}
	text := corpus.Stream(tasks.Val, o.nStreams*N)
	if len(text) < o.nStreams*N {
		return fmt.Errorf("the held-out text has %d bytes, fewer than --streams × --stream-len = %d", len(text), o.nStreams*N)
	}
	var streams [][]int32
	for i := range o.nStreams {
		s := text[i*N : (i+1)*N]
		if sinkTok {
			s = append([]int32{sinks.SinkTokenID}, s[:N-1]...)
		}
		streams = append(streams, s)
	}
	if !o.quiet {
		fmt.Fprintf(e.stderr, "streaming: %d streams of %d tokens, cache %d, sweep %v\n", o.nStreams, N, W, ws)
	}
	policies, swept := sinks.DefaultPolicies(W), sinks.SweepPolicies(ws)
	if sinkTok {
		// The model was trained on windows that start with the sink token:
		// re-computation in its training distribution keeps it in front.
		policies = append(policies, sinks.Policy{Kind: sinks.Recompute, Window: W, Sinks: 1})
		for i, p := range swept {
			if p.Kind == sinks.Recompute {
				swept[i].Sinks = 1
			}
		}
	}
	main, err := sinks.Stream(m, streams, policies)
	if err != nil {
		return err
	}
	sweep, err := sinks.Stream(m, streams, swept)
	if err != nil {
		return err
	}
	tb := sinks.StreamTable("streaming", fmt.Sprintf("Streaming KV-cache policies, cache W = %d, %d × %d tokens", W, o.nStreams, N), main)
	sw := sinks.StreamTable("streaming_sweep", "Window-size sweep (cache positions)", sweep)
	res.tables = append(res.tables, tb, sw)
	res.headline = append(res.headline, tb)
	res.figures = append(res.figures, figure{"streaming_loss.png", streamLossChart(main, W).Render},
		figure{"streaming_sweep.png", sweepChart(sweep).Render})
	return nil
}

// streamLossChart plots loss against position (mean over blocks of 32
// positions) for dense, recompute, window and sinks4+window under both
// position schemes.
func streamLossChart(rs []sinks.StreamResult, W int) plots.LineChart {
	const blk = 32
	ch := plots.LineChart{Title: fmt.Sprintf("Streaming loss by position (cache W = %d)", W), XLabel: fmt.Sprintf("position in the stream (tokens); grey line: cache full at %d, eviction starts", W),
		YLabel: fmt.Sprintf("next-token loss (nats, mean of %d positions)", blk), Height: 5,
		VLines: []plots.VLine{{X: float64(W)}}}
	for _, r := range rs {
		p := r.Policy
		if (p.Kind == sinks.SinkCache && p.Sinks != 4) || (p.Kind == sinks.Window && p.Scheme == model.TextPositions) {
			continue
		}
		var xs, ys []float64
		for i := 0; i+blk <= len(r.Loss); i += blk {
			s := 0.0
			for _, v := range r.Loss[i : i+blk] {
				s += v
			}
			xs, ys = append(xs, float64(i+blk/2)), append(ys, s/blk)
		}
		name := p.Name()
		if p.SchemeName() != "-" {
			name += " (" + p.SchemeName() + " pos.)"
		}
		ch.Series = append(ch.Series, plots.Series{Name: name, X: xs, Y: ys, Dashed: p.Scheme == model.TextPositions})
	}
	return ch
}

func sweepChart(rs []sinks.StreamResult) plots.LineChart {
	ch := plots.LineChart{Title: "Perplexity beyond n_ctx by cache size", XLabel: "cache size W (tokens)",
		YLabel: "perplexity (exp of mean loss in nats)", LogX: true}
	idx := map[string]int{}
	for _, r := range rs {
		n := r.Policy.Name()
		i, ok := idx[n]
		if !ok {
			i = len(ch.Series)
			idx[n] = i
			ch.Series = append(ch.Series, plots.Series{Name: n})
		}
		ch.Series[i].X = append(ch.Series[i].X, float64(r.Policy.Window))
		ch.Series[i].Y = append(ch.Series[i].Y, r.PPLLate)
	}
	return ch
}

func compareResults(e *env, o *sinkOpts, m *model.Model, corpus *tasks.TextCorpus, res *results) error {
	base := m.Config
	base.Attention = nil
	base.Seed = o.seed
	opt := sinks.CompareOptions{Base: base, Sinks: sinks.Options{Eps: o.eps, K: o.k, GuLen: min(o.guLen, base.NCtx)},
		Train: train.Options{Steps: o.steps, Batch: 16, LR: 3e-3, WeightDecay: 0.1, Seed: o.seed, EvalEvery: 0},
		Dir:   o.compareDir, Batch: o.batch}
	if !o.quiet {
		opt.Log = func(format string, args ...any) { fmt.Fprintf(e.stderr, format+"\n", args...) }
	}
	rs, err := sinks.Compare(e.ctx, corpus, sinks.Variants(), opt)
	if err != nil {
		return err
	}
	tb := sinks.CompareTable(rs)
	res.tables = append(res.tables, tb)
	res.headline = append(res.headline, tb)
	var labels []string
	var alpha, ratio []float64
	for _, r := range rs {
		labels = append(labels, r.Variant.Name)
		alpha, ratio = append(alpha, r.MaxAlpha), append(ratio, r.Report.SinkK)
	}
	bar := plots.BarChart{Title: "Sinks by attention variant (same architecture and budget)", XLabel: "attention variant",
		YLabel: "fraction", Labels: labels, Groups: []plots.BarGroup{{Name: "largest head α", Values: alpha},
			{Name: fmt.Sprintf("Sink_%d^ε (ε = %g)", o.k, o.eps), Values: ratio}}}
	res.figures = append(res.figures, figure{"variants.png", bar.Render})
	res.extra["compare_dir"] = filepath.Clean(o.compareDir)
	return nil
}
