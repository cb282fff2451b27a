package probes

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/tasks"
)

// ReachOptions configure Reach.
type ReachOptions struct {
	// Bins are the edges of the copy-distance bins, ascending: bin i holds
	// distances in [Bins[i], Bins[i+1]). Default DefaultReachBins(n_ctx).
	Bins   []int
	Batch  int // sequences per bin (default 32)
	RepLen int // length of the repeated string (default 8; the distance when shorter)
	Seed   uint64
}

// DefaultReachBins are the bin edges for a model of context T: fine below
// 32 (where windows of 8–16 end), then doubling, up to the longest
// distance that fits a repeat of 8 in T.
func DefaultReachBins(T int) []int {
	var b []int
	for _, e := range []int{2, 8, 16, 24, 32, 48, 64, 96, 128, 160, 192, 256, 384, 512, 768, 1024} {
		if e+8+1 > T {
			break
		}
		b = append(b, e)
	}
	if last := T - 8 - 1 + 1; len(b) > 0 && last > b[len(b)-1] {
		b = append(b, last) // the final bin ends at the longest distance that fits
	}
	return b
}

// ReachBin is one distance bin of Reach.
type ReachBin struct {
	Lo, Hi int // copy distances in [Lo, Hi)
	// Loss is the mean next-token loss (nats) on the predictable tokens of
	// the second copy (the token after x_i, i < L−1), LossSE its standard
	// error over sequences; FirstLoss is the same on the first copy, where
	// nothing can be copied.
	Loss, LossSE, FirstLoss float64
	// PrefixMatching[l][h] is head (l, h)'s mean attention from the second
	// copy's x_i to the token after the first x_i (Olsson et al.'s prefix
	// matching at this distance).
	PrefixMatching [][]float64
}

// Best returns the head (layer, head) with the highest prefix-matching
// score in the bin, and the score.
func (b ReachBin) Best() (layer, head int, score float64) {
	score = math.Inf(-1)
	for l, hs := range b.PrefixMatching {
		for h, v := range hs {
			if v > score {
				layer, head, score = l, h, v
			}
		}
	}
	return layer, head, score
}

