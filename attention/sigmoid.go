package attention

import (
	"math"

	"github.com/attnlab/attnlab/internal/gemm"
)

// Sigmoid is attention without normalisation (Gu et al. 2024 §6, "sigmoid
// attention without normalization"): each weight is a logistic function of
// its own score, so no key competes with another and rows need not sum to 1:
//
//	scores = q·kᵀ / sqrt(E), scores[i,j] = −Inf for j > i
//	pattern[i,j] = σ(scores[i,j]) = 1 / (1 + exp(−scores[i,j]))
type Sigmoid[F Float] struct{}

func (Sigmoid[F]) Name() string { return "sigmoid" }

func (Sigmoid[F]) Forward(pattern, scores []F, q, k []F, ld, T, E int) {
	gemm.MatMul(false, true, T, T, E, q, ld, k, ld, pattern, T, false)
	scale := 1 / math.Sqrt(float64(E))
	for i := range T {
		row := pattern[i*T : (i+1)*T]
		for j := 0; j <= i; j++ {
			s := float64(row[j]) * scale
			if scores != nil {
				scores[i*T+j] = F(s)
			}
			row[j] = F(sigmoid(s))
		}
		if scores != nil {
			for j := i + 1; j < T; j++ {
				scores[i*T+j] = F(math.Inf(-1))
			}
		}
		clear(row[i+1:])
	}
}

// Backward differentiates pattern = σ(q·kᵀ/sqrt(E)):
//
//	dscores[i,j] = dpattern[i,j]·pattern[i,j]·(1 − pattern[i,j]) / sqrt(E)
//	dq += dscores·k, dk += dscoresᵀ·q
func (Sigmoid[F]) Backward(dq, dk []F, ldd int, dpattern, pattern, q, k []F, ld, T, E int) {
	scale := 1 / math.Sqrt(float64(E))
	for i := range T {
		p, d := pattern[i*T:(i+1)*T], dpattern[i*T:(i+1)*T]
		for j := 0; j <= i; j++ {
			pj := float64(p[j])
			d[j] = F(float64(d[j]) * pj * (1 - pj) * scale)
		}
		clear(d[i+1:])
	}
	gemm.MatMul(false, false, T, E, T, dpattern, T, k, ld, dq, ldd, true)
	gemm.MatMul(true, false, T, E, T, dpattern, T, q, ld, dk, ldd, true)
}

func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}
