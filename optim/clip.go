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
//
// A float32 is NaN or ±Inf when its 8 exponent bits are all ones: adding
// 1 to the exponent field then carries into the sign bit. The scan ORs that
// carry over 8 elements at a time, without a branch per element, and looks
// at the elements one by one only in the group that has one.
func FirstNonFinite(x []float32) int {
	const exp, one, carry = 0x7f800000, 0x00800000, 0x80000000
	i := 0
	for ; i+8 <= len(x); i += 8 {
		b := x[i : i+8 : i+8]
		f := (math.Float32bits(b[0])&exp + one) | (math.Float32bits(b[1])&exp + one) |
			(math.Float32bits(b[2])&exp + one) | (math.Float32bits(b[3])&exp + one) |
			(math.Float32bits(b[4])&exp + one) | (math.Float32bits(b[5])&exp + one) |
			(math.Float32bits(b[6])&exp + one) | (math.Float32bits(b[7])&exp + one)
		if f&carry != 0 {
			break
		}
	}
	for ; i < len(x); i++ {
		if math.Float32bits(x[i])&exp == exp {
			return i
		}
	}
	return -1
}
