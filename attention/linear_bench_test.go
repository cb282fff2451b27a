package attention

import (
	"math/rand/v2"
	"testing"

	"github.com/attnlab/attnlab/internal/cputime"
)

// benchE is the head dimension of the scaling benchmarks (d_head = d_v).
const benchE = 64

// benchAttention times one head's causal attention output z [N, E] in form:
// the forms of HeadRun (attention.Forms: dense softmax, linear attention's
// quadratic form, its O(N) recurrence and its chunkwise-parallel form, elu
// feature map), as probes.Scaling times them, and "chunked-train", the
// chunked form's forward plus backward. It reports tokens/s and, for the
// chunked forms, GFLOP/s of their matrix products.
func benchAttention(b *testing.B, form string, N int) {
	r := rand.New(rand.NewPCG(1, 1))
	q, k, v, z := make([]float32, N*benchE), make([]float32, N*benchE), make([]float32, N*benchE), make([]float32, N*benchE)
	for i := range q {
		q[i], k[i], v[i] = float32(r.NormFloat64()), float32(r.NormFloat64()), float32(r.NormFloat64())
	}
	var run func()
	if form == "chunked-train" {
		chunked, _ := NewLinearChunked("elu")
		x := QKV{Q: q, K: k, V: v, LQ: benchE, LK: benchE, LV: benchE, T: N, E: benchE}
		dz, dq, dk, dv := make([]float32, N*benchE), make([]float32, N*benchE), make([]float32, N*benchE), make([]float32, N*benchE)
		for i := range dz {
			dz[i] = float32(r.NormFloat64())
		}
		run = func() {
			chunked.Forward(x, z, benchE)
			chunked.Backward(x, z, benchE, dz, benchE, Grads{dq, dk, dv, benchE, benchE, benchE})
		}
	} else {
		var err error
		if run, err = HeadRun(form, "elu", q, k, v, z, nil, N, benchE); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	cpu0 := cputime.Process()
	for b.Loop() {
		run()
	}
	cpu := (cputime.Process() - cpu0).Seconds()
	tokens := float64(N) * float64(b.N) / b.Elapsed().Seconds()
	b.ReportMetric(tokens, "tokens/s")
	// Per CPU-second (all threads): what the code does when it has a core,
	// whatever else the machine runs.
	b.ReportMetric(float64(N)*float64(b.N)/cpu, "tokens/cpu-s")
	if fl := chunkedFlops(form, N, LinearChunk, benchE, benchE); fl > 0 {
		b.ReportMetric(tokens*fl/1e9, "GFLOP/s")
		b.ReportMetric(float64(N)*float64(b.N)*fl/cpu/1e9, "GFLOP/cpu-s")
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
