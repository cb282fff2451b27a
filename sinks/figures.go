package sinks

import (
	"cmp"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/plots"
	"github.com/attnlab/attnlab/report"
)

// Headline returns the tables a terminal shows: the summary, the per-head
// mass, the residual norms and the first-token replacement.
func (r *Report) Headline() []*report.Table {
	t := r.Tables()
	return []*report.Table{t[0], t[1], t[3], t[4]}
}

// Results returns the report's tables, headline and figures; name is the
// model's name for the figure titles.
func (r *Report) Results(name string) report.Results {
	t := r.Tables()
	return report.Results{Tables: t, Headline: []*report.Table{t[0], t[1], t[3], t[4]}, Figures: r.Figures(name)}
}

// TopHeads is how many heads the by-position figure draws: few enough to
// tell apart (the CSV has every head).
const TopHeads = 6

// Figures returns sink_heatmap.png (α per head, layer × head) and
// sink_by_position.png (α against the query position for the TopHeads
// heads with the largest α, beside uniform attention's 1/(i+1)); name is
// the model's name for the heatmap's title.
func (r *Report) Figures(name string) []report.Figure {
	vals := make([]float64, 0, r.L*r.H)
	rows, cols := make([]string, r.L), make([]string, r.H)
	for l := range r.L {
		rows[l] = fmt.Sprintf("L%d", l)
		vals = append(vals, r.Alpha[l]...)
	}
	for h := range r.H {
		cols[h] = fmt.Sprintf("H%d", h)
	}
	// The colour range is the data's (from 0), stretched to show the
	// uniform level and ε, marked on the bar; ε only when the largest α is
	// at least half of it, so that weak sinks keep a readable range.
	zero, uni := 0.0, Uniform(r.T)
	label := "α: mean attention on position 0"
	marks := []plots.Mark{{Value: uni, Label: fmt.Sprintf("uniform %.3f", uni)}}
	if slices.Max(vals) >= r.Eps/2 {
		marks = append(marks, plots.Mark{Value: r.Eps, Label: fmt.Sprintf("ε = %g", r.Eps)})
	} else {
		label += fmt.Sprintf(" (ε = %g: off the scale)", r.Eps)
	}
	short := strings.TrimPrefix(filepath.Base(name), "embedded:")
	heat := plots.Heatmap{Title: fmt.Sprintf("First-token attention α per head (%s, %s)", short, r.firstShort()),
		XLabel: "head", YLabel: "layer",
		ValueLabel: label, Rows: r.L, Cols: r.H, Values: vals,
		RowLabels: rows, ColLabels: cols, CellText: true, CellFormat: "%.3f", Min: &zero, Marks: marks}
	var heads []model.HeadID
	for l := range r.L {
		for h := range r.H {
			heads = append(heads, model.HeadID{Layer: l, Head: h})
		}
	}
	slices.SortStableFunc(heads, func(a, b model.HeadID) int { return cmp.Compare(r.Alpha[b.Layer][b.Head], r.Alpha[a.Layer][a.Head]) })
	heads = heads[:min(len(heads), TopHeads)]
	// Queries in bins that grow geometrically (1, 2, 3, 4, 5–6, 7–8, …):
	// one point per bin, the mean over its queries, so that the late
	// positions' noise averages out on the log axis.
	bins := positionBins(r.T)
	binned := func(y func(i int) float64) (xs, ys []float64) {
		for _, b := range bins {
			sx, sy := 0.0, 0.0
			for i := b[0]; i < b[1]; i++ {
				sx, sy = sx+float64(i), sy+y(i)
			}
			n := float64(b[1] - b[0])
			xs, ys = append(xs, sx/n), append(ys, sy/n)
		}
		return xs, ys
	}
	lines := plots.LineChart{Title: fmt.Sprintf("First-token attention by query position (top %d heads by α)", len(heads)),
		XLabel: "query position i (tokens; bins of geometric width)", YLabel: "attention on position 0 (fraction)", LogX: true,
		Markers: true}
	for _, hd := range heads {
		xs, ys := binned(func(i int) float64 { return r.ByPos[hd.Layer][hd.Head][i] })
		lines.Series = append(lines.Series, plots.Series{Name: hd.String(), X: xs, Y: ys})
	}
	ux, uy := binned(func(i int) float64 { return 1 / float64(i+1) })
	lines.Series = append(lines.Series, plots.Series{Name: "uniform 1/(i+1)", X: ux, Y: uy, Reference: true})
	return []report.Figure{{Name: "sink_heatmap.png", Fig: heat}, {Name: "sink_by_position.png", Fig: lines}}
}

// positionBins cuts query positions 1 … T−1 into [lo, hi) bins whose width
// grows by about a quarter each: single positions up to 4, then wider.
func positionBins(T int) [][2]int {
	var bins [][2]int
	for lo := 1; lo < T; {
		hi := min(T, max(lo+1, int(float64(lo)*1.25+0.5)))
		bins = append(bins, [2]int{lo, hi})
		lo = hi
	}
	return bins
}

