package induction

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/attnlab/attnlab/circuits"
	"github.com/attnlab/attnlab/internal/membudget"
	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/tasks"
)

// Options configures Analyze.
type Options struct {
	SeqLen    int     // L, the repeat length; 0 means 50, or the largest that fits n_ctx
	Batch     int     // sequences in the canonical batch; 0 means 32
	Seed      uint64  // draws the batch and seeds the bootstrap
	Threshold float64 // TL induction score at or above which a head is marked; 0 means 0.4
	Detector  DetectorOptions
	// NoAblation skips the ablation runs (2 forward passes per head).
	NoAblation bool
	// PatternHeads are heads whose attention pattern Figures draws besides
	// the top induction head's and its partner's, on sequence PatternSeq of
	// the canonical batch.
	PatternHeads []model.HeadID
	PatternSeq   int
	// Weights is how the weights are prepared for the weight-only scores
	// (OV copying, composition): circuits.FoldLN (the default: LayerNorm
	// weights folded in, nothing centred) or circuits.TLDefault
	// (TransformerLens's default processing, which also centres).
	Weights circuits.Processing
}

// HeadScores are every score of one head. Detector scores use
// TransformerLens's head detector; *Ceil is the same score of the ideal
// pattern on the same tokens (mean over sequences).
type HeadScores struct {
	model.HeadID                               // the head: Layer, Head; prints as L1H3
	PrevToken, DupToken, Induction             Stat
	PrevTokenCeil, DupTokenCeil, InductionCeil float64
	PrefixMatching                             Stat
	OVCopying                                  float64 // Σλ/Σ|λ| of W_E W_OV W_U (folded LN weights)
	DirectCopying                              Stat    // logit lift of the attended token (see DirectCopyingScores)
	ZeroAblation, MeanAblation                 Stat    // Δ second-repeat loss (nats)
}

// Report is the result of Analyze: scores per head, the circuit between
// layers, the loss on the two repeats, and the data the figures draw.
type Report struct {
	Model    string // description of the model
	Opt      Options
	L, T     int
	Vocab    int
	Heads    []HeadScores // layer-major
	Comp     []circuits.Composition
	Baseline float64 // composition score expected of unrelated random heads of the same shapes

	FirstRepeat, SecondRepeat Stat
	PerPosition               []float64 // mean loss at each target position t (predicting token t+1), [T-1]
	PerPositionStd            []float64 // its standard deviation over sequences, [T-1]
	ICL                       Stat      // loss at token 2L−1 minus loss at token L/2 (Olsson et al.)

	InductionHeads []model.HeadID // heads at or above the threshold, best first; none when no head reaches it
	Best           model.HeadID   // the head with the highest induction score (drawn when no head reaches the threshold)
	// PrevPartners are the previous-token partners used for the circuit
	// (AblatePartners, the partner's pattern figure): for each induction
	// head, the earlier-layer head with the largest K-composition into it.
	PrevPartners []model.HeadID
	// AblationPartners are the partners by the other criterion: as many
	// earlier-layer heads as PrevPartners, those whose own zero ablation
	// raises the second-repeat loss most (nil without ablations).
	AblationPartners []model.HeadID
	// Δ second-repeat loss when the sets above are zero-ablated together.
	AblateInduction, AblatePartners, AblateAblationPartners Stat

	Tokens   []int32     // [B, T] the canonical batch
	Patterns [][]float32 // [layer] hook_pattern [B, H, T, T]
}

