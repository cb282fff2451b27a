package sinks

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/report"
)

// Uniform is the α of a head that spreads every query's attention evenly
// over the keys it sees, on T positions: the mean over queries i ≥ 1 of
// 1/(i+1). A sink head's α is a multiple of it.
func Uniform(T int) float64 {
	u := 0.0
	for i := 1; i < T; i++ {
		u += 1 / float64(i+1)
	}
	return u / float64(max(T-1, 1))
}

// head is one (layer, head) pair of a Report.
type head struct{ l, h int }

// byAlpha lists the report's heads by α, largest first (ties in layer,
// head order).
func (r *Report) byAlpha() []head {
	var hs []head
	for l := range r.L {
		for h := range r.H {
			hs = append(hs, head{l, h})
		}
	}
	slices.SortStableFunc(hs, func(a, b head) int { return cmp.Compare(r.Alpha[b.l][b.h], r.Alpha[a.l][a.h]) })
	return hs
}

// SinkHeadLabels lists the heads whose ᾱ_k (the sample mean of Gu et al.'s
// α_k) exceeds ε, by α: the heads SinkHeads counts.
func (r *Report) SinkHeadLabels() []string {
	var out []string
	for _, hd := range r.byAlpha() {
		if r.GuAlpha[hd.l][hd.h] > r.Eps {
			out = append(out, model.HeadID{Layer: hd.l, Head: hd.h}.String())
		}
	}
	return out
}

// Tables returns sink_summary (the answer: how much sinks, in which heads,
// against uniform attention), sink_mass (per head, by α), sink_by_position,
// residual_norms and first_token (the replacement experiment).
func (r *Report) Tables() []*report.Table {
	uni := Uniform(r.T)
	mass := report.NewTable("sink_mass", "First-token attention per head, largest α first",
		report.Column{Name: "head"}, report.Column{Name: "alpha", Format: "%.3f"},
		report.Column{Name: "x_uniform", Format: "%.1f"},
		report.Column{Name: fmt.Sprintf("gu_alpha_k%d", r.K), Format: "%.3f"},
		report.Column{Name: "sink_rate", Format: "%.2f"},
		report.Column{Name: "value_ratio", Format: "%.2f"},
		report.Column{Name: "row_sum", Format: "%.3f", Detail: 1},
		report.Column{Name: "value_norm_first", Format: "%.2f", Detail: 2},
		report.Column{Name: "value_norm_rest", Format: "%.2f", Detail: 2})
	mass.Caption = fmt.Sprintf("alpha: mean over queries i ≥ 1 of the attention on position 0 (%s); x_uniform: alpha / %.3f, "+
		"uniform attention's; gu_alpha: Gu et al.'s α_%d on the first %d positions, mean over windows; sink_rate: "+
		"fraction of windows where it exceeds ε = %g; value_ratio: ‖v₀‖ / mean ‖vᵢ‖ (small: attending writes little); "+
		"row_sum: attention on real keys (below 1: the rest went to a null slot)",
		r.firstName(), uni, r.K, r.GuLen, r.Eps)
	for _, hd := range r.byAlpha() {
		l, h := hd.l, hd.h
		var ratio any // no ratio of zero norms
		if r.ValueRest[l][h] > 0 {
			ratio = r.ValueFirst[l][h] / r.ValueRest[l][h]
		}
		mass.Add(model.HeadID{Layer: l, Head: h}.String(), r.Alpha[l][h], r.Alpha[l][h]/uni, r.GuAlpha[l][h], r.GuRate[l][h],
			ratio, r.RowSum[l][h], r.ValueFirst[l][h], r.ValueRest[l][h])
	}
	byPos := report.NewTable("sink_by_position", "First-token attention by query position",
		report.Column{Name: "head"}, report.Column{Name: "position"}, report.Column{Name: "mass"})
	for l := range r.L {
		for h := range r.H {
			for i, v := range r.ByPos[l][h] {
				byPos.Add(model.HeadID{Layer: l, Head: h}.String(), i, v)
			}
		}
	}
	norms := report.NewTable("residual_norms", "Residual stream of the first token against the rest (massive activations)",
		report.Column{Name: "stream"}, report.Column{Name: "norm_first", Format: "%.2f"},
		report.Column{Name: "norm_rest", Format: "%.2f"}, report.Column{Name: "ratio", Format: "%.2f"},
		report.Column{Name: "max_first", Format: "%.2f"}, report.Column{Name: "max_rest", Format: "%.2f"},
		report.Column{Name: "max_ratio", Format: "%.1f"}, report.Column{Name: "max_dim", Detail: 1})
	norms.Caption = fmt.Sprintf("norm_first: ‖x₀‖ of %s, norm_rest: mean ‖xᵢ‖ over positions i ≥ 1; max_first: its largest "+
		"|activation| (in dimension max_dim), max_rest: the others' (mean over positions); mean over windows", r.firstName())
	ratio := func(a, b float64) any {
		if b > 0 {
			return a / b
		}
		return nil
	}
	for l := range r.L + 1 {
		name := model.HookResidPre(l)
		if l == r.L {
			name = model.HookResidPost(l - 1)
		}
		norms.Add(name, r.ResidFirst[l], r.ResidRest[l], ratio(r.ResidFirst[l], r.ResidRest[l]),
			r.MaxFirst[l], r.MaxRest[l], ratio(r.MaxFirst[l], r.MaxRest[l]), r.MaxDim[l])
	}
	swap := report.NewTable("first_token", "Is it the position or the token? The first token replaced",
		report.Column{Name: "first_token"}, report.Column{Name: "top_head"}, report.Column{Name: "max_alpha", Format: "%.3f"},
		report.Column{Name: "mean_alpha", Format: "%.3f"}, report.Column{Name: "sink_rate", Format: "%.3f"})
	swap.Caption = fmt.Sprintf("the same windows with their first token replaced or removed; sink_rate: Sink_%d^%g (%s)", r.K, r.Eps, r.Metric)
	for _, s := range r.Swaps {
		swap.Add(s.Name, s.MaxHead, s.MaxAlpha, s.MeanAlpha, s.SinkK)
	}
	return []*report.Table{r.Summary(), mass, byPos, norms, swap}
}

