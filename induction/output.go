package induction

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/plots"
	"github.com/attnlab/attnlab/report"
)

// Tables returns the report's tables: heads, composition, summary and
// loss_by_position. The first is the one a terminal shows.
func (r *Report) Tables() []*report.Table {
	col := func(name, unit string) report.Column { return report.Column{Name: name, Unit: unit} }
	heads := report.NewTable("heads", fmt.Sprintf("Heads on [BOS, x×%d, x×%d] (%d sequences), sorted by TL induction score; * at or above %.2f", r.L, r.L, r.Opt.Batch, r.Opt.Threshold),
		col("head", ""), col("layer", ""), col("head_index", ""),
		col("previous_token", ""), col("previous_token_std", ""), col("previous_token_ceiling", ""),
		col("duplicate_token", ""), col("duplicate_token_std", ""), col("duplicate_token_ceiling", ""),
		col("induction", ""), col("induction_std", ""), col("induction_ceiling", ""), col("induction_of_ceiling", ""),
		col("prefix_matching", ""), col("prefix_matching_std", ""),
		col("ov_copying", ""), col("direct_copying", "logits"), col("direct_copying_std", "logits"),
		col("zero_ablation_dloss", "nats"), col("zero_ablation_dloss_std", "nats"),
		col("mean_ablation_dloss", "nats"), col("mean_ablation_dloss_std", "nats"),
		col("induction_head", ""))
	order := make([]int, len(r.Heads))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		x, y := r.Heads[a].Induction.Mean, r.Heads[b].Induction.Mean
		switch {
		case x > y:
			return -1
		case x < y:
			return 1
		}
		return 0
	})
	for _, i := range order {
		h := r.Heads[i]
		heads.Add(h.String(), h.Layer, h.Head,
			h.PrevToken.Mean, h.PrevToken.Std, h.PrevTokenCeil,
			h.DupToken.Mean, h.DupToken.Std, h.DupTokenCeil,
			h.Induction.Mean, h.Induction.Std, h.InductionCeil, h.Induction.Mean/h.InductionCeil,
			h.PrefixMatching.Mean, h.PrefixMatching.Std,
			h.OVCopying, h.DirectCopying.Mean, h.DirectCopying.Std,
			orNA(h.ZeroAblation.Mean), orNA(h.ZeroAblation.Std), orNA(h.MeanAblation.Mean), orNA(h.MeanAblation.Std),
			h.Induction.Mean >= r.Opt.Threshold)
	}
	comp := report.NewTable("composition", "Composition scores (writing head → reading head)",
		col("src", ""), col("dst", ""), col("q_composition", ""), col("k_composition", ""), col("v_composition", ""), col("random_baseline", ""))
	for _, c := range r.Comp {
		comp.Add(c.Src.String(), c.Dst.String(), c.Q, c.K, c.V, r.Baseline)
	}
	sum := report.NewTable("summary", "Loss on the repeated sequence and the induction circuit",
		col("metric", ""), col("mean", ""), col("std", ""), col("ci_low", ""), col("ci_high", ""), col("unit", ""))
	add := func(name string, s Stat, unit string) {
		sum.Add(name, orNA(s.Mean), orNA(s.Std), orNA(s.Lo), orNA(s.Hi), unit)
	}
	add("loss_first_repeat", r.FirstRepeat, "nats")
	add("loss_second_repeat", r.SecondRepeat, "nats")
	sum.Add("uniform_loss_ln_vocab", math.Log(float64(r.Vocab)), nil, nil, nil, "nats")
	add("icl_score", r.ICL, "nats")
	add("ablate_induction_heads_dloss", r.AblateInduction, "nats")
	add("ablate_prev_token_partners_dloss", r.AblatePartners, "nats")
	add("ablate_ablation_partners_dloss", r.AblateAblationPartners, "nats")
	var baseline any // no composition in a one-layer model
	if len(r.Comp) > 0 {
		baseline = r.Baseline
	}
	sum.Add("composition_random_baseline", baseline, nil, nil, nil, "")
	sum.Caption = r.circuitNote()
	pos := report.NewTable("loss_by_position", "Mean next-token loss by position", col("position", ""), col("loss", "nats"), col("part", ""),
		col("loss_std", "nats"))
	for t, v := range r.PerPosition {
		part := "first"
		if t >= r.L {
			part = "second"
		}
		pos.Add(t+1, v, part, r.PerPositionStd[t])
	}
	return []*report.Table{heads, comp, sum, pos}
}

