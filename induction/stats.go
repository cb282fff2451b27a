package induction

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Resamples is the number of bootstrap resamples Summarize draws.
const Resamples = 1000

// lossSeed seeds the bootstrap of RepeatLosses and ICLScore, which take no
// seed: their intervals are fixed functions of the losses.
const lossSeed = 1

// Stat summarises per-sequence values: mean, sample standard deviation
// (n-1 denominator) and a 95% percentile bootstrap interval of the mean.
type Stat struct {
	Mean, Std, Lo, Hi float64
}

// Summarize returns the mean, sample standard deviation and a 95% percentile
// bootstrap interval [Lo, Hi] of the mean of xs:
//
//	m_r = mean of n draws with replacement from xs,  r = 1..Resamples
//	Lo, Hi = 2.5% and 97.5% quantiles of {m_r} (linear interpolation, numpy's default)
//
// The draws come from rand.NewPCG(seed, seed), so the result is a
// deterministic function of (xs, seed). Empty xs gives NaN everywhere; one
// value gives Std 0 and Lo = Hi = Mean. A NaN in xs makes every field NaN.
func Summarize(xs []float64, seed uint64) Stat {
	n := len(xs)
	if n == 0 {
		nan := math.NaN()
		return Stat{nan, nan, nan, nan}
	}
	var sum float64
	for _, x := range xs {
		sum += x
	}
	mean := sum / float64(n)
	if math.IsNaN(mean) {
		nan := math.NaN()
		return Stat{nan, nan, nan, nan}
	}
	if n == 1 {
		return Stat{Mean: mean, Lo: mean, Hi: mean}
	}
	var ss float64
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	rng := rand.New(rand.NewPCG(seed, seed))
	means := make([]float64, Resamples)
	for r := range means {
		var s float64
		for range n {
			s += xs[rng.IntN(n)]
		}
		means[r] = s / float64(n)
	}
	slices.Sort(means)
	return Stat{
		Mean: mean,
		Std:  math.Sqrt(ss / float64(n-1)),
		Lo:   quantile(means, 0.025),
		Hi:   quantile(means, 0.975),
	}
}

// quantile of sorted xs with linear interpolation between order statistics
// (numpy.percentile "linear", Hyndman-Fan type 7).
func quantile(sorted []float64, p float64) float64 {
	h := p * float64(len(sorted)-1)
	lo := int(math.Floor(h))
	if lo+1 >= len(sorted) {
		return sorted[len(sorted)-1]
	}
	return sorted[lo] + (h-float64(lo))*(sorted[lo+1]-sorted[lo])
}

// RepeatLosses splits per-token losses [B, T-1] on the canonical batch
// [BOS, x_1..x_L, x_1..x_L] (T = 2L+1) by repeat. loss[b, t] is the loss of
// predicting the token at position t+1. The first token of each repeat is
// unpredictable from its prefix and left out:
//
//	first  = mean over t = 1 .. L-1    (targets x_2..x_L of the first repeat, positions 2..L)
//	second = mean over t = L+1 .. 2L-1 (targets x_2..x_L of the second repeat, positions L+2..2L)
//
// Each is averaged within a sequence, then summarised over sequences
// (Summarize with a fixed seed). perPos[t] is the mean over sequences of
// loss[:, t], length T-1. L must be ≥ 2 (L = 1 leaves no targets).
func RepeatLosses(loss []float32, B, T, L int) (first, second Stat, perPos []float64, err error) {
	if L < 2 || T != 2*L+1 {
		return first, second, nil, fmt.Errorf("induction: repeat losses need the canonical batch T = 2L+1 with L ≥ 2, got T=%d, L=%d", T, L)
	}
	if err := checkLoss(loss, B, T); err != nil {
		return first, second, nil, err
	}
	f := make([]float64, B)
	s := make([]float64, B)
	perPos = make([]float64, T-1) // [T-1]
	for b := 0; b < B; b++ {
		row := loss[b*(T-1) : (b+1)*(T-1)]
		for t, x := range row {
			perPos[t] += float64(x)
			switch {
			case t >= 1 && t <= L-1:
				f[b] += float64(x)
			case t >= L+1 && t <= 2*L-1:
				s[b] += float64(x)
			}
		}
		f[b] /= float64(L - 1)
		s[b] /= float64(L - 1)
	}
	for t := range perPos {
		perPos[t] /= float64(B)
	}
	return Summarize(f, lossSeed), Summarize(s, lossSeed), perPos, nil
}

// PositionStd is the sample standard deviation over sequences (n−1
// denominator) of the loss at each target position, [T-1]:
//
//	std[t] = sqrt(Σ_b (loss[b, t] − mean_t)² / (B − 1))
//
// With the mean it gives the 95% interval mean ± 1.96·std/√B of the
// per-position loss. B must be at least 2.
func PositionStd(loss []float32, B, T int) ([]float64, error) {
	if err := checkLoss(loss, B, T); err != nil {
		return nil, err
	}
	if B < 2 {
		return nil, fmt.Errorf("induction: a standard deviation needs at least 2 sequences, got %d", B)
	}
	std := make([]float64, T-1)
	for t := range std {
		mean := 0.0
		for b := range B {
			mean += float64(loss[b*(T-1)+t])
		}
		mean /= float64(B)
		ss := 0.0
		for b := range B {
			d := float64(loss[b*(T-1)+t]) - mean
			ss += d * d
		}
		std[t] = math.Sqrt(ss / float64(B-1))
	}
	return std, nil
}

// ICLScore is Olsson et al. 2022's in-context learning score, the loss at a
// late position minus the loss at an early one (the paper: token 500 minus
// token 50; on short contexts pick, e.g., a second-repeat target as late and a
// first-repeat target as early). Per sequence, then summarised (Summarize with
// a fixed seed):
//
//	icl[b] = loss[b, late] - loss[b, early]
//
// early and late index loss [B, T-1] (loss[b, t] predicts position t+1).
// Negative means the model does better later in the context.
func ICLScore(loss []float32, B, T, early, late int) (Stat, error) {
	if err := checkLoss(loss, B, T); err != nil {
		return Stat{}, err
	}
	if early < 0 || early >= T-1 || late < 0 || late >= T-1 {
		return Stat{}, fmt.Errorf("induction: ICL positions early=%d, late=%d must lie in [0, %d)", early, late, T-1)
	}
	d := make([]float64, B)
	for b := range d {
		row := loss[b*(T-1) : (b+1)*(T-1)]
		d[b] = float64(row[late]) - float64(row[early])
	}
	return Summarize(d, lossSeed), nil
}

func checkLoss(loss []float32, B, T int) error {
	if B < 1 || T < 2 {
		return fmt.Errorf("induction: need B ≥ 1 and T ≥ 2, got B=%d, T=%d", B, T)
	}
	if len(loss) != B*(T-1) {
		return fmt.Errorf("induction: loss has %d values, [B=%d, T-1=%d] wants %d", len(loss), B, T-1, B*(T-1))
	}
	return nil
}
