package sinks

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/plots"
	"github.com/attnlab/attnlab/report"
)

// Tracker measures first-token mass per head on a fixed batch as training
// goes (train.Options.OnEval), so the step where a sink forms is visible.
type Tracker struct {
	tokens []int32 // [B, T]
	B, T   int
	Eps    float64 // a head counts as a sink once its α exceeds Eps

	// TokensPerStep, when set (SetTokensPerStep), puts training tokens
	// rather than steps on the chart's x axis.
	TokensPerStep int

	Steps    []int
	Alpha    [][]float64    // [measurement][L·H] α per head, layer-major
	SinkRate []float64      // [measurement] Gu et al.'s Sink_1^ε as their code computes it (SinkRate)
	Loss     []float64      // [measurement] mean loss on the batch, nats
	Heads    []model.HeadID // [L·H] the heads, layer-major, set by the first Measure
}

// SetTokensPerStep sets the training tokens of one step (batch × sequence
// length), for the chart's x axis.
func (t *Tracker) SetTokensPerStep(n int) { t.TokensPerStep = n }

// NewTracker tracks on tokens [B, T] (held-out windows).
func NewTracker(tokens []int32, B, T int, eps float64) (*Tracker, error) {
	if T < 2 || len(tokens) != B*T {
		return nil, fmt.Errorf("sinks: tracker needs B·T tokens with T ≥ 2, got %d for [%d, %d]", len(tokens), B, T)
	}
	return &Tracker{tokens: tokens, B: B, T: T, Eps: eps}, nil
}

// Measure records α(l,h) of m at step.
func (t *Tracker) Measure(step int, m *model.Model) error {
	// One forward pass (no replacement experiment): nothing to cancel.
	r, err := Analyze(context.Background(), m, t.tokens, t.B, t.T, Options{Eps: t.Eps, NoSwap: true})
	if err != nil {
		return err
	}
	var row []float64
	var heads []model.HeadID
	for l := range r.L {
		for h := range r.H {
			row = append(row, r.Alpha[l][h])
			heads = append(heads, model.HeadID{Layer: l, Head: h})
		}
	}
	if len(t.Alpha) > 0 && len(row) != len(t.Alpha[0]) {
		// Earlier measurements (UnmarshalHistory) of another model.
		return fmt.Errorf("sinks: the model has %d heads, the tracker's earlier measurements %d", len(row), len(t.Alpha[0]))
	}
	t.Heads = heads
	t.Steps, t.Alpha, t.Loss = append(t.Steps, step), append(t.Alpha, row), append(t.Loss, r.Loss)
	t.SinkRate = append(t.SinkRate, r.SinkRate)
	return nil
}

// Formed returns the first step at which some head's α exceeds Eps, the
// head, and whether it happened.
func (t *Tracker) Formed() (step int, head model.HeadID, ok bool) {
	for i, row := range t.Alpha {
		for j, a := range row {
			if a > t.Eps {
				return t.Steps[i], t.Heads[j], true
			}
		}
	}
	return 0, model.HeadID{}, false
}

// Table is sink_tracking.csv: step, head, α, and the batch loss.
func (t *Tracker) Table() *report.Table {
	tb := report.NewTable("sink_tracking", "First-token mass per head during training",
		report.Column{Name: "step"}, report.Column{Name: "tokens"}, report.Column{Name: "head"},
		report.Column{Name: "alpha", Format: "%.3f"}, report.Column{Name: "sink_rate", Format: "%.3f"},
		report.Column{Name: "loss", Unit: "nats", Format: "%.3f"})
	for i, s := range t.Steps {
		for j, a := range t.Alpha[i] {
			tb.Add(s, s*t.TokensPerStep, t.Heads[j].String(), a, t.SinkRate[i], t.Loss[i])
		}
	}
	if s, h, ok := t.Formed(); ok {
		tb.Caption = fmt.Sprintf("first sink (α > %g) at step %d in %s", t.Eps, s, h)
	} else {
		tb.Caption = fmt.Sprintf("no head's α exceeded %g", t.Eps)
	}
	return tb
}

