package sinks

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/attnlab/attnlab/internal/cputime"
	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/report"
)

// PolicyKind is a streaming cache policy (Xiao et al. 2023, Figure 1).
type PolicyKind int

const (
	Dense     PolicyKind = iota // keep every token (positions grow past n_ctx)
	Window                      // keep the last W tokens
	Recompute                   // re-run the first S and the last W − S tokens from scratch for every new token
	SinkCache                   // keep the first S tokens and the last W − S (StreamingLLM)
)

// Policy is one streaming configuration.
type Policy struct {
	Kind   PolicyKind
	Window int                  // W: cache slots (sinks included); unused by Dense
	Sinks  int                  // S: SinkCache, and Recompute (the first S tokens re-run before the last W − S)
	Scheme model.PositionScheme // Window and SinkCache; the others do not depend on it
}

// Name is the policy's label: "dense", "window", "recompute", "sinks4+window".
func (p Policy) Name() string {
	switch p.Kind {
	case Dense:
		return "dense"
	case Window:
		return "window"
	case Recompute:
		if p.Sinks > 0 {
			return fmt.Sprintf("sinks%d+recompute", p.Sinks)
		}
		return "recompute"
	}
	return fmt.Sprintf("sinks%d+window", p.Sinks)
}

// SchemeName is the position scheme's label, "-" where it cannot matter.
func (p Policy) SchemeName() string {
	if p.Kind == Dense || p.Kind == Recompute {
		return "-"
	}
	return p.Scheme.String()
}

// StreamResult is one policy evaluated on a set of streams.
type StreamResult struct {
	Policy       Policy
	Loss         []float64 // [N−1] loss[i] = −log p(x_{i+1} | cache), nats, mean over streams
	PPL          float64   // exp(mean loss) over every position
	PPLLate      float64   // exp(mean loss) over positions ≥ n_ctx (every cache ≤ n_ctx has rolled; dense is past its training length)
	TokensPerSec float64   // wall clock
	TokensPerCPU float64   // per CPU-second of the process (robust to other load on the machine)
	Slots        int       // largest number of cached tokens
	CacheBytes   int       // Slots · L · 2 (K and V) · H · E · 4 bytes (float32)
}

// DefaultPolicies is the comparison of the issue at cache size W: dense,
// window, recompute and sinks + window with S ∈ {1, 2, 4} (S = 0 is the
// window), window and sinks under both position schemes.
func DefaultPolicies(W int) []Policy {
	ps := []Policy{{Kind: Dense}, {Kind: Recompute, Window: W}}
	for _, sc := range []model.PositionScheme{model.CachePositions, model.TextPositions} {
		ps = append(ps, Policy{Kind: Window, Window: W, Scheme: sc})
		for _, s := range []int{1, 2, 4} {
			ps = append(ps, Policy{Kind: SinkCache, Window: W, Sinks: s, Scheme: sc})
		}
	}
	return ps
}

// RecomputePolicies are the policies a model with learned positions can
// stream: a KV cache holds keys computed at their absolute positions, which
// cannot slide, so only re-computation (the last W tokens re-run at
// positions 0 … W−1) applies, without and, for a model trained with a
// fixed first token (bos), with that token in front of the window.
func RecomputePolicies(W int, bos bool) []Policy {
	ps := []Policy{{Kind: Recompute, Window: W}}
	if bos {
		ps = append(ps, Policy{Kind: Recompute, Window: W, Sinks: 1})
	}
	return ps
}

// SweepPolicies is the window-size sweep: window, sinks4+window and
// recompute at each W (cache positions).
func SweepPolicies(ws []int) []Policy {
	var ps []Policy
	for _, w := range ws {
		ps = append(ps, Policy{Kind: Window, Window: w}, Policy{Kind: SinkCache, Window: w, Sinks: 4}, Policy{Kind: Recompute, Window: w})
	}
	return ps
}

