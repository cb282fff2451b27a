package vecmath

import "math"

// Log64 sets dst[i] = math.Log(x[i]) for i < len(x), bit for bit: on
// amd64 with AVX-512 eight at a time with the operations of Go's amd64
// math.Log (its assembly, log_amd64.s, in the same order, without fused
// multiply-adds), elsewhere math.Log itself. dst may be x.
func Log64(dst, x []float64) {
	n := len(x)
	if n == 0 {
		return
	}
	_ = dst[n-1]
	if haveAsm {
		log64Asm(&dst[0], &x[0], n)
		return
	}
	for i, v := range x {
		dst[i] = math.Log(v)
	}
}
