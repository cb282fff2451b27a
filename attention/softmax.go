package attention

import (
	"math"

	"github.com/attnlab/attnlab/internal/gemm"
)

// Softmax is TransformerLens's attention:
//
//	scores = q·kᵀ / sqrt(E), scores[i,j] = −Inf for j > i
//	pattern = softmax(scores) over keys
type Softmax[F Float] struct{}

func (Softmax[F]) Name() string { return "softmax" }

func (Softmax[F]) Forward(pattern, scores []F, q, k []F, ld, T, E int) {
	gemm.MatMul(false, true, T, T, E, q, ld, k, ld, pattern, T, false)
	scale := 1 / math.Sqrt(float64(E))
	for i := range T {
		row := pattern[i*T : (i+1)*T]
		mx := math.Inf(-1)
		for j := 0; j <= i; j++ {
			row[j] = F(float64(row[j]) * scale)
			mx = max(mx, float64(row[j]))
		}
		if scores != nil {
			srow := scores[i*T : (i+1)*T]
			copy(srow[:i+1], row[:i+1])
			for j := i + 1; j < T; j++ {
				srow[j] = F(math.Inf(-1))
			}
		}
		sum := 0.0
		for j := 0; j <= i; j++ {
			e := math.Exp(float64(row[j]) - mx)
			row[j] = F(e)
			sum += e
		}
		inv := 1 / sum
		for j := 0; j <= i; j++ {
			row[j] = F(float64(row[j]) * inv)
		}
		clear(row[i+1:])
	}
}

// Backward differentiates pattern = softmax(q·kᵀ/sqrt(E)):
//
//	dscores[i,j] = pattern[i,j]·(dpattern[i,j] − Σ_j' pattern[i,j']·dpattern[i,j']) / sqrt(E)
//	dq += dscores·k, dk += dscoresᵀ·q
func (Softmax[F]) Backward(dq, dk []F, ldd int, dpattern, pattern, q, k []F, ld, T, E int) {
	scale := 1 / math.Sqrt(float64(E))
	for i := range T {
		p, d := pattern[i*T:(i+1)*T], dpattern[i*T:(i+1)*T]
		dot := 0.0
		for j := 0; j <= i; j++ {
			dot += float64(p[j]) * float64(d[j])
		}
		for j := 0; j <= i; j++ {
			d[j] = F(float64(p[j]) * (float64(d[j]) - dot) * scale)
		}
		clear(d[i+1:])
	}
	gemm.MatMul(false, false, T, E, T, dpattern, T, k, ld, dq, ldd, true)
	gemm.MatMul(true, false, T, E, T, dpattern, T, q, ld, dk, ldd, true)
}