// ChartHeads is how many heads the emergence chart draws: those with the
// largest α at the last measurement (the CSV has every head).
const ChartHeads = 6

// Chart is the sink-emergence figure (Gu et al. 2024, Figure 4): α of the
// ChartHeads heads with the largest final α, and Gu et al.'s Sink_1^ε over
// every head, against the training tokens (or steps), with ε and the
// uniform level marked; beside it the loss on the tracking batch.
func (t *Tracker) Chart() (alpha, loss plots.LineChart) {
	xs := make([]float64, len(t.Steps))
	xlabel := "training step"
	for i, s := range t.Steps {
		xs[i] = float64(s)
		if t.TokensPerStep > 0 {
			xs[i] = float64(s) * float64(t.TokensPerStep) / 1e6
			xlabel = "training tokens (millions)"
		}
	}
	uni := Uniform(t.T)
	alpha = plots.LineChart{Title: "Sink emergence: first-token attention during training", XLabel: xlabel,
		YLabel: "fraction", Markers: true, Legend: plots.LegendRight, Width: 8.5,
		HLines: []plots.HLine{{Y: t.Eps, Label: fmt.Sprintf("ε = %g", t.Eps)}, {Y: uni, Label: fmt.Sprintf("uniform α %.3f", uni)}}}
	order := make([]int, len(t.Heads))
	for j := range order {
		order[j] = j
	}
	if n := len(t.Steps); n > 0 {
		slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(t.Alpha[n-1][b], t.Alpha[n-1][a]) })
	}
	for _, j := range order[:min(len(order), ChartHeads)] {
		ys := make([]float64, len(t.Steps))
		for i := range t.Steps {
			ys[i] = t.Alpha[i][j]
		}
		alpha.Series = append(alpha.Series, plots.Series{Name: "α " + t.Heads[j].String(), X: xs, Y: ys})
	}
	alpha.Series = append(alpha.Series, plots.Series{Name: fmt.Sprintf("Sink₁ rate, ε = %g (all heads)", t.Eps), X: xs, Y: t.SinkRate, Dashed: true})
	if s, h, ok := t.Formed(); ok {
		x := float64(s)
		if t.TokensPerStep > 0 {
			x = x * float64(t.TokensPerStep) / 1e6
		}
		alpha.VLines = []plots.VLine{{X: x, Label: fmt.Sprintf("%s passes ε", h)}}
	}
	loss = plots.LineChart{Title: "Held-out loss on the tracking batch", XLabel: xlabel, YLabel: "cross-entropy (nats)",
		Series: []plots.Series{{Name: "loss", X: xs, Y: t.Loss}}}
	return alpha, loss
}

// Summary is one row per head: α at the first and last measurement and
// the step at which it first exceeded Eps (−1: never).
func (t *Tracker) Summary() *report.Table {
	tb := report.NewTable("sink_tracking_summary", "Sink formation during training",
		report.Column{Name: "head"}, report.Column{Name: "alpha_first", Format: "%.3f"},
		report.Column{Name: "alpha_last", Format: "%.3f"}, report.Column{Name: "step_formed"})
	if len(t.Steps) == 0 {
		return tb
	}
	last := len(t.Steps) - 1
	for j, hd := range t.Heads {
		formed := -1
		for i := range t.Steps {
			if t.Alpha[i][j] > t.Eps {
				formed = t.Steps[i]
				break
			}
		}
		tb.Add(hd.String(), t.Alpha[0][j], t.Alpha[last][j], formed)
	}
	tb.Caption = fmt.Sprintf("step_formed: first measurement with α > ε = %g (−1: never)", t.Eps)
	return tb
}

// Results returns the tracker's tables (sink_tracking_summary,
// sink_tracking), its headline (the summary) and its figures
// (sink_tracking.png, sink_tracking_loss.png).
func (t *Tracker) Results() report.Results {
	sum := t.Summary()
	alpha, loss := t.Chart()
	return report.Results{Tables: []*report.Table{sum, t.Table()}, Headline: []*report.Table{sum},
		Figures: []report.Figure{{Name: "sink_tracking.png", Fig: alpha}, {Name: "sink_tracking_loss.png", Fig: loss}}}
}