// circuitNote names the induction heads and their previous-token
// partners by both criteria, saying which one the circuit uses.
func (r *Report) circuitNote() string {
	list := func(hs []model.HeadID) string {
		if len(hs) == 0 {
			return "none"
		}
		names := make([]string, len(hs))
		for i, h := range hs {
			names[i] = h.String()
		}
		return strings.Join(names, ", ")
	}
	note := "induction heads: " + list(r.InductionHeads)
	switch {
	case len(r.PrevPartners) == 0:
		note += "; no earlier layer, so no previous-token partners"
	case r.AblationPartners == nil:
		note += fmt.Sprintf("; previous-token partners by K-composition (used): %s", list(r.PrevPartners))
	default:
		note += fmt.Sprintf("; previous-token partners by K-composition into them (used for the circuit and "+
			"ablate_prev_token_partners_dloss): %s; by their own zero-ablation Δ loss (ablate_ablation_partners_dloss): %s",
			list(r.PrevPartners), list(r.AblationPartners))
	}
	return note
}

// orNA is v, or nil (not applicable) when v is NaN: a Stat of no values.
func orNA(v float64) any {
	if math.IsNaN(v) {
		return nil
	}
	return v
}

// Headline returns the compact heads table and the summary for a terminal.
func (r *Report) Headline() []*report.Table {
	all := r.Tables()
	full := all[0]
	f := "%.3f"
	// Left off first on a narrow terminal (Detail): mean ablation (close to
	// zero ablation), direct copying (close to OV copying), duplicate-token.
	t := report.NewTable("heads", full.Title,
		report.Column{Name: "head"}, report.Column{Name: "prev_tok", Format: f}, report.Column{Name: "dup_tok", Format: f, Detail: 1},
		report.Column{Name: "induction", Format: f}, report.Column{Name: "±std", Format: f}, report.Column{Name: "of_ceiling", Format: "%.2f"},
		report.Column{Name: "prefix_match", Format: f}, report.Column{Name: "ov_copy", Format: "%.2f"},
		report.Column{Name: "direct_copy", Unit: "logits", Format: "%.2f", Detail: 2},
		report.Column{Name: "zero_abl_dloss", Unit: "nats", Format: "%.2f"}, report.Column{Name: "mean_abl_dloss", Unit: "nats", Format: "%.2f", Detail: 3},
		report.Column{Name: "", Detail: -1}) // the mark the title explains: kept last
	idx := func(n string) int { return full.Column(n) }
	for _, row := range full.Rows {
		mark := ""
		if row[idx("induction_head")].(bool) {
			mark = "*"
		}
		t.Add(row[idx("head")], row[idx("previous_token")], row[idx("duplicate_token")], row[idx("induction")],
			row[idx("induction_std")], row[idx("induction_of_ceiling")], row[idx("prefix_matching")], row[idx("ov_copying")],
			row[idx("direct_copying")], row[idx("zero_ablation_dloss")], row[idx("mean_ablation_dloss")], mark)
	}
	t.Caption = fmt.Sprintf("perfect-head ceilings on these tokens: induction %.3f, previous-token %.3f, duplicate-token %.3f",
		r.Heads[0].InductionCeil, r.Heads[0].PrevTokenCeil, r.Heads[0].DupTokenCeil)
	return []*report.Table{t, all[2]}
}

