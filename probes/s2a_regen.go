package probes

import (
	"context"
	"math"
	"slices"
	"time"

	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/tasks"
)

// regenOut is the regenerator's output for one example.
type regenOut struct {
	out       []int32 // the rewritten context, without EOS
	eos       bool    // it ended with EOS (not at the length limit)
	processed int     // tokens run through the decoder: prompt and written
	seconds   float64
	flops     float64 // model.Config.ForwardFLOPs(processed): the KV-cache decoder's work
}

// Regenerate writes the regenerator's rewrite of e's context: greedy
// (argmax) decoding with the KV-cache decoder after the prompt [BOS,
// context, ?, k, regen], until EOS or maxOut tokens. It returns the
// rewritten context without EOS and whether EOS ended it.
func Regenerate(dec *model.Decoder[float32], e tasks.DistractorExample, maxOut int) (out []int32, eos bool, err error) {
	r, err := regenerate(dec, e, maxOut)
	return r.out, r.eos, err
}

func regenerate(dec *model.Decoder[float32], e tasks.DistractorExample, maxOut int) (regenOut, error) {
	start := time.Now()
	prompt := e.RegenPrompt()
	dec.Reset()
	var r regenOut
	for i, t := range prompt {
		if err := dec.Step(t, i); err != nil {
			return r, err
		}
	}
	r.processed = len(prompt)
	for {
		next := int32(argmax(dec.Logits))
		if next == tasks.DistractorEOS {
			r.eos = true
			break
		}
		if len(r.out) >= maxOut {
			break
		}
		r.out = append(r.out, next)
		if err := dec.Step(next, len(prompt)+len(r.out)-1); err != nil {
			return r, err
		}
		r.processed++
	}
	r.seconds = time.Since(start).Seconds()
	r.flops = dec.Config().ForwardFLOPs(r.processed)
	return r, nil
}

// regenerateAll rewrites every example on workers goroutines (one decoder
// each) and measures the regenerator's errors. A rewrite may be at most as
// long as the room the answerer leaves next to the original context
// (answerCtx − 3 − len(context)) and the regenerator's own n_ctx.
func regenerateAll(ctx context.Context, g *model.Model, answerCtx int, exs []tasks.DistractorExample, workers int) ([]regenOut, S2ARegenStats, error) {
	out := make([]regenOut, len(exs))
	decs := make(chan *model.Decoder[float32], workers)
	for range min(workers, len(exs)) {
		d, err := g.NewDecoder(g.Config.NCtx, model.TextPositions)
		if err != nil {
			return nil, S2ARegenStats{}, err
		}
		decs <- d
	}
	err := parallel(ctx, len(exs), workers, func(i int) error {
		d := <-decs
		defer func() { decs <- d }()
		e := exs[i]
		maxOut := min(g.Config.NCtx-len(e.RegenPrompt()), answerCtx-3-len(e.Context()))
		var err error
		out[i], err = regenerate(d, e, maxOut)
		return err
	})
	if err != nil {
		return nil, S2ARegenStats{}, err
	}
	return out, regenStats(exs, out), nil
}

// regenStats compares each rewrite with its clean context.
func regenStats(exs []tasks.DistractorExample, out []regenOut) S2ARegenStats {
	var s S2ARegenStats
	var facts, dropped, opinions, keptOp, irrelevant, keptIr float64
	for i, e := range exs {
		r := out[i]
		if r.eos && slices.Equal(r.out, e.Clean()) {
			s.Exact++
		}
		if !r.eos {
			s.NoEOS++
		}
		s.Written += float64(len(r.out))
		if r.eos {
			s.Written++
		}
		items, _, bad := e.Parse(r.out)
		s.Malformed += float64(bad)
		present := map[tasks.DistractorItem]bool{}
		for _, it := range items {
			if it.Kind == tasks.ItemInvented {
				s.Invented++
			}
			present[tasks.DistractorItem{Kind: it.Kind, Key: it.Key, Value: it.Value}] = true
		}
		for _, it := range e.Items {
			switch it.Kind {
			case tasks.ItemFact:
				facts++
				if !present[it] {
					dropped++
					if it.Key == e.Query {
						s.AnswerDropped++
					}
				}
			case tasks.ItemOpinion:
				opinions++
				if present[it] {
					keptOp++
				}
			case tasks.ItemIrrelevant:
				irrelevant++
				if present[it] {
					keptIr++
				}
			}
		}
	}
	n := float64(len(exs))
	s.Exact, s.NoEOS, s.Written, s.Malformed, s.Invented, s.AnswerDropped = s.Exact/n, s.NoEOS/n, s.Written/n, s.Malformed/n, s.Invented/n, s.AnswerDropped/n
	s.FactsDropped = dropped / facts
	s.OpinionsKept, s.IrrelevantKept = ratio(keptOp, opinions), ratio(keptIr, irrelevant)
	return s
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return math.NaN()
	}
	return a / b
}