// Analyze scores every head of m on the canonical batch [BOS, x×L, x×L].
// It does not change m.
//
// ctx is checked before every forward run (the clean run and each
// ablation): a cancelled analysis returns ctx's error.
func Analyze(ctx context.Context, m *model.Model, opt Options) (*Report, error) {
	c := m.Config
	if opt.Batch == 0 {
		opt.Batch = 32
	}
	if opt.Threshold == 0 {
		opt.Threshold = 0.4
	}
	maxL := (c.NCtx - 1) / 2
	if opt.SeqLen == 0 {
		opt.SeqLen = min(50, maxL)
	}
	L, B := opt.SeqLen, opt.Batch
	switch {
	case maxL < 3:
		return nil, fmt.Errorf("induction: the model's context (n_ctx %d) is too short for [BOS, x×L, x×L] with L ≥ 3", c.NCtx)
	case L < 3 || L > maxL:
		return nil, fmt.Errorf("induction: the repeat length L must be between 3 and %d for n_ctx %d, got %d", maxL, c.NCtx, L)
	case B < 2:
		return nil, fmt.Errorf("induction: the batch must hold at least 2 sequences to report a spread, got %d", B)
	case c.DVocab < L+2:
		return nil, fmt.Errorf("induction: d_vocab %d is too small for repeats of %d random tokens", c.DVocab, L)
	case opt.PatternSeq < 0 || opt.PatternSeq >= B:
		return nil, fmt.Errorf("induction: pattern sequence %d is not in the batch of %d (0 to %d)", opt.PatternSeq, B, B-1)
	}
	if err := c.CheckHeads(opt.PatternHeads); err != nil {
		return nil, fmt.Errorf("induction: %w", err)
	}
	T := 2*L + 1
	if err := runBytes(m, B, T).Check(fmt.Sprintf("an induction batch of %d sequences × %d positions", B, T)); err != nil {
		return nil, fmt.Errorf("induction: %w", err)
	}
	r := &Report{Model: c.Summary(), Opt: opt, L: L, T: T, Vocab: c.DVocab}
	batch := tasks.Canonical(rand.New(rand.NewPCG(opt.Seed, 0x1dc)), B, L, c.DVocab)
	r.Tokens = batch.Tokens

	var names []string
	for l := range c.NLayers {
		names = append(names, model.HookPattern(l), model.HookZ(l))
	}
	if c.HasNorm() {
		names = append(names, model.HookFinalScale)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	clean, err := m.Run(batch.Tokens, B, T, model.RunOptions{CacheNames: names, Context: ctx})
	if err != nil {
		return nil, err
	}
	first, second, perPos, err := RepeatLosses(clean.Losses.Data, B, T, L)
	if err != nil {
		return nil, err
	}
	r.FirstRepeat, r.SecondRepeat, r.PerPosition = first, second, perPos
	if r.PerPositionStd, err = PositionStd(clean.Losses.Data, B, T); err != nil {
		return nil, err
	}
	if r.ICL, err = ICLScore(clean.Losses.Data, B, T, L/2, 2*L-1); err != nil {
		return nil, err
	}

	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ov, err := circuits.OVCopyingScoresWith(m, opt.Weights)
	if err != nil {
		return nil, err
	}
	seq := func(b int) []int32 { return batch.Tokens[b*T : (b+1)*T] }
	detect := map[string]func(b int) []float32{
		"prev": func(int) []float32 { return PreviousTokenPattern(T) },
		"dup":  func(b int) []float32 { return DuplicateTokenPattern(seq(b)) },
		"ind":  func(b int) []float32 { return InductionPattern(seq(b)) },
	}
	ceil := map[string]float64{}
	for k, d := range detect {
		cs, err := DetectorCeiling(B, T, d, opt.Detector)
		if err != nil {
			return nil, err
		}
		ceil[k] = mean(cs)
	}
	seed := opt.Seed
	for l := range c.NLayers {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		pat := clean.Cache[model.HookPattern(l)].Data
		r.Patterns = append(r.Patterns, pat)
		scores := map[string][][]float64{}
		for k, d := range detect {
			if scores[k], err = HeadDetectorScores(pat, B, c.NHeads, T, d, opt.Detector); err != nil {
				return nil, err
			}
		}
		prefix, err := PrefixMatchingScores(pat, B, c.NHeads, T, L)
		if err != nil {
			return nil, err
		}
		direct := DirectCopyingScores(m, clean.Cache, batch.Tokens, l, B, T, L)
		for h := range c.NHeads {
			seed++
			r.Heads = append(r.Heads, HeadScores{HeadID: model.HeadID{Layer: l, Head: h},
				PrevToken: Summarize(scores["prev"][h], seed), DupToken: Summarize(scores["dup"][h], seed),
				Induction: Summarize(scores["ind"][h], seed), PrefixMatching: Summarize(prefix[h], seed),
				PrevTokenCeil: ceil["prev"], DupTokenCeil: ceil["dup"], InductionCeil: ceil["ind"],
				OVCopying: ov[l][h], DirectCopying: Summarize(direct[h], seed)})
		}
	}

	if c.NLayers > 1 {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if r.Comp, err = circuits.CompositionsWith(m, opt.Weights); err != nil {
			return nil, err
		}
		if r.Baseline, err = circuits.CompositionBaseline(c.DModel, c.DHead, opt.Seed); err != nil {
			return nil, err
		}
	}
	r.pickCircuit()
	// Not computed (no ablation run, or no induction head to ablate) is NaN:
	// blank in the CSVs, "–" on the terminal, never a 0 that reads as a
	// measurement.
	nan := Stat{math.NaN(), math.NaN(), math.NaN(), math.NaN()}
	r.AblateInduction, r.AblatePartners, r.AblateAblationPartners = nan, nan, nan
	for i := range r.Heads {
		r.Heads[i].ZeroAblation, r.Heads[i].MeanAblation = nan, nan
	}
	if !opt.NoAblation {
		if err := r.ablate(ctx, m, batch.Tokens, secondRepeatPerSeq(clean.Losses.Data, B, T, L)); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// pickCircuit names the induction heads (TL induction score ≥ threshold;
// none when no head reaches it) and, for each, the earlier-layer head with
// the largest K-composition into it: its previous-token partner.
func (r *Report) pickCircuit() {
	best := -1
	for i, h := range r.Heads {
		if h.Induction.Mean >= r.Opt.Threshold {
			r.InductionHeads = append(r.InductionHeads, h.HeadID)
		}
		if best < 0 || h.Induction.Mean > r.Heads[best].Induction.Mean {
			best = i
		}
	}
	if best >= 0 {
		r.Best = r.Heads[best].HeadID
	}
	score := map[model.HeadID]float64{}
	for _, h := range r.Heads {
		score[h.HeadID] = h.Induction.Mean
	}
	slices.SortStableFunc(r.InductionHeads, func(a, b model.HeadID) int { return cmp.Compare(score[b], score[a]) })
	for _, ih := range r.InductionHeads {
		var top *circuits.Composition
		for i := range r.Comp {
			cp := &r.Comp[i]
			if cp.Dst.HeadID == ih && (top == nil || cp.K > top.K) {
				top = cp
			}
		}
		if top != nil {
			if p := top.Src.HeadID; !slices.Contains(r.PrevPartners, p) {
				r.PrevPartners = append(r.PrevPartners, p)
			}
		}
	}
}

func mean(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// DirectCopyingScores measures, for every head of layer l, how much the
// head's own output raises the logit of the token it attends to most, on
// second-repeat queries q ∈ [L+1, 2L] (direct logit attribution with the
// final LayerNorm scale frozen, as TransformerLens's apply_ln_to_stack):
//
//	o = z[q, h] · W_O[h];  o' = (o − mean(o)) / scale_final[q] ⊙ ln_final.w
//	lift = (o'·W_U)[a] − mean_j (o'·W_U)[j],  a = token at argmax_k pattern[q, k]
//
// averaged over q per sequence, in logits; [H][B].
func DirectCopyingScores(m *model.Model, cache model.Cache, tokens []int32, l, B, T, L int) [][]float64 {
	c, p := m.Config, m.Params
	H, E, D, V := c.NHeads, c.DHead, c.DModel, c.DVocab
	z := cache[model.HookZ(l)].Data
	pat := cache[model.HookPattern(l)].Data
	var scale []float32
	if s, ok := cache[model.HookFinalScale]; ok {
		scale = s.Data
	}
	wo := p.Blocks[l].WO
	out := make([][]float64, H)
	o := make([]float64, D)
	for h := range H {
		out[h] = make([]float64, B)
		for b := range B {
			sum := 0.0
			for q := L + 1; q <= 2*L; q++ {
				zq := z[((b*T+q)*H+h)*E:][:E]
				clear(o)
				for e := range E {
					for d := range D {
						o[d] += float64(zq[e]) * float64(wo[(h*E+e)*D+d])
					}
				}
				if c.HasNorm() {
					mu := 0.0
					for _, v := range o {
						mu += v
					}
					mu /= float64(D)
					for d := range o {
						o[d] = (o[d] - mu) / float64(scale[b*T+q])
						if p.LnFW != nil {
							o[d] *= float64(p.LnFW[d])
						}
					}
				}
				row := pat[((b*H+h)*T+q)*T:][:T]
				a := 0
				for k := range q + 1 {
					if row[k] > row[a] {
						a = k
					}
				}
				tok := int(tokens[b*T+a])
				var lt, lm float64
				for v := range V {
					s := 0.0
					for d := range D {
						s += o[d] * float64(p.WU[d*V+v])
					}
					lm += s
					if v == tok {
						lt = s
					}
				}
				sum += lt - lm/float64(V)
			}
			out[h][b] = sum / float64(L)
		}
	}
	return out
}

// ablate measures the change in second-repeat loss when each head's z is
// zero- or mean-ablated, and when the induction heads or their partners are
// zero-ablated together.
func (r *Report) ablate(ctx context.Context, m *model.Model, tokens []int32, cleanSecond []float64) error {
	B, T, L := r.Opt.Batch, r.T, r.L
	delta := func(hooks []model.Hook) (Stat, error) {
		if err := ctx.Err(); err != nil {
			return Stat{}, err // interrupted between runs
		}
		out, err := m.Run(tokens, B, T, model.RunOptions{Hooks: hooks, Context: ctx})
		if err != nil {
			return Stat{}, err
		}
		perSeq := secondRepeatPerSeq(out.Losses.Data, B, T, L)
		for b := range perSeq {
			perSeq[b] -= cleanSecond[b]
		}
		return Summarize(perSeq, r.Opt.Seed), nil
	}
	var err error
	for i := range r.Heads {
		h := &r.Heads[i]
		name := model.HookZ(h.Layer)
		if h.ZeroAblation, err = delta([]model.Hook{model.ZeroAblate(name, h.Head)}); err != nil {
			return err
		}
		if h.MeanAblation, err = delta([]model.Hook{model.MeanAblate(name, h.Head)}); err != nil {
			return err
		}
	}
	hooksFor := func(heads []model.HeadID) []model.Hook {
		var hs []model.Hook
		for _, h := range heads {
			hs = append(hs, model.ZeroAblate(model.HookZ(h.Layer), h.Head))
		}
		return hs
	}
	if len(r.InductionHeads) > 0 {
		if r.AblateInduction, err = delta(hooksFor(r.InductionHeads)); err != nil {
			return err
		}
	}
	if len(r.PrevPartners) > 0 {
		if r.AblatePartners, err = delta(hooksFor(r.PrevPartners)); err != nil {
			return err
		}
		r.AblationPartners = r.ablationPartners(len(r.PrevPartners))
		if r.AblateAblationPartners, err = delta(hooksFor(r.AblationPartners)); err != nil {
			return err
		}
	}
	return nil
}

// ablationPartners returns the n heads below the induction heads' highest
// layer whose zero ablation raises the second-repeat loss most (the
// partner criterion that needs no weights, only interventions).
func (r *Report) ablationPartners(n int) []model.HeadID {
	top := 0
	for _, h := range r.Heads {
		if slices.Contains(r.InductionHeads, h.HeadID) {
			top = max(top, h.Layer)
		}
	}
	var cand []HeadScores
	for _, h := range r.Heads {
		if h.Layer < top && !slices.Contains(r.InductionHeads, h.HeadID) {
			cand = append(cand, h)
		}
	}
	slices.SortStableFunc(cand, func(a, b HeadScores) int { return cmp.Compare(b.ZeroAblation.Mean, a.ZeroAblation.Mean) })
	var out []model.HeadID
	for _, h := range cand[:min(n, len(cand))] {
		out = append(out, h.HeadID)
	}
	return out
}

// secondRepeatPerSeq is each sequence's mean loss on the second repeat
// (the targets RepeatLosses counts as second), [B].
func secondRepeatPerSeq(loss []float32, B, T, L int) []float64 {
	out := make([]float64, B)
	for b := range B {
		for t := L + 1; t <= 2*L-1; t++ {
			out[b] += float64(loss[b*(T-1)+t])
		}
		out[b] /= float64(L - 1)
	}
	return out
}

// runBytes estimates what Analyze allocates for a [B, T] batch: the tokens,
// one forward's workspace (the clean run and each ablation run take one in
// turn), the cached patterns, z and final LayerNorm scale the scores read,
// and the per-head, per-sequence scores.
func runBytes(m *model.Model, B, T int) *membudget.Estimate {
	c := m.Config
	var est membudget.Estimate
	est.Add(4, B, T) // tokens
	est.AddBytes(m.WorkspaceBytes(B, T))
	est.Add(4, c.NLayers, B, c.NHeads, T, T)      // cached patterns
	est.Add(4, c.NLayers, B, T, c.NHeads*c.DHead) // cached z
	est.Add(4, B, T)                              // ln_final scale
	est.Add(8*16, c.NLayers, c.NHeads, B)         // per-head, per-sequence scores
	return &est
}