// Figures returns the report's figures.
func (r *Report) Figures() []report.Figure {
	nl := 0
	for _, h := range r.Heads {
		nl = max(nl, h.Layer+1)
	}
	nh := len(r.Heads) / nl
	rows, cols := make([]string, nl), make([]string, nh)
	for l := range rows {
		rows[l] = fmt.Sprintf("L%d", l)
	}
	for h := range cols {
		cols[h] = fmt.Sprintf("H%d", h)
	}
	zero, one, mone := 0.0, 1.0, -1.0
	grid := func(title, value string, get func(HeadScores) float64, diverging bool, lo, hi *float64) plots.Heatmap {
		v := make([]float64, len(r.Heads))
		for i, h := range r.Heads {
			v[i] = get(h)
		}
		return plots.Heatmap{Title: title, XLabel: "head", YLabel: "layer", ValueLabel: value, Rows: nl, Cols: nh,
			Values: v, RowLabels: rows, ColLabels: cols, CellText: true, Diverging: diverging, Min: lo, Max: hi,
			Height: 1.6 + 0.55*float64(nl)}
	}
	figs := []report.Figure{
		{Name: "induction_scores.png", Fig: grid(fmt.Sprintf("TL induction score (ceiling %.2f)", r.Heads[0].InductionCeil), "score", func(h HeadScores) float64 { return h.Induction.Mean }, false, &zero, &one)},
		{Name: "prefix_matching.png", Fig: grid("Prefix-matching score (Olsson et al.)", "attention to token after earlier copy", func(h HeadScores) float64 { return h.PrefixMatching.Mean }, false, &zero, &one)},
		{Name: "previous_token_scores.png", Fig: grid("TL previous-token score", "score", func(h HeadScores) float64 { return h.PrevToken.Mean }, false, &zero, &one)},
		{Name: "duplicate_token_scores.png", Fig: grid("TL duplicate-token score", "score", func(h HeadScores) float64 { return h.DupToken.Mean }, false, &zero, &one)},
		{Name: "ov_copying.png", Fig: grid("OV copying score Σλ/Σ|λ| (Elhage et al.)", "score", func(h HeadScores) float64 { return h.OVCopying }, true, &mone, &one)},
	}
	if !r.Opt.NoAblation { // no figure of numbers that were not computed
		figs = append(figs,
			report.Figure{Name: "ablation_zero.png", Fig: grid("Zero ablation: Δ loss on the second repeat", "Δ loss (nats)", func(h HeadScores) float64 { return h.ZeroAblation.Mean }, true, nil, nil)},
			report.Figure{Name: "ablation_mean.png", Fig: grid("Mean ablation: Δ loss on the second repeat", "Δ loss (nats)", func(h HeadScores) float64 { return h.MeanAblation.Mean }, true, nil, nil)})
	}
	if len(r.Comp) > 0 {
		figs = append(figs, r.compositionFigures()...)
	}
	// The top induction head and its partner; with none above the
	// threshold, the best-scoring head, so the figure shows what it does.
	top := append([]model.HeadID{}, r.InductionHeads[:min(1, len(r.InductionHeads))]...)
	if len(top) == 0 {
		top = []model.HeadID{r.Best}
	}
	heads := append(top, r.PrevPartners[:min(1, len(r.PrevPartners))]...)
	for _, h := range r.Opt.PatternHeads {
		if !slices.Contains(heads, h) {
			heads = append(heads, h)
		}
	}
	for _, h := range heads {
		figs = append(figs, r.patternFigure(h))
	}
	figs = append(figs, report.Figure{Name: "loss_by_position.png", Fig: r.lossByPositionChart()})
	return figs
}

