package probes

import (
	"fmt"
	"math"
	"strings"

	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/plots"
	"github.com/attnlab/attnlab/report"
)

// Tables returns s2a (accuracy and compute per rate and condition),
// attention_mass, regenerator and retrieval_heads.
func (r *S2AResult) Tables() []*report.Table {
	num := func(name, unit string) report.Column { return report.Column{Name: name, Unit: unit, Format: "%.3f"} }
	acc := report.NewTable("s2a", "Accuracy per distractor rate and condition (95% bootstrap intervals)",
		num("rate", ""), report.Column{Name: "condition"}, num("accuracy", ""), num("ci_lo", ""), num("ci_hi", ""),
		num("follows_opinion", ""), report.Column{Name: "examples"}, report.Column{Name: "tokens", Unit: "per example", Format: "%.1f"},
		report.Column{Name: "flops", Unit: "per example", Format: "%.4g"},
		report.Column{Name: "wall_time", Unit: "ms per example", Format: "%.3f"},
		report.Column{Name: "tokens_vs_baseline", Format: "%.2f"}, report.Column{Name: "flops_vs_baseline", Format: "%.2f"},
		report.Column{Name: "wall_time_vs_baseline", Format: "%.2f"})
	mass := report.NewTable("attention_mass", "Attention of the retrieval heads from the queried key, by what it lands on",
		num("rate", ""), report.Column{Name: "condition"}, report.Column{Name: "model"}, report.Column{Name: "heads"},
		num("distractor", ""), num("distractor_lo", ""), num("distractor_hi", ""),
		num("opinion", ""), num("irrelevant", ""),
		num("answer", ""), num("answer_lo", ""), num("answer_hi", ""))
	regen := report.NewTable("regenerator", "The regenerator's rewrite against the clean context",
		num("rate", ""), num("exact", ""), num("facts_dropped", ""), num("answer_dropped", ""), num("opinions_kept", ""),
		num("irrelevant_kept", ""), num("invented", "per example"), num("malformed", "tokens per example"), num("no_eos", ""),
		num("written", "tokens per example"))
	for _, s := range r.Sets {
		base := s.Conditions[0]
		for _, c := range s.Conditions {
			acc.Add(s.Rate, c.Condition.String(), c.Accuracy.Mean, c.Accuracy.Lo, c.Accuracy.Hi, c.FollowsOpinion.Mean, s.N,
				c.Tokens, c.FLOPs, c.Seconds*1e3, c.Tokens/base.Tokens, c.FLOPs/base.FLOPs, c.Seconds/base.Seconds)
			h := r.Answerer
			if c.Condition.instructedModel() {
				h = r.Instructed
			}
			m := c.Mass
			mass.Add(s.Rate, c.Condition.String(), h.Model, headList(h.Chosen), m.Distractor.Mean, m.Distractor.Lo, m.Distractor.Hi,
				m.Opinion.Mean, m.Irrelevant.Mean, m.Answer.Mean, m.Answer.Lo, m.Answer.Hi)
		}
		g := s.Regen
		regen.Add(s.Rate, g.Exact, g.FactsDropped, g.AnswerDropped, orNA(g.OpinionsKept), orNA(g.IrrelevantKept), g.Invented, g.Malformed, g.NoEOS, g.Written)
	}
	heads := report.NewTable("retrieval_heads", fmt.Sprintf("Retrieval score: attention from the queried key to its value on the clean context; chosen at ≥ %.2f", r.Opt.HeadThreshold),
		report.Column{Name: "model"}, report.Column{Name: "head"}, report.Column{Name: "layer"}, report.Column{Name: "head_index"},
		num("score", ""), report.Column{Name: "chosen"})
	models := []S2AHeads{r.Answerer}
	if r.Instructed.Model != r.Answerer.Model {
		models = append(models, r.Instructed)
	}
	for _, h := range models {
		for l, row := range h.Scores {
			for hd, v := range row {
				id := model.HeadID{Layer: l, Head: hd}
				chosen := false
				for _, c := range h.Chosen {
					chosen = chosen || c == id
				}
				heads.Add(h.Model, id.String(), l, hd, v, chosen)
			}
		}
	}
	return []*report.Table{acc, mass, regen, heads}
}

