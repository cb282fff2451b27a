package tasks

import (
	"fmt"
	"math/rand/v2"

	"github.com/attnlab/attnlab/internal/badinput"
)

// BOS is the beginning-of-sequence token of the induction task.
const BOS = 0

// Part says what a position of an induction sequence holds.
type Part uint8

const (
	PartBOS    Part = iota // the BOS token
	PartFiller             // uniform random filler
	PartFirst              // first occurrence of a repeated string
	PartSecond             // its repeat
)

func (p Part) String() string {
	switch p {
	case PartBOS:
		return "bos"
	case PartFiller:
		return "filler"
	case PartFirst:
		return "first"
	case PartSecond:
		return "second"
	}
	return fmt.Sprintf("Part(%d)", uint8(p))
}

// InductionConfig configures the induction training data.
type InductionConfig struct {
	Vocab       int     // d_vocab: token 0 is BOS, 1..Vocab−1 are content. Default 64.
	MinRep      int     // shortest repeated string. Default 2.
	MaxRep      int     // longest repeated string; at most Vocab−1. Default 16.
	MaxFiller   int     // longest filler segment. Default 16.
	MaxGap      int     // longest run of filler between a string and its repeat. Default 0 (repeat follows at once).
	PRepeat     float64 // probability that a segment is a repeat rather than filler. Default 0.75.
	RepeatsOnly bool    // mask only the predictable repeat tokens. Default false: every position after BOS.
}

// DefaultInductionConfig returns the defaults documented on InductionConfig.
func DefaultInductionConfig() InductionConfig {
	return InductionConfig{Vocab: 64, MinRep: 2, MaxRep: 16, MaxFiller: 16, PRepeat: 0.75}
}

// MaxGapLimit bounds MaxGap: a gap longer than the longest sequence attnlab
// supports never fits, and drawing it would still cost a random number per
// filler token.
const MaxGapLimit = 1 << 16

// Validate returns an error naming the first setting that is out of range:
// a *badinput.Setting naming vocab, min_rep, max_rep and max_gap (the
// train command's flags); the other fields are not settings of a command.
func (c InductionConfig) Validate() error {
	switch {
	case c.Vocab < 3:
		return badinput.Settingf("tasks: induction: {vocab} must be at least 3 (BOS and two content tokens), got %d", c.Vocab)
	case c.MinRep < 1:
		return badinput.Settingf("tasks: induction: {min_rep} must be at least 1, got %d", c.MinRep)
	case c.MaxRep < c.MinRep:
		return badinput.Settingf("tasks: induction: {max_rep} (%d) must be at least {min_rep} (%d)", c.MaxRep, c.MinRep)
	case c.MaxRep > c.Vocab-1:
		return badinput.Settingf("tasks: induction: {max_rep} (%d) must be at most {vocab} − 1 (%d): a repeated segment has distinct tokens", c.MaxRep, c.Vocab-1)
	case !(c.PRepeat >= 0 && c.PRepeat <= 1):
		return fmt.Errorf("tasks: induction PRepeat must be in [0, 1], got %g", c.PRepeat)
	case c.MaxGap < 0:
		return badinput.Settingf("tasks: induction: {max_gap} must be 0 or positive, got %d", c.MaxGap)
	case c.MaxGap > MaxGapLimit:
		return badinput.Settingf("tasks: induction: {max_gap} %d is longer than any sequence attnlab supports (%d)", c.MaxGap, MaxGapLimit)
	case c.PRepeat < 1 && c.MaxFiller < 1:
		return fmt.Errorf("tasks: induction MaxFiller must be at least 1 when PRepeat < 1, got %d", c.MaxFiller)
	}
	return nil
}

// Induction generates training data for induction heads (Olsson et al.
// 2022) that no fixed positional offset solves. Each sequence is BOS
// followed by segments, concatenated until T+1 tokens (the last segment is
// cut), each drawn independently:
//
//   - with probability PRepeat, a repeat: a length L uniform in
//     [MinRep, MaxRep], a string x of L distinct tokens drawn uniformly
//     from 1..Vocab−1, then a gap of G uniform in [0, MaxGap] filler tokens,
//     then x again (with MaxGap 0, at once);
//   - otherwise filler: a length uniform in [1, MaxFiller] of tokens
//     drawn uniformly (with replacement) from 1..Vocab−1.
//
// Tokens are the first T tokens and Targets the last T. Because x has
// distinct tokens, at a position holding x_i in the repeat (i < L−1) the most
// recent earlier occurrence of x_i is in the first copy (unless the gap's
// random filler happens to hold x_i), and the token after it, x_{i+1}, is the
// target: the induction rule "find the previous occurrence of the current
// token, copy the token after it" predicts every such target, while the
// offset to that occurrence is L + G, which varies from segment to segment
// (the gap decouples the distance to the earlier copy from the repeat
// length, so a model can meet distances longer than any repeat it saw). The mask is 1 at every position after BOS, or, with
// RepeatsOnly, only at those predictable repeat positions (Part PartSecond
// whose next position is PartSecond too).
type Induction struct {
	cfg InductionConfig
}

// NewInduction returns the generator for cfg, or cfg's validation error.
func NewInduction(cfg InductionConfig) (*Induction, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Induction{cfg: cfg}, nil
}

// Config returns the generator's configuration.
func (g *Induction) Config() InductionConfig { return g.cfg }

// Name returns "induction".
func (g *Induction) Name() string { return "induction" }

// Vocab returns cfg.Vocab.
func (g *Induction) Vocab() int { return g.cfg.Vocab }

