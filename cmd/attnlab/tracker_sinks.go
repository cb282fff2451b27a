package main

import (
	"math/rand/v2"

	"github.com/attnlab/attnlab/sinks"
	"github.com/attnlab/attnlab/tasks"
)

// newSinkTracker logs first-token mass per head at every evaluation
// (--track sinks) on 8 held-out windows of the training length.
func newSinkTracker(o *trainOpts, task tasks.Task) (*tracker, error) {
	const B = 8
	r := rand.New(rand.NewPCG(o.seed, 0x5171c))
	var b tasks.Batch
	if err := tasks.CheckShape(task, B, o.seqLen); err != nil {
		return nil, usageError{err}
	}
	if vs, ok := task.(interface {
		ValSample(r *rand.Rand, b, t int) tasks.Batch
	}); ok {
		b = vs.ValSample(r, B, o.seqLen)
	} else {
		b = task.Sample(r, B, o.seqLen)
	}
	tk, err := sinks.NewTracker(b.Tokens, B, o.seqLen, 0.3)
	if err != nil {
		return nil, usageError{err}
	}
	t := &tracker{kind: "sinks", measure: tk.Measure}
	t.results = func(res *results) {
		tb := tk.Table()
		alpha, loss := tk.Chart()
		sum := tk.Summary()
		res.tables = append(res.tables, sum, tb)
		res.headline = append(res.headline, sum)
		res.figures = append(res.figures, figure{"sink_tracking.png", alpha.Render}, figure{"sink_tracking_loss.png", loss.Render})
	}
	return t, nil
}
