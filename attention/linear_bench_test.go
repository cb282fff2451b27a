package attention

import (
	"math/rand/v2"
	"testing"

	"github.com/attnlab/attnlab/internal/gemm"
)

// benchE is the head dimension of the scaling benchmarks (d_head = d_v).
const benchE = 64

// benchForms are the three ways to compute one head's causal attention
// output z [N, E] that the scaling benchmarks compare: the engine's dense
// softmax (pattern [N, N] then pattern·v), linear attention in the same
// quadratic form, and linear attention's O(N) recurrence.
func benchAttention(b *testing.B, form string, N int) {
	r := rand.New(rand.NewPCG(1, 1))
	q, k, v, z := make([]float32, N*benchE), make([]float32, N*benchE), make([]float32, N*benchE), make([]float32, N*benchE)
	for i := range q {
		q[i], k[i], v[i] = float32(r.NormFloat64()), float32(r.NormFloat64()), float32(r.NormFloat64())
	}
	lin, _ := NewLinear[float32]("elu")
	var pattern []float32
	if form != "recurrent" {
		pattern = make([]float32, N*N) // [N, N]
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
		}
	}
	b.ReportMetric(float64(N)*float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
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
