package vecmath

import "math"

// ELU1 sets dst[i] = elu(x[i]) + 1, the feature map of linear attention
// (Katharopoulos et al. 2020):
//
//	elu(x) + 1 = x + 1 (x > 0),  e^x (x ≤ 0)  =  e^min(x, 0) + max(x, 0)
//
// computed as the right-hand side, without a branch per element; NaN gives
// NaN. dst must be at least as long as x; it may alias x.
func ELU1(dst, x []float32) {
	if len(x) == 0 {
		return
	}
	_ = dst[len(x)-1]
	if haveAsm {
		elu1Asm(&dst[0], &x[0], len(x))
		return
	}
	ELU1Ref(dst, x)
}

// ELU1Ref is ELU1 with math.Exp.
func ELU1Ref(dst, x []float32) {
	for i, v := range x {
		if v > 0 {
			dst[i] = v + 1
		} else {
			dst[i] = float32(math.Exp(float64(v)))
		}
	}
}
