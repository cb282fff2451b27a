// Package sinkanalysis is attnlab sink-analysis in one call: the
// attention-sink analysis of a byte-level text model on held-out windows
// of text (package sinks: first-token mass, Gu et al.'s Sink_k^ε, value
// and residual norms, the first token replaced or removed), optionally the
// streaming KV-cache policies on streams longer than n_ctx (sinks.Streaming)
// and the comparison of attention variants trained with one budget
// (studies/sinkvariants, which trains, so this is a study).
//
// The windows and the streams come from one corpus (sinks.HeldOut,
// sinks.HeldOutStreams), so the analysis and the variant comparison
// measure the same text.
package sinkanalysis

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/report"
	"github.com/attnlab/attnlab/sinks"
	"github.com/attnlab/attnlab/studies/sinkvariants"
	"github.com/attnlab/attnlab/tasks"
	"github.com/attnlab/attnlab/train"
)

// Options are one sink analysis.
type Options struct {
	Corpus        *tasks.TextCorpus // the held-out text (tasks.DefaultCorpus)
	Batch, SeqLen int               // held-out windows, and their length (at most n_ctx)
	Seed          uint64            // which windows; the variants' initial weights and data
	Sinks         sinks.Options     // the metrics, and the first token of every window (Text is set here)
	Streaming     *Streaming        // the streaming policies; nil skips them
	Compare       *Compare          // the variant comparison; nil skips it
	Log           io.Writer         // what runs; nil for nothing
}

// Streaming are the streaming-policy settings.
type Streaming struct {
	Streams, Len int   // streams (consecutive stretches of held-out text) and tokens per stream
	Window       int   // cache size of the policy comparison
	Sweep        []int // cache sizes of the window-size sweep
}

// Compare are the variant comparison's settings: every variant has the
// analysed model's architecture and this budget (16 sequences per step,
// AdamW at 3e-3, weight decay 0.1, the embedded text models' recipe).
type Compare struct {
	Steps int    // training steps per variant
	GuLen int    // Gu et al.'s α_k positions (at most the variants' n_ctx)
	Dir   string // load DIR/<variant>.safetensors when present, else train and save it there; "" trains every one
}

// Run analyses model m (called name in tables and the manifest) and runs
// the streaming policies and the variant comparison o asks for.
func Run(ctx context.Context, m *model.Model, name string, o Options) (report.Results, error) {
	B, T := o.Batch, o.SeqLen
	tokens, err := sinks.HeldOut(o.Corpus, B, T, o.Sinks.BOS, o.Seed)
	if err != nil {
		return report.Results{}, err
	}
	opt := o.Sinks
	opt.Text = fmt.Sprintf("%d held-out windows of %d tokens (Go standard library validation files)", B, T)
	rep, err := sinks.Analyze(ctx, m, tokens, B, T, opt)
	if err != nil {
		return report.Results{}, err
	}
	res := rep.Results(name)
	if res.Patterns, err = rep.PatternViews(ctx, m, tokens, 4); err != nil {
		return report.Results{}, err
	}
	res.Model, res.Extra = name, map[string]any{"bos": opt.BOS.String(), "seq_len": T, "batch": B}
	if s := o.Streaming; s != nil {
		streams, err := sinks.HeldOutStreams(o.Corpus, s.Streams, s.Len, opt.BOS)
		if err != nil {
			return report.Results{}, err
		}
		if o.Log != nil {
			fmt.Fprintf(o.Log, "streaming: %d streams of %d tokens, cache %d, sweep %v\n", s.Streams, s.Len, s.Window, s.Sweep)
		}
		sr, err := sinks.Streaming(ctx, m, streams, sinks.StreamingOptions{Window: s.Window, Sweep: s.Sweep, BOS: opt.BOS})
		if err != nil {
			return report.Results{}, err
		}
		res.Append(sr.Results())
	}
	if c := o.Compare; c != nil {
		base := m.Config
		base.Attention, base.Seed = nil, o.Seed
		vo := sinkvariants.Options{Base: base, Sinks: sinks.Options{Eps: opt.Eps, K: opt.K, GuLen: min(c.GuLen, base.NCtx)},
			Train: train.Options{Steps: c.Steps, Batch: 16, LR: 3e-3, WeightDecay: 0.1, Seed: o.Seed, EvalEvery: 0},
			Dir:   c.Dir, Batch: B}
		if o.Log != nil {
			vo.Log = func(format string, args ...any) { fmt.Fprintf(o.Log, format+"\n", args...) }
		}
		rs, err := sinkvariants.Run(ctx, o.Corpus, sinkvariants.Variants(), vo)
		if err != nil {
			return report.Results{}, err
		}
		res.Append(sinkvariants.Results(rs))
		res.Extra["compare_dir"] = filepath.Clean(c.Dir)
	}
	return res, nil
}