// Stream evaluates each policy on each stream (equal lengths N ≥ 2), one
// token at a time with a KV cache (model.Decoder), and returns one result
// per policy in order. A model with learned positions takes Recompute
// policies only (RecomputePolicies). ctx is checked every 64 tokens: a
// cancelled run returns ctx's error.
func Stream(ctx context.Context, m *model.Model, streams [][]int32, policies []Policy) ([]StreamResult, error) {
	if len(streams) == 0 || len(streams[0]) < 2 {
		return nil, fmt.Errorf("sinks: need at least one stream of 2 or more tokens")
	}
	N := len(streams[0])
	for _, s := range streams {
		if len(s) != N {
			return nil, fmt.Errorf("sinks: streams must have equal lengths, got %d and %d", N, len(s))
		}
	}
	c := m.Config
	var res []StreamResult
	for _, p := range policies {
		if p.Kind != Dense && (p.Window < 1 || p.Window > c.NCtx || p.Sinks < 0 || p.Sinks >= p.Window) {
			return nil, fmt.Errorf("sinks: policy %s needs 0 ≤ S < W ≤ n_ctx (%d), got S=%d W=%d", p.Name(), c.NCtx, p.Sinks, p.Window)
		}
		if c.LearnedPos() && p.Kind != Recompute {
			return nil, fmt.Errorf("sinks: policy %s needs rotary (or no) position embeddings; this model has learned positions up to n_ctx %d, so only re-computation can stream it", p.Name(), c.NCtx)
		}
		r := StreamResult{Policy: p, Loss: make([]float64, N-1)}
		start, cpu0 := time.Now(), cputime.Process()
		for _, s := range streams {
			var (
				loss  []float64
				slots int
				err   error
			)
			if p.Kind == Recompute {
				loss, err = recompute(ctx, m, s, p.Window, p.Sinks)
				slots = p.Window
			} else {
				loss, slots, err = decode(ctx, m, s, p)
			}
			if err != nil {
				return nil, err
			}
			r.Slots = max(r.Slots, slots)
			for i, v := range loss {
				r.Loss[i] += v / float64(len(streams))
			}
		}
		ntok := float64(len(streams) * (N - 1))
		r.TokensPerSec = ntok / time.Since(start).Seconds()
		r.TokensPerCPU = ntok / max((cputime.Process()-cpu0).Seconds(), 1e-6)
		r.CacheBytes = r.Slots * c.NLayers * 2 * c.NHeads * c.DHead * 4
		r.PPL, r.PPLLate = math.Exp(meanF(r.Loss)), math.Exp(meanF(r.Loss[min(c.NCtx, len(r.Loss)):]))
		res = append(res, r)
	}
	return res, nil
}

// decode runs one stream through a decoder under p's eviction rule.
func decode(ctx context.Context, m *model.Model, s []int32, p Policy) ([]float64, int, error) {
	capacity := p.Window
	if p.Kind == Dense {
		capacity = len(s)
	}
	d, err := m.NewDecoder(capacity, p.Scheme)
	if err != nil {
		return nil, 0, err
	}
	keep := make([]int, 0, capacity)
	loss := make([]float64, len(s)-1)
	for i := range len(s) - 1 {
		if i%64 == 0 && ctx.Err() != nil {
			return nil, 0, ctx.Err()
		}
		if d.Len() == capacity {
			keep = keep[:0]
			for slot := range capacity {
				if slot != p.Sinks { // evict the oldest token after the S sinks
					keep = append(keep, slot)
				}
			}
			d.Keep(keep)
		}
		if err := d.Step(s[i], i); err != nil {
			return nil, 0, err
		}
		loss[i] = model.NLL(d.Logits, s[i+1])
	}
	return loss, min(capacity, len(s)-1), nil
}

// recompute re-runs the model for every position on the last W tokens, or,
// with S > 0, on the first S tokens of the stream followed by the last W − S
// (for a model trained with a sink token at the start of every window, the
// windows it was trained on).
func recompute(ctx context.Context, m *model.Model, s []int32, W, S int) ([]float64, error) {
	N := len(s)
	loss := make([]float64, N-1)
	first := min(W, N-1)
	w, err := m.NewWorkspace(1, first)
	if err != nil {
		return nil, err
	}
	if _, err := w.ForwardLoss(s[:first], s[1:first+1], nil); err != nil {
		return nil, err
	}
	for i := range first {
		loss[i] = float64(w.Losses[i])
	}
	if first < W {
		return loss, nil
	}
	targets := make([]int32, W)
	for i := range targets {
		targets[i] = -1
	}
	win := make([]int32, W)
	copy(win, s[:S])
	for i := W; i < N-1; i++ {
		if i%64 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		targets[W-1] = s[i+1]
		copy(win[S:], s[i-(W-S)+1:i+1])
		if _, err := w.ForwardLoss(win, targets, nil); err != nil {
			return nil, err
		}
		loss[i] = float64(w.Losses[W-1])
	}
	return loss, nil
}

func meanF(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s / float64(max(len(x), 1))
}

// StreamTable is streaming.csv: one row per policy.
func StreamTable(name, title string, rs []StreamResult) *report.Table {
	t := report.NewTable(name, title,
		report.Column{Name: "policy"}, report.Column{Name: "positions"}, report.Column{Name: "window"},
		report.Column{Name: "sinks"}, report.Column{Name: "ppl", Format: "%.2f"},
		report.Column{Name: "ppl_after_roll", Format: "%.2f"}, report.Column{Name: "tokens_per_s", Format: "%.0f"},
		report.Column{Name: "tokens_per_cpu_s", Format: "%.0f"},
		report.Column{Name: "kv_cache", Unit: "KiB", Format: "%.1f"})
	t.Caption = "ppl: exp(mean next-token loss) over the whole stream; ppl_after_roll: over positions ≥ n_ctx, where every cache has rolled (and dense runs past its training length); tokens_per_s: wall clock, tokens_per_cpu_s: per CPU-second of the process"
	for _, r := range rs {
		w := r.Policy.Window
		if r.Policy.Kind == Dense {
			w = r.Slots
		}
		t.Add(r.Policy.Name(), r.Policy.SchemeName(), w, r.Policy.Sinks, r.PPL, r.PPLLate, r.TokensPerSec, r.TokensPerCPU, float64(r.CacheBytes)/1024)
	}
	return t
}