// lossByPositionChart is the classic figure: the mean loss at each position
// with the quartiles over sequences, the start of the second repeat and the
// loss of a uniform guess.
func (r *Report) lossByPositionChart() plots.LineChart {
	var xs, lo, hi []float64
	for t, m := range r.PerPosition {
		h := 1.96 * r.PerPositionStd[t] / math.Sqrt(float64(r.Opt.Batch))
		xs, lo, hi = append(xs, float64(t+1)), append(lo, m-h), append(hi, m+h)
	}
	zero := 0.0
	lnV := math.Log(float64(r.Vocab))
	title := fmt.Sprintf("Loss on [BOS, x×%d, x×%d]: the second repeat is predicted by induction", r.L, r.L)
	if r.SecondRepeat.Mean > 0.5*r.FirstRepeat.Mean {
		title = fmt.Sprintf("Loss on [BOS, x×%d, x×%d]: the second repeat is not predicted", r.L, r.L)
	}
	return plots.LineChart{
		Title: title, XLabel: "position of the predicted token", YLabel: "cross-entropy (nats)",
		Series: []plots.Series{{Name: fmt.Sprintf("mean over %d sequences, 95%% interval", r.Opt.Batch), X: xs, Y: r.PerPosition,
			Lo: lo, Hi: hi}},
		Legend: plots.LegendBest, YMin: &zero,
		VLines: []plots.VLine{{X: float64(r.L) + 1, Label: "second repeat starts"}},
		HLines: []plots.HLine{{Y: lnV, Label: fmt.Sprintf("uniform guess: ln %d = %.2f nats", r.Vocab, lnV)}}}
}

// compositionFigures draws Q-, K- and V-composition as writing heads ×
// reading heads.
func (r *Report) compositionFigures() []report.Figure {
	var src, dst []string
	for _, c := range r.Comp {
		s, d := c.Src.String(), c.Dst.String()
		if !slices.Contains(src, s) {
			src = append(src, s)
		}
		if !slices.Contains(dst, d) {
			dst = append(dst, d)
		}
	}
	// One scale for the three, diverging about the random baseline: red
	// composes more than random heads would, blue less.
	half := 0.0
	for _, c := range r.Comp {
		for _, v := range []float64{c.K, c.Q, c.V} {
			if !math.IsNaN(v) {
				half = max(half, math.Abs(v-r.Baseline))
			}
		}
	}
	if half == 0 {
		half = r.Baseline
	}
	lo, hi := r.Baseline-half, r.Baseline+half
	var out []report.Figure
	for _, kind := range []string{"K", "Q", "V"} {
		v := make([]float64, len(src)*len(dst))
		for i := range v {
			v[i] = math.NaN()
		}
		for _, c := range r.Comp {
			i := slices.Index(src, c.Src.String())*len(dst) + slices.Index(dst, c.Dst.String())
			v[i] = map[string]float64{"K": c.K, "Q": c.Q, "V": c.V}[kind]
		}
		out = append(out, report.Figure{Name: "composition_" + map[string]string{"K": "k", "Q": "q", "V": "v"}[kind] + ".png", Fig: plots.Heatmap{
			Title:  fmt.Sprintf("%s-composition: red above random heads, blue below", kind),
			XLabel: "reading head", YLabel: "writing head", ValueLabel: "composition score (K, Q, V on one scale)",
			Rows: len(src), Cols: len(dst), Values: v, RowLabels: src, ColLabels: dst, CellText: len(src)*len(dst) <= 100,
			Diverging: true, Center: r.Baseline, Min: &lo, Max: &hi,
			Marks: []plots.Mark{{Value: r.Baseline, Label: fmt.Sprintf("random %.3f", r.Baseline)}}}})
	}
	return out
}

// patternFigure draws head hd's attention pattern on sequence
// Opt.PatternSeq of the canonical batch, its tokens on the axes.
func (r *Report) patternFigure(hd model.HeadID) report.Figure {
	T, b := r.T, r.Opt.PatternSeq
	H := len(r.Patterns[hd.Layer]) / (r.Opt.Batch * T * T)
	p := r.Patterns[hd.Layer][((b*H)+hd.Head)*T*T:][:T*T]
	labels := make([]string, T)
	for i, t := range r.Tokens[b*T : (b+1)*T] {
		labels[i] = fmt.Sprint(t)
	}
	fig, err := plots.Pattern(fmt.Sprintf("%s attention on [BOS, x×%d, x×%d] (sequence %d)", hd, r.L, r.L, b), p, T, labels)
	if err != nil {
		panic(err) // the report's own shapes: an internal invariant
	}
	return report.Figure{Name: "pattern_" + hd.String() + ".png", Fig: fig}
}