// Headline returns the terminal tables: accuracy per rate and condition,
// the retrieval heads' attention on distractors, and the regenerator's
// errors with what S2A costs.
func (r *S2AResult) Headline() []*report.Table {
	cols := []report.Column{{Name: "rate", Format: "%.2f"}}
	for _, c := range r.Conditions {
		cols = append(cols, report.Column{Name: c.String()})
	}
	acc := report.NewTable("accuracy", fmt.Sprintf("Accuracy by distractor rate, %d examples per rate (± half the 95%% bootstrap interval)", r.Sets[0].N), cols...)
	mcols := []report.Column{{Name: "rate", Format: "%.2f"}}
	for _, c := range r.Conditions {
		mcols = append(mcols, report.Column{Name: c.String(), Format: "%.3f"})
	}
	mass := report.NewTable("mass", fmt.Sprintf("Attention of the retrieval heads (%s; instructed: %s) on distractor tokens",
		headList(r.Answerer.Chosen), headList(r.Instructed.Chosen)), mcols...)
	cost := report.NewTable("regen", "The regenerator: errors, and what S2A costs against the baseline",
		report.Column{Name: "rate", Format: "%.2f"}, report.Column{Name: "exact", Format: "%.3f"},
		report.Column{Name: "facts dropped", Format: "%.3f"}, report.Column{Name: "opinions kept", Format: "%.3f"},
		report.Column{Name: "irrelevant kept", Format: "%.3f"}, report.Column{Name: "tokens", Unit: "×", Format: "%.2f"},
		report.Column{Name: "FLOPs", Unit: "×", Format: "%.1f"})
	for _, s := range r.Sets {
		row := []any{s.Rate}
		mrow := []any{s.Rate}
		for _, c := range s.Conditions {
			row = append(row, fmt.Sprintf("%.2f±%.2f", c.Accuracy.Mean, (c.Accuracy.Hi-c.Accuracy.Lo)/2))
			mrow = append(mrow, c.Mass.Distractor.Mean)
		}
		acc.Add(row...)
		mass.Add(mrow...)
		base, s2a := s.Conditions[0], s.Conditions[2]
		g := s.Regen
		cost.Add(s.Rate, g.Exact, g.FactsDropped, orNA(g.OpinionsKept), orNA(g.IrrelevantKept), s2a.Tokens/base.Tokens, s2a.FLOPs/base.FLOPs)
	}
	return []*report.Table{acc, mass, cost}
}

// Figures returns the accuracy-vs-rate chart and the attention-mass bars.
func (r *S2AResult) Figures() []report.Figure {
	zero, top := 0.0, 1.05
	chart := plots.LineChart{Title: "System 2 Attention on distractor recall (bands: 95% bootstrap intervals)",
		XLabel: "distractor rate (share of context items that are distractors)", YLabel: "accuracy (fraction of questions)",
		YMin: &zero, YMax: &top, Markers: true}
	for ci, c := range r.Conditions {
		s := plots.Series{Name: conditionLabel(c), Dashed: c == S2AOracle || c == S2AInstructedNoToken}
		for _, set := range r.Sets {
			a := set.Conditions[ci].Accuracy
			s.X, s.Y, s.Lo, s.Hi = append(s.X, set.Rate), append(s.Y, a.Mean), append(s.Lo, a.Lo), append(s.Hi, a.Hi)
		}
		chart.Series = append(chart.Series, s)
	}
	for _, set := range r.Sets {
		chart.XTicks = append(chart.XTicks, set.Rate)
	}
	last := r.Sets[len(r.Sets)-1]
	xl := fmt.Sprintf("condition (retrieval heads: %s)", headList(r.Answerer.Chosen))
	if r.Instructed.Model != r.Answerer.Model {
		xl = fmt.Sprintf("condition (retrieval heads: answerer %s, instructed model %s)", headList(r.Answerer.Chosen), headList(r.Instructed.Chosen))
	}
	bars := plots.BarChart{Title: fmt.Sprintf("Where the retrieval heads look, distractor rate %.2f", last.Rate),
		XLabel: xl, YLabel: "attention from the queried key (fraction)"}
	var dis, ans plots.BarGroup
	dis.Name, ans.Name = "on distractor tokens", "on the queried fact (key and value)"
	for _, c := range last.Conditions {
		bars.Labels = append(bars.Labels, conditionLabel(c.Condition))
		dis.Values, ans.Values = append(dis.Values, c.Mass.Distractor.Mean), append(ans.Values, c.Mass.Answer.Mean)
	}
	bars.Groups = []plots.BarGroup{dis, ans}
	return []report.Figure{{Name: "s2a_accuracy.png", Fig: chart}, {Name: "attention_mass.png", Fig: bars}}
}

// Results is what attnlab s2a writes: every table, the headline tables,
// the figures, and each set's hash and the retrieval heads for the
// manifest.
func (r *S2AResult) Results() report.Results {
	return report.Results{Tables: r.Tables(), Headline: r.Headline(), Figures: r.Figures(),
		Extra: map[string]any{"set_hashes": r.Hashes(), "retrieval_heads": map[string]string{
			r.Answerer.Model: headList(r.Answerer.Chosen), r.Instructed.Model: headList(r.Instructed.Chosen)}}}
}

func conditionLabel(c S2ACondition) string {
	switch c {
	case S2ABaseline:
		return "baseline (full context)"
	case S2AOracle:
		return "oracle (clean context)"
	case S2ARegen:
		return "S2A (regenerated only)"
	case S2AKeepOrig:
		return "S2A-KeepOrig"
	case S2AInstructed:
		return "instructed (ignore token)"
	case S2AInstructedNoToken:
		return "instructed model, no token"
	}
	return c.String()
}

func headList(hs []model.HeadID) string {
	s := make([]string, len(hs))
	for i, h := range hs {
		s[i] = h.String()
	}
	return strings.Join(s, " ")
}

// orNA is v, or nil (shown "–", an empty CSV cell) when v is NaN: a rate
// of something the set does not hold (opinions kept when there are none).
func orNA(v float64) any {
	if math.IsNaN(v) {
		return nil
	}
	return v
}