// CheckShape accepts any b ≥ 1 and t ≥ 2.
func (g *Induction) CheckShape(b, t int) error {
	if b < 1 || t < 2 {
		return fmt.Errorf("tasks: induction batch needs B ≥ 1 and T ≥ 2, got B=%d T=%d", b, t)
	}
	return nil
}

// Spec returns the full generator specification.
func (g *Induction) Spec() map[string]any {
	c := g.cfg
	return map[string]any{
		"task":         g.Name(),
		"vocab":        c.Vocab,
		"bos":          BOS,
		"min_rep":      c.MinRep,
		"max_rep":      c.MaxRep,
		"max_filler":   c.MaxFiller,
		"max_gap":      c.MaxGap,
		"p_repeat":     c.PRepeat,
		"repeats_only": c.RepeatsOnly,
		"recipe": "BOS then segments until T+1 tokens: with p_repeat a string of L~U[min_rep,max_rep] " +
			"distinct tokens from 1..vocab-1, G~U[0,max_gap] filler tokens, then its repeat, else U[1,max_filler] uniform filler tokens; " +
			"tokens=seq[:T], targets=seq[1:]",
		"ignore_target": NoTarget,
	}
}

// Sample draws b sequences of t positions; see Induction.
func (g *Induction) Sample(r *rand.Rand, b, t int) Batch {
	bt, _ := g.SampleParts(r, b, t)
	return bt
}

// SampleParts is Sample that also returns, [B, T], what each input position
// holds. It draws the same batch as Sample from the same generator state.
func (g *Induction) SampleParts(r *rand.Rand, b, t int) (Batch, []Part) {
	if err := g.CheckShape(b, t); err != nil {
		panic(err)
	}
	c := g.cfg
	bt := NewBatch(b, t)
	parts := make([]Part, b*t)
	seq := make([]int32, t+1) // [T+1]
	part := make([]Part, t+1) // [T+1]
	x := make([]int32, c.MaxRep)
	pool := make([]int32, 0, c.Vocab)
	for row := range b {
		seq[0], part[0] = BOS, PartBOS
		pos := 1
		put := func(v int32, p Part) {
			if pos < len(seq) {
				seq[pos], part[pos] = v, p
				pos++
			}
		}
		for pos < len(seq) {
			if r.Float64() < c.PRepeat {
				l := c.MinRep + r.IntN(c.MaxRep-c.MinRep+1)
				pool = distinct(r, x[:l], 1, int32(c.Vocab), pool)
				for _, v := range x[:l] {
					put(v, PartFirst)
				}
				if c.MaxGap > 0 {
					for range r.IntN(c.MaxGap + 1) {
						put(int32(1+r.IntN(c.Vocab-1)), PartFiller)
					}
				}
				for _, v := range x[:l] {
					put(v, PartSecond)
				}
			} else {
				n := 1 + r.IntN(c.MaxFiller)
				for range n {
					put(int32(1+r.IntN(c.Vocab-1)), PartFiller)
				}
			}
		}
		tok, tgt, mask := bt.Row(row)
		copy(tok, seq[:t])
		copy(tgt, seq[1:])
		copy(parts[row*t:], part[:t])
		for i := 1; i < t; i++ {
			if !c.RepeatsOnly || (part[i] == PartSecond && part[i+1] == PartSecond) {
				mask[i] = 1
			}
		}
	}
	return bt, parts
}

// Canonical returns the canonical induction evaluation batch (Olsson et
// al. 2022; TransformerLens's repeated random tokens): each of the batch
// sequences is
//
//	[BOS, x_1 … x_L, x_1 … x_L]    length T = 2L+1
//
// with x uniform (with replacement) over 1..vocab−1. Targets[t] =
// Tokens[t+1] for t < 2L and NoTarget at 2L; the mask is 1 at positions
// 1..2L−1. CanonicalFirst and CanonicalSecond give the two halves. Canonical
// panics unless batch ≥ 1, L ≥ 1 and vocab ≥ 2.
func Canonical(r *rand.Rand, batch, L, vocab int) Batch {
	if batch < 1 || L < 1 || vocab < 2 {
		panic(fmt.Sprintf("tasks: Canonical needs batch ≥ 1, L ≥ 1, vocab ≥ 2, got %d, %d, %d", batch, L, vocab))
	}
	t := 2*L + 1
	bt := NewBatch(batch, t)
	for row := range batch {
		tok, tgt, mask := bt.Row(row)
		tok[0] = BOS
		for i := 1; i <= L; i++ {
			v := int32(1 + r.IntN(vocab-1))
			tok[i], tok[i+L] = v, v
		}
		for i := range t - 1 {
			tgt[i] = tok[i+1]
			if i >= 1 {
				mask[i] = 1
			}
		}
	}
	return bt
}

// CanonicalFirst returns the positions [start, end) of the first copy of x
// in a canonical batch of repeat length L: [1, L+1).
func CanonicalFirst(L int) (start, end int) { return 1, L + 1 }

// CanonicalSecond returns the positions [start, end) of the second copy of
// x in a canonical batch of repeat length L: [L+1, 2L+1). At position p in
// it the induction target Tokens[p+1] sits at p−L+1.
func CanonicalSecond(L int) (start, end int) { return L + 1, 2*L + 1 }

// CanonicalPart says what position pos of a canonical sequence with repeat
// length L holds.
func CanonicalPart(pos, L int) Part {
	switch {
	case pos <= 0:
		return PartBOS
	case pos <= L:
		return PartFirst
	default:
		return PartSecond
	}
}

// CanonicalParts returns CanonicalPart for every position 0..2L.
func CanonicalParts(L int) []Part {
	p := make([]Part, 2*L+1)
	for i := range p {
		p[i] = CanonicalPart(i, L)
	}
	return p
}
