package sinks

import (
	"cmp"
	"fmt"
	"slices"

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
	lo, hi := 0.0, 1.0
	heat := plots.Heatmap{Title: "First-token attention α per head (" + name + ")", XLabel: "head", YLabel: "layer",
		ValueLabel: "α: mean attention to position 0 (fraction)", Rows: r.L, Cols: r.H, Values: vals,
		RowLabels: rows, ColLabels: cols, CellText: true, CellFormat: "%.3f", Min: &lo, Max: &hi}
	var heads []model.HeadID
	for l := range r.L {
		for h := range r.H {
			heads = append(heads, model.HeadID{Layer: l, Head: h})
		}
	}
	slices.SortStableFunc(heads, func(a, b model.HeadID) int { return cmp.Compare(r.Alpha[b.Layer][b.Head], r.Alpha[a.Layer][a.Head]) })
	heads = heads[:min(len(heads), TopHeads)]
	lines := plots.LineChart{Title: fmt.Sprintf("First-token attention by query position (top %d heads by α)", len(heads)),
		XLabel: "query position i (tokens)", YLabel: "attention to position 0 (fraction)", LogX: true}
	for _, hd := range heads {
		var xs, ys []float64
		for i := 1; i < r.T; i++ {
			xs, ys = append(xs, float64(i)), append(ys, r.ByPos[hd.Layer][hd.Head][i])
		}
		lines.Series = append(lines.Series, plots.Series{Name: hd.String(), X: xs, Y: ys})
	}
	var ux, uy []float64
	for i := 1; i < r.T; i++ {
		ux, uy = append(ux, float64(i)), append(uy, 1/float64(i+1))
	}
	lines.Series = append(lines.Series, plots.Series{Name: "uniform 1/(i+1)", X: ux, Y: uy, Dashed: true})
	return []report.Figure{{Name: "sink_heatmap.png", Fig: heat}, {Name: "sink_by_position.png", Fig: lines}}
}

// LossBlock is the number of positions each point of the streaming loss
// figure averages.
const LossBlock = 32

// StreamLossChart plots loss against position (mean over blocks of
// LossBlock positions) for dense, recompute, window and sinks4+window under
// both position schemes, with the position where a cache of W fills.
func StreamLossChart(rs []StreamResult, W int) plots.LineChart {
	const blk = LossBlock
	ch := plots.LineChart{Title: fmt.Sprintf("Streaming loss by position (cache W = %d)", W), XLabel: fmt.Sprintf("position in the stream (tokens); grey line: cache full at %d, eviction starts", W),
		YLabel: fmt.Sprintf("next-token loss (nats, mean of %d positions)", blk), Height: 5,
		VLines: []plots.VLine{{X: float64(W)}}}
	for _, r := range rs {
		p := r.Policy
		if (p.Kind == SinkCache && p.Sinks != 4) || (p.Kind == Window && p.Scheme == model.TextPositions) {
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

// SweepChart plots perplexity beyond n_ctx against the cache size, one
// line per policy.
func SweepChart(rs []StreamResult) plots.LineChart {
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