// firstName names position 0 of the windows.
func (r *Report) firstName() string {
	if r.BOS.On {
		return "the BOS, token " + r.BOS.String()
	}
	return "the first byte"
}

// firstShort names position 0 for a title: "BOS 0" or "no BOS".
func (r *Report) firstShort() string {
	if r.BOS.On {
		return "BOS " + r.BOS.String()
	}
	return "no BOS"
}

// Summary is the one-row answer: Gu et al.'s Sink_k^ε, the heads that
// sink, the strongest head's α against uniform attention's, and the loss on
// the same windows.
func (r *Report) Summary() *report.Table {
	t := report.NewTable("sink_summary", "Attention sinks",
		report.Column{Name: "bos"},
		report.Column{Name: fmt.Sprintf("sink_k%d", r.K), Format: "%.3f"},
		report.Column{Name: "sink_heads"},
		report.Column{Name: "top_head"},
		report.Column{Name: "top_alpha", Format: "%.3f"},
		report.Column{Name: "uniform", Format: "%.3f"},
		report.Column{Name: "x_uniform", Format: "%.1f"},
		report.Column{Name: "loss", Unit: "nats/token", Format: "%.3f"},
		report.Column{Name: "mean_alpha", Format: "%.3f", Detail: 1},
		report.Column{Name: "per_sample_rate", Format: "%.4f", Detail: 2},
		report.Column{Name: "head_mean_rate", Format: "%.4f", Detail: 2},
		report.Column{Name: "epsilon", Detail: 2}, report.Column{Name: "k", Detail: 2},
		report.Column{Name: "metric", Detail: 2})
	text := r.Text
	if text == "" {
		text = fmt.Sprintf("%d windows of %d tokens", r.B, r.T)
	}
	how := fmt.Sprintf("Gu et al.'s code: α_%d > ε per window, averaged over windows, layers and heads", r.K)
	if r.Metric == HeadMean {
		how = fmt.Sprintf("head-mean: the fraction of heads whose α_%d, averaged over windows, exceeds ε", r.K)
	}
	t.Caption = fmt.Sprintf("On %s, first token %s. sink_k%d: Sink_%d^%g, %s (per_sample_rate, head_mean_rate: "+
		"both ways); sink_heads: heads whose α_%d averaged over windows exceeds ε; top_alpha: the largest first-token "+
		"mass α; uniform: α of evenly spread attention; loss: mean next-token loss on the same windows",
		text, r.firstName(), r.K, r.K, r.Eps, how, r.K)
	hs := r.byAlpha()
	top := hs[0]
	sum := 0.0
	for l := range r.L {
		for h := range r.H {
			sum += r.Alpha[l][h]
		}
	}
	heads := strings.Join(r.SinkHeadLabels(), " ")
	if heads == "" {
		heads = "none"
	}
	uni := Uniform(r.T)
	t.Add(r.BOS.String(), r.SinkK, heads, model.HeadID{Layer: top.l, Head: top.h}.String(), r.Alpha[top.l][top.h], uni,
		r.Alpha[top.l][top.h]/uni, r.Loss, sum/float64(r.L*r.H), r.SinkRate, r.SinkHeads, r.Eps, r.K, r.Metric.String())
	return t
}
