package attention

import (
	"fmt"

	"github.com/attnlab/attnlab/internal/gemm"
)

// Forms are the ways HeadRun computes one head's causal attention output
// z [N, E] (d_v = E), the forms the scaling probe (probes.Scaling) and this
// package's benchmarks time:
//
//	softmax    dense softmax: pattern [N, N] = Softmax.Forward, then z = pattern·v
//	quadratic  linear attention in the same masked quadratic form: Linear.Forward, then z = pattern·v
//	recurrent  linear attention's recurrence (Linear.Recurrent): O(N·M·E) time, O(M·E) memory
//	chunked    linear attention's chunkwise-parallel form (LinearChunked, chunks of
//	           LinearChunk): the recurrence's O(N) on the matmul kernels
var Forms = []string{"softmax", "quadratic", "recurrent", "chunked"}

// HeadRun returns a function that computes z [N, E] from q, k, v [N, E]
// (row stride E) in form, with linear feature map fm for the linear forms.
// The quadratic forms write the [N, N] pattern into pattern (allocated when
// nil; callers timing several forms share one). Calling the function again
// recomputes z from the same inputs.
func HeadRun(form, fm string, q, k, v, z, pattern []float32, N, E int) (func(), error) {
	if len(q) < N*E || len(k) < N*E || len(v) < N*E || len(z) < N*E {
		return nil, fmt.Errorf("attention: q, k, v and z must hold [N=%d, E=%d]", N, E)
	}
	lin, err := NewLinear[float32](fm)
	if err != nil {
		return nil, err
	}
	switch form {
	case "softmax", "quadratic":
		var rule Rule[float32] = Softmax[float32]{}
		if form == "quadratic" {
			rule = lin
		}
		if len(pattern) < N*N {
			pattern = make([]float32, N*N) // [N, N]
		}
		return func() {
			rule.Forward(pattern, nil, q, k, E, N, E)
			gemm.MatMul(false, false, N, E, N, pattern, N, v, E, z, E, false)
		}, nil
	case "recurrent":
		return func() { lin.Recurrent(z, E, q, k, E, v, E, N, E, E) }, nil
	case "chunked":
		chunked := LinearChunked{Map: lin.Map}
		x := QKV{Q: q, K: k, V: v, LQ: E, LK: E, LV: E, T: N, E: E}
		return func() { chunked.Forward(x, z, E) }, nil
	}
	return nil, fmt.Errorf("attention: unknown form %q (known: softmax, quadratic, recurrent, chunked)", form)
}
