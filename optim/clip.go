package optim

import "math"

// ClipGradNorm computes the global L2 norm of grads, in float64, summing
// squares in index order, and, as torch.nn.utils.clip_grad_norm_ does,
// scales grads in place by
//
//	coef = min(1, maxNorm / (norm + 1e-6))
//
// when norm > maxNorm. It returns the norm before clipping. maxNorm ≤ 0 only
// measures. A non-finite norm (a NaN or Inf gradient) is returned and grads
// are left unchanged, so the caller can report the bad step (see
// FirstNonFinite) instead of training on zeros or NaNs.
func ClipGradNorm(grads []float32, maxNorm float64) (norm float64) {
	var ss float64
	for _, g := range grads {
		ss += float64(g) * float64(g)
	}
	norm = math.Sqrt(ss)
	if maxNorm <= 0 || math.IsNaN(norm) || math.IsInf(norm, 0) || norm <= maxNorm {
		return norm
	}
	coef := maxNorm / (norm + 1e-6)
	if coef >= 1 {
		return norm
	}
	c := float32(coef)
	for i := range grads {
		grads[i] *= c
	}
	return norm
}

// FirstNonFinite returns the index of the first NaN or ±Inf in x, or −1 if
// every element is finite.
func FirstNonFinite(x []float32) int {
	for i, v := range x {
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return i
		}
	}
	return -1
}