// LossBlock is the number of positions each point of the streaming loss
// figure averages (a stream shorter than that is one block).
const LossBlock = 32

// StreamLossChart is Xiao et al.'s Figure 3 on the streams, in two
// stacked panels sharing one legend. Top: log perplexity (the next-token
// loss in nats, averaged over the streams and over blocks of LossBlock
// positions) against the position in the stream, for dense attention, the
// window, re-computation and sinks + window (positions within the cache;
// four sinks, or one when the streams start with a BOS).
// Bottom: each policy's excess over the reference, re-computation (with
// the BOS in front when the streams have one): the same text's swings
// cancel, leaving what the policy costs. Markers keep coinciding lines
// apart; the y axes are the other policies' range, dense attention past
// n_ctx runs off them and its legend entry says how far.
func StreamLossChart(rs []StreamResult, W, nctx int) plots.Panels {
	blk := LossBlock
	for _, r := range rs {
		blk = max(1, min(blk, len(r.Loss)))
	}
	type line struct {
		name   string
		xs, ys []float64
		dense  bool
	}
	var lines []line
	ref := -1
	// One sinks + window line: StreamingLLM's four sinks, or the one a
	// model trained with a BOS needs (five lines, five distinct colours).
	sinksShown := 4
	for _, r := range rs {
		if r.Policy.Kind == Recompute && r.Policy.Sinks > 0 {
			sinksShown = 1
		}
	}
	for _, r := range rs {
		p := r.Policy
		if p.Scheme == model.TextPositions || (p.Kind == SinkCache && p.Sinks != sinksShown) {
			continue
		}
		var xs, ys []float64
		for i := 0; i+blk <= len(r.Loss); i += blk {
			s := 0.0
			for _, v := range r.Loss[i : i+blk] {
				s += v
			}
			xs, ys = append(xs, float64(i+blk/2)), append(ys, s/float64(blk))
		}
		if p.Kind == Recompute && (ref < 0 || p.Sinks > 0) {
			ref = len(lines)
		}
		lines = append(lines, line{name: p.Name(), xs: xs, ys: ys, dense: p.Kind == Dense})
	}
	vlines := []plots.VLine{{X: float64(W), Label: "cache full; n_ctx"}}
	if W != nctx {
		vlines = []plots.VLine{{X: float64(W), Label: "cache full"}, {X: float64(nctx), Label: "n_ctx"}}
	}
	top := plots.LineChart{Title: "log perplexity", XLabel: "position in the stream (tokens)",
		YLabel: fmt.Sprintf("next-token loss (nats, mean of %d positions)", blk), Markers: true, VLines: vlines}
	diff := plots.LineChart{Markers: true, VLines: vlines, XLabel: "position in the stream (tokens)",
		YLabel: "loss − reference's (nats)", HLines: []plots.HLine{{Y: 0}}}
	if ref >= 0 {
		diff.Title = "excess over " + lines[ref].name + ", the reference"
	}
	// y ranges: the policies other than dense, with a margin.
	var hi, dlo, dhi float64
	for _, l := range lines {
		if l.dense {
			continue
		}
		hi = max(hi, slices.Max(l.ys))
		if ref >= 0 {
			for k, y := range l.ys {
				dlo, dhi = min(dlo, y-lines[ref].ys[k]), max(dhi, y-lines[ref].ys[k])
			}
		}
	}
	hi *= 1.1
	pad := 0.1 * (dhi - dlo)
	dlo, dhi = dlo-pad, dhi+pad
	for _, l := range lines {
		name := l.name
		if l.dense && hi > 0 {
			if m := slices.Max(l.ys); m > hi {
				i := slices.IndexFunc(l.ys, func(y float64) bool { return y > hi })
				name = fmt.Sprintf("dense (off the chart from %.0f; up to %.1f)", l.xs[i], m)
			}
		}
		top.Series = append(top.Series, plots.Series{Name: name, X: l.xs, Y: l.ys})
		if ref >= 0 {
			d := make([]float64, len(l.ys))
			for k, y := range l.ys {
				d[k] = y - lines[ref].ys[k]
			}
			diff.Series = append(diff.Series, plots.Series{Name: name, X: l.xs, Y: d})
		}
	}
	zero := 0.0
	if hi > 0 {
		top.YMin, top.YMax = &zero, &hi
	}
	charts := []plots.LineChart{top}
	if ref >= 0 && dhi > dlo {
		diff.YMin, diff.YMax = &dlo, &dhi
		charts = append(charts, diff)
	}
	return plots.Panels{Title: fmt.Sprintf("Streaming: loss by position (cache W = %d, n_ctx = %d)", W, nctx),
		Charts: charts, Cols: 1, SharedLegend: true, Width: 9, Height: 7.5}
}

// SweepChart plots perplexity beyond n_ctx against the cache size, one
// line per policy.
func SweepChart(rs []StreamResult) plots.LineChart {
	ch := plots.LineChart{Title: "Perplexity beyond n_ctx by cache size", XLabel: "cache size W (tokens)",
		YLabel: "perplexity (exp of mean loss in nats)", LogX: true, Markers: true}
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
