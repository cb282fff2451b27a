package induction

import (
	"context"
	"fmt"

	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/plots"
	"github.com/attnlab/attnlab/report"
)

// PhaseThreshold is the best prefix-matching score at which the tracker
// calls an induction head formed: the phase change of Olsson et al. 2022
// (their prefix-matching score jumps from near 0 to well above it).
const PhaseThreshold = 0.5

// TrackPoint is one measurement of a Tracker.
type TrackPoint struct {
	Step                      int
	FirstRepeat, SecondRepeat float64      // mean loss on the two repeats (nats)
	ICL                       float64      // mean in-context learning score (nats)
	Heads                     []HeadScores // every head, layer-major (no ablations)
	Best                      HeadScores   // the head with the largest prefix-matching score (the first on ties)
}

// Tracker scores every head of a model on a small canonical batch at each
// measurement during training (train.Options.OnEval), so the phase change
// of Olsson et al. 2022 is visible: the second-repeat loss collapses as the
// best prefix-matching score jumps.
type Tracker struct {
	Seed   uint64 // draws the canonical batch (the same batch at every step)
	Batch  int    // sequences [16]
	Points []TrackPoint
}

// NewTracker returns a tracker that measures on 16 canonical sequences drawn
// from seed.
func NewTracker(seed uint64) *Tracker { return &Tracker{Seed: seed, Batch: 16} }

// Measure scores m at step (repeats of min(25, (n_ctx−1)/2) tokens, no
// ablations) and records the point.
func (t *Tracker) Measure(step int, m *model.Model) error {
	r, err := Analyze(context.Background(), m, Options{Batch: t.Batch, SeqLen: min(25, (m.Config.NCtx-1)/2), Seed: t.Seed, NoAblation: true})
	if err != nil {
		return err
	}
	p := TrackPoint{Step: step, FirstRepeat: r.FirstRepeat.Mean, SecondRepeat: r.SecondRepeat.Mean, ICL: r.ICL.Mean,
		Heads: r.Heads, Best: r.Heads[0]}
	for _, h := range r.Heads {
		if h.PrefixMatching.Mean > p.Best.PrefixMatching.Mean {
			p.Best = h
		}
	}
	t.Points = append(t.Points, p)
	return nil
}

// PhaseChange returns the step of the first measurement whose best
// prefix-matching score reaches PhaseThreshold, and whether there is one.
func (t *Tracker) PhaseChange() (step int, ok bool) {
	for _, p := range t.Points {
		if p.Best.PrefixMatching.Mean >= PhaseThreshold {
			return p.Step, true
		}
	}
	return 0, false
}

// Tables returns phase.csv (one row per measurement: the loss on both
// repeats, the ICL score and the best head) and tracking.csv (one row per
// measurement and head).
func (t *Tracker) Tables() (phase, heads *report.Table) {
	heads = report.NewTable("tracking", "Head scores during training",
		report.Column{Name: "step"}, report.Column{Name: "head"}, report.Column{Name: "induction"},
		report.Column{Name: "prefix_matching"}, report.Column{Name: "previous_token"})
	phase = report.NewTable("phase", "Induction during training",
		report.Column{Name: "step"}, report.Column{Name: "loss_second_repeat", Unit: "nats"},
		report.Column{Name: "loss_first_repeat", Unit: "nats"}, report.Column{Name: "icl_score", Unit: "nats"},
		report.Column{Name: "best_prefix_matching"}, report.Column{Name: "best_induction"}, report.Column{Name: "best_head"})
	for _, p := range t.Points {
		for _, h := range p.Heads {
			heads.Add(p.Step, h.String(), h.Induction.Mean, h.PrefixMatching.Mean, h.PrevToken.Mean)
		}
		phase.Add(p.Step, p.SecondRepeat, p.FirstRepeat, p.ICL, p.Best.PrefixMatching.Mean, p.Best.Induction.Mean, p.Best.String())
	}
	if s, ok := t.PhaseChange(); ok {
		phase.Caption = fmt.Sprintf("induction head formed (best prefix-matching score ≥ %g) at step %d", PhaseThreshold, s)
	} else {
		phase.Caption = fmt.Sprintf("no head reached a prefix-matching score of %g", PhaseThreshold)
	}
	return phase, heads
}

// Chart is phase_change.png: two panels over the training steps, the loss
// on both repeats (nats) above and the best head's prefix-matching and TL
// induction scores below, with the phase change marked on both; the title
// says whether and when an induction head formed.
func (t *Tracker) Chart() plots.Panels {
	var xs, first, second, pm, ind []float64
	bestPM := 0.0
	for _, p := range t.Points {
		xs = append(xs, float64(p.Step))
		first, second = append(first, p.FirstRepeat), append(second, p.SecondRepeat)
		pm, ind = append(pm, p.Best.PrefixMatching.Mean), append(ind, p.Best.Induction.Mean)
		bestPM = max(bestPM, p.Best.PrefixMatching.Mean)
	}
	zero, one := 0.0, 1.0
	loss := plots.LineChart{Title: "Loss on [BOS, x×L, x×L]", XLabel: "training step", YLabel: "cross-entropy (nats)", YMin: &zero, Markers: true,
		Series: []plots.Series{{Name: "first repeat", X: xs, Y: first, Dashed: true}, {Name: "second repeat", X: xs, Y: second}}}
	scores := plots.LineChart{Title: "Best head's scores", XLabel: "training step", YLabel: "score", YMin: &zero, YMax: &one, Markers: true,
		Series: []plots.Series{{Name: "prefix matching", X: xs, Y: pm}, {Name: "TL induction", X: xs, Y: ind, Dashed: true}},
		HLines: []plots.HLine{{Y: PhaseThreshold, Label: fmt.Sprintf("prefix-matching threshold %g", PhaseThreshold)}}}
	title := fmt.Sprintf("No induction head formed (best prefix-matching score %.2f < %g)", bestPM, PhaseThreshold)
	if s, ok := t.PhaseChange(); ok {
		title = fmt.Sprintf("Phase change: an induction head forms at step %d", s)
		v := []plots.VLine{{X: float64(s), Label: fmt.Sprintf("step %d", s)}}
		loss.VLines, scores.VLines = v, v
	}
	return plots.Panels{Title: title, Charts: []plots.LineChart{loss, scores}, Cols: 1, Height: 7}
}

// Results returns the tracker's tables (phase, tracking), its headline
// (phase) and its figure (phase_change.png).
func (t *Tracker) Results() report.Results {
	phase, heads := t.Tables()
	return report.Results{Tables: []*report.Table{phase, heads}, Headline: []*report.Table{phase},
		Figures: []report.Figure{{Name: "phase_change.png", Fig: t.Chart()}}}
}