// Reach measures how far back a model copies: on sequences
//
//	[BOS, filler…, x_1…x_L, filler…, x_1…x_L, filler…]
//
// whose two copies of x (L distinct tokens, filler drawn from the other
// tokens so that x occurs nowhere else) are d positions apart (the copy
// distance, drawn uniformly within each bin), it reports per bin the
// second-copy loss on the tokens induction predicts, the same on the first
// copy, and every head's prefix-matching score at that distance. A model
// whose attention cannot see d tokens back (a sliding window of W < d)
// cannot copy there, whatever it learned.
//
// It stops between bins (and the model between layers) when ctx is
// cancelled.
func Reach(ctx context.Context, m *model.Model, opt ReachOptions) ([]ReachBin, error) {
	c := m.Config
	T, V := c.NCtx, c.DVocab
	if opt.Batch == 0 {
		opt.Batch = 32
	}
	if opt.RepLen == 0 {
		opt.RepLen = 8
	}
	if len(opt.Bins) == 0 {
		opt.Bins = DefaultReachBins(T)
	}
	switch {
	case opt.Batch < 1 || opt.Batch > 4096:
		return nil, fmt.Errorf("probes: reach batch %d outside [1, 4096]", opt.Batch)
	case opt.RepLen < 2 || opt.RepLen > V-2:
		return nil, fmt.Errorf("probes: repeat length %d outside [2, d_vocab−2 = %d]", opt.RepLen, V-2)
	case len(opt.Bins) < 2:
		return nil, fmt.Errorf("probes: reach needs at least two bin edges, got %v", opt.Bins)
	}
	for i, e := range opt.Bins {
		if e < 1 || i > 0 && e <= opt.Bins[i-1] {
			return nil, fmt.Errorf("probes: bin edges must ascend from 1, got %v", opt.Bins)
		}
	}
	if hi := opt.Bins[len(opt.Bins)-1]; hi-1+min(opt.RepLen, hi-1)+1 > T {
		return nil, fmt.Errorf("probes: copy distance %d and a repeat of %d do not fit the model's n_ctx %d", hi-1, opt.RepLen, T)
	}
	hooks := make([]string, c.NLayers)
	for l := range hooks {
		hooks[l] = fmt.Sprintf("blocks.%d.attn.hook_pattern", l)
	}
	var out []ReachBin
	for bi := 0; bi+1 < len(opt.Bins); bi++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		lo, hi := opt.Bins[bi], opt.Bins[bi+1]
		r := rand.New(rand.NewPCG(opt.Seed, uint64(bi)))
		seqs := make([]reachSeq, opt.Batch)
		tokens := make([]int32, opt.Batch*T)
		for b := range seqs {
			seqs[b] = newReachSeq(r, tokens[b*T:(b+1)*T], lo+r.IntN(hi-lo), opt.RepLen, V)
		}
		bin := ReachBin{Lo: lo, Hi: hi, PrefixMatching: make([][]float64, c.NLayers)}
		H := c.NHeads
		var losses []float64
		first, nFirst := 0.0, 0
		pmSum, pmN := make([][]float64, c.NLayers), make([][]int, c.NLayers)
		for l := range pmSum {
			pmSum[l], pmN[l] = make([]float64, H), make([]int, H)
		}
		// The sequences run reachChunk at a time: the patterns of a whole
		// batch of 4096 would take gigabytes. Every sum runs over the
		// sequences in order, so the chunking does not change a bit.
		for b0 := 0; b0 < opt.Batch; b0 += reachChunk {
			n := min(reachChunk, opt.Batch-b0)
			res, err := m.Run(tokens[b0*T:(b0+n)*T], n, T, model.RunOptions{CacheNames: hooks, Context: ctx})
			if err != nil {
				return nil, err
			}
			for b, s := range seqs[b0 : b0+n] {
				sum := 0.0
				for i := range s.L - 1 {
					sum += float64(res.Losses.Data[b*(T-1)+s.p0+s.d+i])
					first += float64(res.Losses.Data[b*(T-1)+s.p0+i])
					nFirst++
				}
				losses = append(losses, sum/float64(s.L-1))
			}
			for l := range c.NLayers {
				pat := res.Cache[hooks[l]].Data // [n, H, T, T]
				for h := range H {
					for b, s := range seqs[b0 : b0+n] {
						a := pat[(b*H+h)*T*T : (b*H+h+1)*T*T]
						for i := range s.L - 1 {
							q := s.p0 + s.d + i
							pmSum[l][h] += float64(a[q*T+s.p0+i+1])
							pmN[l][h]++
						}
					}
				}
			}
		}
		bin.Loss, bin.LossSE = meanSE(losses)
		bin.FirstLoss = first / float64(nFirst)
		for l := range c.NLayers {
			bin.PrefixMatching[l] = make([]float64, H)
			for h := range H {
				bin.PrefixMatching[l][h] = pmSum[l][h] / float64(pmN[l][h])
			}
		}
		out = append(out, bin)
	}
	return out, nil
}

// reachChunk is the most sequences Reach runs at once (a variable only
// for the test that changes it).
var reachChunk = 128

// reachSeq is one probe sequence: a string of L tokens at p0 and again at
// p0 + d.
type reachSeq struct{ p0, d, L int }

// newReachSeq fills tokens [T] with BOS, filler and the two copies.
func newReachSeq(r *rand.Rand, tokens []int32, d, repLen, V int) reachSeq {
	T := len(tokens)
	L := min(repLen, d)
	perm := r.Perm(V - 1) // content tokens 1..V−1
	x := perm[:L]
	filler := perm[L:]
	p0 := 1 + r.IntN(T-d-L)
	tokens[0] = tasks.BOS
	for i := 1; i < T; i++ {
		tokens[i] = int32(1 + filler[r.IntN(len(filler))])
	}
	for i, t := range x {
		tokens[p0+i] = int32(1 + t)
		tokens[p0+d+i] = int32(1 + t)
	}
	return reachSeq{p0: p0, d: d, L: L}
}

// meanSE is the mean and its standard error.
func meanSE(x []float64) (mean, se float64) {
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	if len(x) < 2 {
		return mean, math.NaN()
	}
	ss := 0.0
	for _, v := range x {
		ss += (v - mean) * (v - mean)
	}
	return mean, math.Sqrt(ss/float64(len(x)-1)) / math.Sqrt(float64(len(x)))
}
