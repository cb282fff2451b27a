package sinks

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/attnlab/attnlab/internal/membudget"
	"github.com/attnlab/attnlab/model"
)

// Options configure Analyze. Zero fields take the defaults in brackets.
type Options struct {
	Eps    float64    // Sink_k^ε threshold [0.3]
	K      int        // Gu et al.'s token index k, one-based [1]
	GuLen  int        // positions Gu et al.'s α_k is computed on [min(64, T)]
	Metric SinkMetric // how Sink_k^ε aggregates the samples [PerSample, Gu et al.'s code]
	NoSwap bool       // skip the first-token replacement experiment

	// BOS is the token the windows start with (HeldOut's), or none: it
	// names the first token in the tables and the replacement experiment.
	BOS BOS
	// Text says what the windows are, for the tables' captions, e.g.
	// "16 held-out windows of 256 bytes of Go standard library source".
	Text string
}

// SinkMetric is how Sink_k^ε aggregates per-sample scores α_k(b,l,h).
type SinkMetric int

const (
	// PerSample thresholds each sample's score, then averages over samples,
	// layers and heads, as Gu et al.'s code does (SinkRate).
	PerSample SinkMetric = iota
	// HeadMean averages each head's score over the samples, then counts the
	// heads above ε (SinkHeads).
	HeadMean
)

// SinkMetrics are the metrics' names, as ParseSinkMetric reads them.
var SinkMetrics = []string{"per-sample", "head-mean"}

// String is the metric's name ("per-sample", "head-mean").
func (s SinkMetric) String() string {
	if s < 0 || int(s) >= len(SinkMetrics) {
		return fmt.Sprintf("SinkMetric(%d)", int(s))
	}
	return SinkMetrics[s]
}

// ParseSinkMetric returns the metric called name.
func ParseSinkMetric(name string) (SinkMetric, error) {
	if i := slices.Index(SinkMetrics, name); i >= 0 {
		return SinkMetric(i), nil
	}
	return 0, fmt.Errorf("sinks: unknown Sink_k^ε aggregation %q (want %s)", name, strings.Join(SinkMetrics, " or "))
}

// Report holds the sink metrics of one model on one batch.
type Report struct {
	L, H, T, B int
	Eps        float64
	K, GuLen   int
	BOS        BOS    // the windows' first token (Options.BOS)
	Text       string // what the windows are (Options.Text)

	Alpha   [][]float64   // [L][H] first-token mass α(l,h)
	ByPos   [][][]float64 // [L][H][T] α(l,h,i)
	GuAlpha [][]float64   // [L][H] ᾱ_k(l,h): Gu et al.'s α_k averaged over the samples
	GuRate  [][]float64   // [L][H] fraction of samples whose α_k(b,l,h) > ε (each head's share of SinkRate)
	SinkK   float64       // Sink_k^ε by Metric
	Metric  SinkMetric    // how SinkK aggregates the samples
	// SinkRate and SinkHeads are Sink_k^ε both ways: per sample as Gu et
	// al.'s code (SinkRate), and over heads' sample means (SinkHeads).
	SinkRate, SinkHeads float64
	RowSum              [][]float64 // [L][H] attention on real keys per query (1 for softmax; see RowSum)

	ValueFirst, ValueRest [][]float64 // [L][H] ‖v₀‖ and mean ‖vᵢ‖, i ≥ 1
	ResidFirst, ResidRest []float64   // [L+1] residual norm at position 0 and mean over i ≥ 1; index L is the final stream
	MaxFirst, MaxRest     []float64   // [L+1] largest |activation| at position 0 and (mean) at i ≥ 1 (MassiveActivation)
	MaxDim                []int       // [L+1] the dimension of position 0's largest activation
	Loss                  float64     // mean next-token loss on the batch (nats)

	Swaps []Swap // first-token replacement experiment
}

// Swap is one row of the first-token replacement experiment: the first
// token replaced (or removed) in every sequence, and the sink it leaves.
type Swap struct {
	Name      string
	MeanAlpha float64 // α averaged over every head
	MaxAlpha  float64 // the largest head's α
	MaxHead   string  // that head, "L3H2"
	SinkK     float64 // Sink_k^ε (Options.Metric)
}

