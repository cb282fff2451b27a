//go:build amd64 && !noasm

package optim

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// adamCoef is AdamWStep as the assembly reads it (float64 fields, in this
// order, with 1−β1 and 1−β2 computed as applyAdamWRef computes them).
type adamCoef struct {
	lr, wd, b1, b2, omb1, omb2, stepSize, bc2Sqrt, eps float64
}

// adamwAsm is applyAdamWRef's arithmetic on n > 0 elements, 8 at a time in
// float64 lanes: the same IEEE operations in the same order (no fused
// multiply-adds), so the same bits. The decay mask advances by dstep bytes
// per 8 elements (0 re-reads the same 8 ones: no mask).
//
//go:noescape
func adamwAsm(p, gr, d, m, v *float32, dstep, n int, c *adamCoef, scale float32)

// ones stands in for a nil decay mask.
var ones = [8]float32{1, 1, 1, 1, 1, 1, 1, 1}

func init() {
	if cpu.X86.HasAVX512F {
		applyAdamW = applyAdamWAsm
	}
}

func applyAdamWAsm(s AdamWStep, params, grads, decay, M, V []float32, scale float32) {
	n := len(params)
	if n == 0 {
		return
	}
	_, _, _, _ = grads[n-1], M[n-1], V[n-1], params[n-1]
	d, dstep := &ones[0], 0
	if decay != nil {
		_ = decay[n-1]
		d, dstep = unsafe.SliceData(decay), 32
	}
	c := adamCoef{lr: s.lr, wd: s.wd, b1: s.beta1, b2: s.beta2, omb1: 1 - s.beta1, omb2: 1 - s.beta2,
		stepSize: s.stepSize, bc2Sqrt: s.bc2Sqrt, eps: s.eps}
	adamwAsm(&params[0], &grads[0], d, &M[0], &V[0], dstep, n, &c, scale)
}
