package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/attnlab/attnlab/internal/cli"
	"github.com/attnlab/attnlab/internal/list"
	"github.com/attnlab/attnlab/sinks"
	"github.com/attnlab/attnlab/studies/sinkanalysis"
	"github.com/spf13/cobra"
)

type sinkOpts struct {
	outFlags
	mf                 modelFlags
	opt                sinkanalysis.Options   // the windows and the metrics
	streaming, compare bool                   // run these parts
	stream             sinkanalysis.Streaming // with --streaming
	cmp                sinkanalysis.Compare   // with --compare
	sweep, bos, metric string
}

func newSinkCmd(e *env) *cobra.Command {
	o := &sinkOpts{}
	c := &cobra.Command{
		Use:   "sink-analysis",
		Short: "Attention sinks: first-token mass per head, why they form, what a StreamingLLM cache buys",
		Long: `Measure attention sinks on held-out byte-level text (the Go standard library's
validation files): first-token attention α per head and per query position, Gu et
al.'s Sink_k^ε (fraction of heads whose α_k exceeds ε), the first token's value norm
against the others', residual-stream norms of the first token per layer (massive
activations), and the sink left when the first token is replaced or removed.

--streaming evaluates streaming KV-cache policies one token at a time on a stream
several times longer than n_ctx (Xiao et al. 2023): dense, window, window with
re-computation, and sinks + window (S = 1, 2, 4), with rotary positions assigned
within the cache (StreamingLLM) or by text position, and a window-size sweep. A
model with learned positions cannot slide a cache: it is streamed by re-computation
only, with and without its BOS in front of the window.

--compare trains one model per attention variant (softmax, softmax1, a learnable
sink slot, sigmoid, softmax with a dedicated sink token) with the same budget, or
loads them from --compare-dir, and reports their sinks and validation loss.

Without --model it uses embedded:text-bos-learned, a GPT-2-style byte-level model
(MLPs, learned positions) trained with a fixed BOS, whose last layer has a sink
head. The other embedded text models: text-bos (the same with rotary positions,
for StreamingLLM's cache policies), text-sink (attention-only, a dedicated sink
token) and text-rotary (the control without a first token of its own).`,
		Example: `  attnlab sink-analysis
  attnlab sink-analysis --model embedded:text-bos --streaming --stream-len 512 --window 64
  attnlab sink-analysis --compare --compare-dir attnlab-out/variants
  attnlab sink-analysis --model m.safetensors --epsilon 0.2 --json`,
		Args: cobra.NoArgs,
		RunE: func(_ *cobra.Command, _ []string) error { return runSinks(e, o) },
	}
	o.outFlags.add(c, "attnlab-out/sink-analysis")
	o.mf.add(c, "text-bos-learned", "weights file of a byte-level text model (default: embedded:text-bos-learned)")
	f := c.Flags()
	f.Float64Var(&o.opt.Sinks.Eps, "epsilon", 0.3, "Sink_k^ε threshold: a head is a sink head when its α_k exceeds it (Gu et al.)")
	f.IntVar(&o.opt.Sinks.K, "k", 1, "Gu et al.'s token index k (one-based; 1 is the first token)")
	f.IntVar(&o.opt.Sinks.GuLen, "gu-len", 0, "positions Gu et al.'s α_k is computed on, at most --seq-len; default min(64, --seq-len)")
	f.IntVar(&o.opt.Batch, "batch", 16, "held-out windows to measure on")
	f.StringVar(&o.bos, "bos", "", "token put in front of every window and stream (TransformerLens prepend_bos), or none; default the model's own first token (train --bos), none if it has none")
	f.StringVar(&o.metric, "sink-metric", "per-sample", "how Sink_k^ε aggregates: per-sample (Gu et al.'s code: threshold each window, then average) or head-mean (threshold each head's mean over windows)")
	f.IntVar(&o.opt.SeqLen, "seq-len", 0, "window length; default the model's n_ctx")
	f.BoolVar(&o.streaming, "streaming", false, "evaluate streaming cache policies (streaming.csv, streaming_loss.png)")
	f.IntVar(&o.stream.Len, "stream-len", 0, "tokens per stream; default 8 × n_ctx")
	f.IntVar(&o.stream.Streams, "streams", 2, "streams to average over (consecutive stretches of held-out text)")
	f.IntVar(&o.stream.Window, "window", 0, "cache size W of the policy comparison; default n_ctx")
	f.StringVar(&o.sweep, "windows", "", "comma-separated cache sizes of the sweep; default n_ctx/8, n_ctx/4, n_ctx/2, n_ctx")
	f.BoolVar(&o.compare, "compare", false, "train (or load) one model per attention variant and compare their sinks")
	f.StringVar(&o.cmp.Dir, "compare-dir", "", "with --compare: load <variant>.safetensors from here when present, else train and save it here")
	f.IntVar(&o.cmp.Steps, "steps", 3000, "with --compare: training steps per variant (3000: the embedded model's recipe)")
	return c
}

