package attention

import (
	"math/rand/v2"
	"testing"

	"github.com/attnlab/attnlab/internal/gemm"
)

// benchE is the head dimension of the scaling benchmarks (d_head = d_v).
const benchE = 64

// benchForms are the ways to compute one head's causal attention output
// z [N, E] that the scaling benchmarks compare: the engine's dense softmax
// (pattern [N, N] then pattern·v), linear attention in the same quadratic
// form, linear attention's O(N) recurrence, and its chunkwise-parallel form
// (forward, and forward plus backward for training). They report tokens/s
// and, for the chunked form, GFLOP/s of its matrix products.
func benchAttention(b *testing.B, form string, N int) {
	r := rand.New(rand.NewPCG(1, 1))
	q, k, v, z := make([]float32, N*benchE), make([]float32, N*benchE), make([]float32, N*benchE), make([]float32, N*benchE)
	for i := range q {
		q[i], k[i], v[i] = float32(r.NormFloat64()), float32(r.NormFloat64()), float32(r.NormFloat64())
	}
	lin, _ := NewLinear[float32]("elu")
	chunked, _ := NewLinearChunked("elu")
	var pattern []float32
	if form == "softmax" || form == "quadratic" {
		pattern = make([]float32, N*N) // [N, N]
	}
	x := QKV{Q: q, K: k, V: v, LQ: benchE, LK: benchE, LV: benchE, T: N, E: benchE}
	dz, dq, dk, dv := make([]float32, N*benchE), make([]float32, N*benchE), make([]float32, N*benchE), make([]float32, N*benchE)
	for i := range dz {
		dz[i] = float32(r.NormFloat64())
	}
	b.ResetTimer()
	for b.Loop() {
		switch form {
		case "softmax":
			Softmax[float32]{}.Forward(pattern, nil, q, k, benchE, N, benchE)
			gemm.MatMul(false, false, N, benchE, N, pattern, N, v, benchE, z, benchE, false)
		case "quadratic":
			lin.Forward(pattern, nil, q, k, benchE, N, benchE)
			gemm.MatMul(false, false, N, benchE, N, pattern, N, v, benchE, z, benchE, false)
		case "recurrent":
			lin.Recurrent(z, benchE, q, k, benchE, v, benchE, N, benchE, benchE)
		case "chunked":
			chunked.Forward(x, z, benchE)
		case "chunked-train":
			chunked.Forward(x, z, benchE)
			chunked.Backward(x, z, benchE, dz, benchE, Grads{dq, dk, dv, benchE, benchE, benchE})
		}
	}
	tokens := float64(N) * float64(b.N) / b.Elapsed().Seconds()
	b.ReportMetric(tokens, "tokens/s")
	if fl := chunkedFlops(form, N, LinearChunk, benchE, benchE); fl > 0 {
		b.ReportMetric(tokens*fl/1e9, "GFLOP/s")
	}
}

// chunkedFlops is the matrix-product work per token of the chunked form
// (2 per multiply-add; the causal [C, C] products counted whole, as the
// training benchmark counts attention): forward Q·Kᵀ, Q·S, A·V, Kᵀ·V; the
// backward recomputes Q·Kᵀ and adds gn·Vᵀ, gn·Sᵀ, P·K, Pᵀ·Q, V·Rᵀ, Aᵀ·gn,
// K·R, Qᵀ·gn, Kᵀ·V.
func chunkedFlops(form string, N, C, M, Ev int) float64 {
	C = min(C, N)
	fwd := 2 * float64(C*M+M*Ev+C*Ev+M*Ev)
	switch form {
	case "chunked":
		return fwd
	case "chunked-train":
		return fwd + 2*float64(C*M+C*Ev+Ev*M+C*M+C*M+Ev*M+C*Ev+M*Ev+M*Ev+M*Ev)
	}
	return 0
}

func BenchmarkSoftmaxDenseN256(b *testing.B)     { benchAttention(b, "softmax", 256) }
func BenchmarkSoftmaxDenseN1024(b *testing.B)    { benchAttention(b, "softmax", 1024) }
func BenchmarkSoftmaxDenseN4096(b *testing.B)    { benchAttention(b, "softmax", 4096) }
func BenchmarkSoftmaxDenseN16384(b *testing.B)   { benchAttention(b, "softmax", 16384) }
func BenchmarkLinearQuadraticN256(b *testing.B)  { benchAttention(b, "quadratic", 256) }
func BenchmarkLinearQuadraticN1024(b *testing.B) { benchAttention(b, "quadratic", 1024) }
func BenchmarkLinearQuadraticN4096(b *testing.B) { benchAttention(b, "quadratic", 4096) }
func BenchmarkLinearRecurrentN256(b *testing.B)  { benchAttention(b, "recurrent", 256) }
func BenchmarkLinearRecurrentN1024(b *testing.B) { benchAttention(b, "recurrent", 1024) }
func BenchmarkLinearRecurrentN4096(b *testing.B) { benchAttention(b, "recurrent", 4096) }
func BenchmarkLinearRecurrentN16384(b *testing.B) {
	benchAttention(b, "recurrent", 16384)
}
func BenchmarkLinearChunkedN256(b *testing.B)        { benchAttention(b, "chunked", 256) }
func BenchmarkLinearChunkedN1024(b *testing.B)       { benchAttention(b, "chunked", 1024) }
func BenchmarkLinearChunkedN4096(b *testing.B)       { benchAttention(b, "chunked", 4096) }
func BenchmarkLinearChunkedN16384(b *testing.B)      { benchAttention(b, "chunked", 16384) }
func BenchmarkLinearChunkedTrainN1024(b *testing.B)  { benchAttention(b, "chunked-train", 1024) }
func BenchmarkLinearChunkedTrainN16384(b *testing.B) { benchAttention(b, "chunked-train", 16384) }
