package optim

import "math"

// Schedule returns the learning rate for step (zero-based) of a run of total
// steps: a linear warmup over the first warmup steps, then a cosine decay from
// maxLR to minLR reached at the last step, total−1:
//
//	step < warmup:  lr = maxLR·(step+1)/warmup
//	otherwise:      r  = (step − warmup) / (total − 1 − warmup), clamped to [0, 1]
//	                lr = minLR + ½(1 + cos(π·r))·(maxLR − minLR)
//
// Warmup starts at maxLR/warmup rather than 0, so no step is wasted, and
// reaches maxLR at step warmup−1. Steps past total−1 get minLR. When there is
// no room to decay (total−1 ≤ warmup) the rate stays at maxLR until step
// total−1 and is minLR after it.
func Schedule(step, warmup, total int, maxLR, minLR float64) float64 {
	if step < 0 {
		step = 0
	}
	if warmup > 0 && step < warmup {
		return maxLR * float64(step+1) / float64(warmup)
	}
	span := total - 1 - warmup
	var r float64
	switch {
	case span <= 0:
		if step > total-1 {
			r = 1
		}
	default:
		r = float64(step-warmup) / float64(span)
		r = min(max(r, 0), 1)
	}
	return minLR + 0.5*(1+math.Cos(math.Pi*r))*(maxLR-minLR)
}
