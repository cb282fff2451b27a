package train

import (
	"math"

	"github.com/attnlab/attnlab/plots"
	"github.com/attnlab/attnlab/report"
)

// LossTable is loss.csv: one row per logged step (learning rate, training
// and validation loss, gradient norm, tokens seen, wall time).
func (tr *Trainer) LossTable() *report.Table {
	curve := report.NewTable("loss", "Training loss",
		report.Column{Name: "step"}, report.Column{Name: "lr"}, report.Column{Name: "loss", Unit: "nats"},
		report.Column{Name: "val_loss", Unit: "nats"}, report.Column{Name: "grad_norm"},
		report.Column{Name: "tokens"}, report.Column{Name: "seconds", Unit: "s"})
	for _, p := range tr.Log {
		curve.Add(p.Step, p.LR, p.Loss, orNA(p.ValLoss), p.GradNorm, p.Tokens, p.Seconds)
	}
	return curve
}

// LossChart is loss.png: training and validation loss against the step.
func (tr *Trainer) LossChart() plots.LineChart {
	var xs, ys, vx, vy []float64
	for _, p := range tr.Log {
		xs, ys = append(xs, float64(p.Step)), append(ys, p.Loss)
		if !math.IsNaN(p.ValLoss) {
			vx, vy = append(vx, float64(p.Step)), append(vy, p.ValLoss)
		}
	}
	return plots.LineChart{Title: "Training loss (" + tr.Task.Name() + ")", XLabel: "step", YLabel: "cross-entropy (nats)",
		Series: []plots.Series{{Name: "train", X: xs, Y: ys}, {Name: "validation", X: vx, Y: vy}}}
}

// Summary is train_summary.csv, one row: the task, the steps taken, the
// last training and validation loss and the speed; title names the run.
func (tr *Trainer) Summary(title string) *report.Table {
	summary := report.NewTable("train_summary", title,
		report.Column{Name: "task"}, report.Column{Name: "steps"}, report.Column{Name: "final_loss", Unit: "nats"},
		report.Column{Name: "val_loss", Unit: "nats"}, report.Column{Name: "tokens_per_s"}, report.Column{Name: "seconds", Unit: "s"})
	if len(tr.Log) == 0 {
		return summary
	}
	last := tr.Log[len(tr.Log)-1]
	secs := last.Seconds
	summary.Add(tr.Task.Name(), tr.Step, last.Loss, orNA(last.ValLoss), float64(last.Tokens)/math.Max(secs, 1e-9), secs)
	return summary
}

// orNA is v, or nil (not applicable: no evaluation at that step) for NaN.
func orNA(v float64) any {
	if math.IsNaN(v) {
		return nil
	}
	return v
}

// Results returns the run's loss curve (loss.csv, loss.png) and its
// summary (train_summary.csv, the headline); title names the run.
func (tr *Trainer) Results(title string) report.Results {
	s := tr.Summary(title)
	return report.Results{Tables: []*report.Table{tr.LossTable(), s}, Headline: []*report.Table{s},
		Figures: []report.Figure{{Name: "loss.png", Fig: tr.LossChart()}}}
}
