package sinks

import (
	"context"
	"fmt"

	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/report"
)

// StreamingOptions configure Streaming.
type StreamingOptions struct {
	Window int   // cache size W of the policy comparison
	Sweep  []int // cache sizes of the window-size sweep (DefaultSweep)
	BOS    BOS   // the streams start with this token (a model trained with a fixed first token)
}

// DefaultSweep is the window-size sweep for a model of context nctx:
// n_ctx/8, n_ctx/4, n_ctx/2 and n_ctx, those of at least 2 tokens.
func DefaultSweep(nctx int) []int {
	var ws []int
	for _, d := range []int{8, 4, 2, 1} {
		if nctx/d >= 2 {
			ws = append(ws, nctx/d)
		}
	}
	return ws
}

// StreamingReport is the result of Streaming.
type StreamingReport struct {
	Window       int
	NCtx         int            // the model's context length
	Streams, Len int            // number of streams and tokens per stream
	Policies     []StreamResult // DefaultPolicies(Window), plus sinks1+recompute with a BOS (learned positions: RecomputePolicies)
	Sweep        []StreamResult // SweepPolicies(Sweep) (learned positions: RecomputePolicies at each size)
}

// Streaming evaluates the streaming cache policies on streams (Stream):
// the comparison at cache size opt.Window and the window-size sweep. For a
// model trained with a fixed first token (opt.BOS), re-computation keeps
// that token in front of the window (the windows it was trained on): the
// comparison gains sinks1+recompute and the sweep's recompute becomes
// sinks1+recompute. A model with learned positions is streamed by
// re-computation only (RecomputePolicies), at W and at each swept size.
func Streaming(ctx context.Context, m *model.Model, streams [][]int32, opt StreamingOptions) (*StreamingReport, error) {
	if len(streams) == 0 {
		return nil, fmt.Errorf("sinks: no streams to evaluate")
	}
	policies, swept := DefaultPolicies(opt.Window), SweepPolicies(opt.Sweep)
	if m.Config.LearnedPos() {
		policies, swept = RecomputePolicies(opt.Window, opt.BOS.On), nil
		for _, w := range opt.Sweep {
			swept = append(swept, RecomputePolicies(w, opt.BOS.On)...)
		}
	} else if opt.BOS.On {
		policies = append(policies, Policy{Kind: Recompute, Window: opt.Window, Sinks: 1})
		for i, p := range swept {
			if p.Kind == Recompute {
				swept[i].Sinks = 1
			}
		}
	}
	main, err := Stream(ctx, m, streams, policies)
	if err != nil {
		return nil, err
	}
	sweep, err := Stream(ctx, m, streams, swept)
	if err != nil {
		return nil, err
	}
	return &StreamingReport{Window: opt.Window, NCtx: m.Config.NCtx, Streams: len(streams), Len: len(streams[0]), Policies: main, Sweep: sweep}, nil
}

// Results returns streaming.csv (the headline) and streaming_sweep.csv,
// streaming_loss.png and streaming_sweep.png.
func (s *StreamingReport) Results() report.Results {
	tb := StreamTable("streaming", fmt.Sprintf("Streaming KV-cache policies, cache W = %d, %d × %d tokens", s.Window, s.Streams, s.Len), s.Policies)
	sw := StreamTable("streaming_sweep", "Window-size sweep (cache positions)", s.Sweep)
	return report.Results{Tables: []*report.Table{tb, sw}, Headline: []*report.Table{tb},
		Figures: []report.Figure{{Name: "streaming_loss.png", Fig: StreamLossChart(s.Policies, s.Window, s.NCtx)},
			{Name: "streaming_sweep.png", Fig: SweepChart(s.Sweep)}}}
}