// Analyze runs m on tokens [B, T] (held-out text, one window per row) and
// measures its sinks. It stops early with ctx's error when ctx is done.
func Analyze(ctx context.Context, m *model.Model, tokens []int32, B, T int, opt Options) (*Report, error) {
	c := m.Config
	if opt.Eps == 0 {
		opt.Eps = 0.3
	}
	if opt.K == 0 {
		opt.K = 1
	}
	if opt.GuLen == 0 {
		opt.GuLen = min(64, T)
	}
	if T < 2 || len(tokens) != B*T {
		return nil, fmt.Errorf("sinks: need B·T tokens with T ≥ 2, got %d for [%d, %d]", len(tokens), B, T)
	}
	if opt.GuLen > T || opt.K < 1 || opt.K > opt.GuLen {
		return nil, fmt.Errorf("sinks: k = %d must lie in [1, %d] and the Gu length %d be at most T = %d", opt.K, opt.GuLen, opt.GuLen, T)
	}
	if math.IsNaN(opt.Eps) || opt.Eps <= 0 || opt.Eps >= 1 {
		return nil, fmt.Errorf("sinks: ε must lie in (0, 1), got %v", opt.Eps)
	}
	if opt.Metric != PerSample && opt.Metric != HeadMean {
		return nil, fmt.Errorf("sinks: unknown Sink_k^ε aggregation %v", opt.Metric)
	}
	L, H, E, D := c.NLayers, c.NHeads, c.DHead, c.DModel
	// The forward's workspace and the activations cached for the metrics:
	// patterns, values, residual streams (and the variant runs, one at a
	// time, of the same size).
	var est membudget.Estimate
	est.AddBytes(m.WorkspaceBytes(B, T))
	est.Add(4, L, B, H, T, T)
	est.Add(4, L, B, T, H*E)
	est.Add(4, L+1, B, T, D)
	if err := est.Check(fmt.Sprintf("the sink analysis of %d windows × %d tokens", B, T)); err != nil {
		return nil, fmt.Errorf("sinks: %w", err)
	}
	r := &Report{L: L, H: H, T: T, B: B, Eps: opt.Eps, K: opt.K, GuLen: opt.GuLen, Metric: opt.Metric, BOS: opt.BOS, Text: opt.Text}
	var guSamples [][][]float64 // [L][B][H]
	var names []string
	for l := range L {
		names = append(names, model.HookPattern(l), model.HookV(l), model.HookResidPre(l))
	}
	names = append(names, model.HookResidPost(L-1))
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out, err := m.Run(tokens, B, T, model.RunOptions{CacheNames: names, Context: ctx})
	if err != nil {
		return nil, err
	}
	r.Loss = mean(out.Losses.Data)
	for l := range L {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		a, bp, err := FirstTokenMass(out.Cache[model.HookPattern(l)].Data, B, H, T)
		if err != nil {
			return nil, err
		}
		gs, err := GuAlphaSamples(out.Cache[model.HookPattern(l)].Data, B, H, T, opt.K, opt.GuLen)
		if err != nil {
			return nil, err
		}
		g := MeanOverSamples(gs)
		guSamples = append(guSamples, gs)
		rate := make([]float64, H)
		for h := range H {
			n := 0
			for b := range B {
				if gs[b][h] > opt.Eps {
					n++
				}
			}
			rate[h] = float64(n) / float64(B)
		}
		r.GuRate = append(r.GuRate, rate)
		rs, err := RowSum(out.Cache[model.HookPattern(l)].Data, B, H, T)
		if err != nil {
			return nil, err
		}
		r.RowSum = append(r.RowSum, rs)
		vf, vr, err := ValueNorms(out.Cache[model.HookV(l)].Data, B, T, H, E)
		if err != nil {
			return nil, err
		}
		if err := r.addResid(out.Cache[model.HookResidPre(l)].Data, B, T, D); err != nil {
			return nil, err
		}
		r.Alpha, r.ByPos, r.GuAlpha = append(r.Alpha, a), append(r.ByPos, bp), append(r.GuAlpha, g)
		r.ValueFirst, r.ValueRest = append(r.ValueFirst, vf), append(r.ValueRest, vr)
	}
	if err := r.addResid(out.Cache[names[len(names)-1]].Data, B, T, D); err != nil {
		return nil, err
	}
	r.SinkRate, r.SinkHeads = SinkRate(guSamples, opt.Eps), SinkHeads(r.GuAlpha, opt.Eps)
	r.SinkK = opt.Metric.pick(r.SinkRate, r.SinkHeads)
	if !opt.NoSwap {
		if r.Swaps, err = swaps(ctx, m, tokens, B, T, opt); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// addResid appends one residual stream's norms and largest activations.
func (r *Report) addResid(resid []float32, B, T, D int) error {
	rf, rr, err := ResidNorms(resid, B, T, D)
	if err != nil {
		return err
	}
	mf, mr, dim, err := MassiveActivation(resid, B, T, D)
	if err != nil {
		return err
	}
	r.ResidFirst, r.ResidRest = append(r.ResidFirst, rf), append(r.ResidRest, rr)
	r.MaxFirst, r.MaxRest, r.MaxDim = append(r.MaxFirst, mf), append(r.MaxRest, mr), append(r.MaxDim, dim)
	return nil
}

// swaps measures the sink each first token leaves: the windows as given,
// without their first token (each starts at its second), and with it
// replaced by a newline, a space and byte 0 (the BOS of the embedded
// models; a token a model without one never saw), skipping a replacement
// equal to the BOS.
func swaps(ctx context.Context, m *model.Model, tokens []int32, B, T int, opt Options) ([]Swap, error) {
	type variant struct {
		name string
		tok  int32 // −2: as given, −1: drop the first token
	}
	first, drop := "first byte of the text (no BOS)", "second byte first (first byte removed)"
	if opt.BOS.On {
		first, drop = "BOS "+opt.BOS.String(), "no BOS (the text alone)"
	}
	vs := []variant{{first + ", as measured", -2}, {drop, -1}}
	for _, v := range []variant{{`newline "\n"`, '\n'}, {`space " "`, ' '}, {"byte 0", 0}} {
		if int(v.tok) < m.Config.DVocab && (!opt.BOS.On || v.tok != opt.BOS.Token) {
			vs = append(vs, v)
		}
	}
	var res []Swap
	for _, v := range vs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		toks, t := slices.Clone(tokens), T
		switch {
		case v.tok == -1:
			toks, t = make([]int32, 0, B*(T-1)), T-1
			for b := range B {
				toks = append(toks, tokens[b*T+1:(b+1)*T]...)
			}
		case v.tok >= 0:
			for b := range B {
				toks[b*T] = v.tok
			}
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		s, err := quickMass(m, toks, B, t, opt)
		if err != nil {
			return nil, err
		}
		s.Name = v.name
		res = append(res, s)
	}
	return res, nil
}

func quickMass(m *model.Model, tokens []int32, B, T int, opt Options) (Swap, error) {
	var names []string
	for l := range m.Config.NLayers {
		names = append(names, model.HookPattern(l))
	}
	out, err := m.Run(tokens, B, T, model.RunOptions{CacheNames: names})
	if err != nil {
		return Swap{}, err
	}
	s := Swap{}
	var gu [][]float64
	var guS [][][]float64
	n := 0
	for l := range m.Config.NLayers {
		a, _, err := FirstTokenMass(out.Cache[model.HookPattern(l)].Data, B, m.Config.NHeads, T)
		if err != nil {
			return s, err
		}
		gs, err := GuAlphaSamples(out.Cache[model.HookPattern(l)].Data, B, m.Config.NHeads, T, opt.K, min(opt.GuLen, T))
		if err != nil {
			return s, err
		}
		gu, guS = append(gu, MeanOverSamples(gs)), append(guS, gs)
		for h, x := range a {
			s.MeanAlpha += x
			if x > s.MaxAlpha || s.MaxHead == "" {
				s.MaxAlpha, s.MaxHead = x, model.HeadID{Layer: l, Head: h}.String()
			}
			n++
		}
	}
	s.MeanAlpha /= float64(n)
	s.SinkK = opt.Metric.pick(SinkRate(guS, opt.Eps), SinkHeads(gu, opt.Eps))
	return s, nil
}

// pick returns Sink_k^ε by this aggregation, given both.
func (s SinkMetric) pick(rate, heads float64) float64 {
	if s == HeadMean {
		return heads
	}
	return rate
}

func mean(x []float32) float64 {
	s := 0.0
	for _, v := range x {
		s += float64(v)
	}
	return s / float64(max(len(x), 1))
}