func runSinks(e *env, o *sinkOpts) error {
	opt := o.opt
	sk := &opt.Sinks
	switch { // before the model is loaded
	case math.IsNaN(sk.Eps) || sk.Eps <= 0 || sk.Eps >= 1:
		return cli.Usagef("--epsilon must be between 0 and 1, got %v", sk.Eps)
	case opt.Batch < 1:
		return cli.Usagef("--batch must be a positive integer, got %d", opt.Batch)
	case sk.K < 1:
		return cli.Usagef("--k must be at least 1 (one-based), got %d", sk.K)
	case o.stream.Streams < 1:
		return cli.Usagef("--streams must be a positive integer, got %d", o.stream.Streams)
	case o.cmp.Steps < 1:
		return cli.Usagef("--steps must be a positive integer, got %d", o.cmp.Steps)
	case opt.SeqLen < 0:
		return cli.Usagef("--seq-len must be positive (0: the model's n_ctx), got %d", opt.SeqLen)
	case o.stream.Len < 0:
		return cli.Usagef("--stream-len must be positive (0: 8 × n_ctx), got %d", o.stream.Len)
	case o.stream.Window < 0:
		return cli.Usagef("--window must be positive (0: n_ctx), got %d", o.stream.Window)
	case sk.GuLen < 0:
		return cli.Usagef("--gu-len must be positive (0: min(64, --seq-len)), got %d", sk.GuLen)
	}
	m, name, err := o.mf.load()
	if err != nil {
		return err
	}
	metric, err := sinks.ParseSinkMetric(o.metric)
	if err != nil {
		return cli.Usagef("--sink-metric must be %s, got %q", strings.Join(sinks.SinkMetrics, " or "), o.metric)
	}
	bos, err := sinks.ChooseBOS(m, o.bos)
	if err != nil {
		return cli.FlagError(err, nil)
	}
	opt.Seed, opt.Sinks.Metric, opt.Sinks.BOS = o.seed, metric, bos
	if o.streaming {
		opt.Streaming = &o.stream
		if o.sweep != "" {
			if opt.Streaming.Sweep, err = list.Parse(o.sweep, func(f string) (int, error) {
				w, err := strconv.Atoi(f)
				if err != nil {
					return 0, cli.Usagef("--windows must list cache sizes between 5 (four sinks and a recent token) and n_ctx (%d), got %q", m.Config.NCtx, f)
				}
				return w, nil
			}); err != nil {
				return cli.ListError("--windows", err)
			}
		}
	}
	if o.compare {
		opt.Compare, o.cmp.GuLen = &o.cmp, sk.GuLen
	}
	if err := opt.Validate(m, name); err != nil {
		return cli.FlagError(err, nil)
	}
	if !o.quiet {
		opt.Log = e.stderr
	}
	res, err := sinkanalysis.Run(e.ctx, m, name, opt)
	if err != nil {
		return err
	}
	if !o.quiet {
		fmt.Fprintf(e.stderr, "first token: %s\n", bosSource(m, o.bos, bos))
	}
	return e.finish(o.outFlags, res)
}
