package main

import (
	"fmt"
	"math"

	"github.com/attnlab/attnlab/induction"
	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/plots"
	"github.com/attnlab/attnlab/report"
	"github.com/attnlab/attnlab/tasks"
)

// tracker measures analysis scores during training (--track).
type tracker struct {
	kind    string
	measure func(step int, m *model.Model) error
	results func(r *results)
}

func (t *tracker) addResults(r *results) { t.results(r) }

func newTracker(o *trainOpts, task tasks.Task) (*tracker, error) {
	switch o.track {
	case "":
		return nil, nil
	case "induction":
		if o.task != "induction" {
			return nil, usagef("--track induction needs --task induction")
		}
		return newInductionTracker(o), nil
	case "sinks":
		return newSinkTracker(o, task)
	}
	return nil, usagef("--track must be induction or sinks, got %q", o.track)
}

// newInductionTracker scores every head on a small canonical batch at each
// evaluation: the phase change of Olsson et al. 2022.
func newInductionTracker(o *trainOpts) *tracker {
	heads := report.NewTable("tracking", "Head scores during training",
		report.Column{Name: "step"}, report.Column{Name: "head"}, report.Column{Name: "induction"},
		report.Column{Name: "prefix_matching"}, report.Column{Name: "previous_token"})
	phase := report.NewTable("phase", "Induction during training",
		report.Column{Name: "step"}, report.Column{Name: "loss_second_repeat", Unit: "nats"},
		report.Column{Name: "loss_first_repeat", Unit: "nats"}, report.Column{Name: "icl_score", Unit: "nats"},
		report.Column{Name: "best_prefix_matching"}, report.Column{Name: "best_induction"}, report.Column{Name: "best_head"})
	t := &tracker{kind: "induction"}
	t.measure = func(step int, m *model.Model) error {
		r, err := induction.Analyze(m, induction.Options{Batch: 16, SeqLen: min(25, (m.Config.NCtx-1)/2), Seed: o.seed, NoAblation: true})
		if err != nil {
			return err
		}
		best := r.Heads[0]
		for _, h := range r.Heads {
			heads.Add(step, h.Label(), h.Induction.Mean, h.PrefixMatching.Mean, h.PrevToken.Mean)
			if h.PrefixMatching.Mean > best.PrefixMatching.Mean {
				best = h
			}
		}
		phase.Add(step, r.SecondRepeat.Mean, r.FirstRepeat.Mean, r.ICL.Mean, best.PrefixMatching.Mean, best.Induction.Mean, best.Label())
		return nil
	}
	t.results = func(res *results) {
		var xs, loss, pm, ind []float64
		formed := math.NaN()
		for _, row := range phase.Rows {
			x := float64(row[0].(int))
			xs, loss = append(xs, x), append(loss, row[1].(float64))
			pm, ind = append(pm, row[4].(float64)), append(ind, row[5].(float64))
			if math.IsNaN(formed) && row[4].(float64) >= 0.5 {
				formed = x
			}
		}
		chart := plots.LineChart{Title: "Phase change: induction heads form", XLabel: "training step", YLabel: "loss (nats) / score",
			Series: []plots.Series{{Name: "second-repeat loss (nats)", X: xs, Y: loss}, {Name: "best prefix-matching score", X: xs, Y: pm},
				{Name: "best TL induction score", X: xs, Y: ind, Dashed: true}}}
		if !math.IsNaN(formed) {
			chart.VLines = []plots.VLine{{X: formed, Label: fmt.Sprintf("prefix matching ≥ 0.5 at step %d", int(formed))}}
			phase.Caption = fmt.Sprintf("induction head formed (best prefix-matching score ≥ 0.5) at step %d", int(formed))
		} else {
			phase.Caption = "no head reached a prefix-matching score of 0.5"
		}
		res.tables = append(res.tables, phase, heads)
		res.headline = append(res.headline, phase)
		res.figures = append(res.figures, figure{"phase_change.png", chart.Render})
	}
	return t
}
