package attention

import (
	"math"

	"github.com/attnlab/attnlab/internal/gemm"
	"github.com/attnlab/attnlab/internal/vecmath"
)

// Softmax is TransformerLens's attention:
//
//	scores = q·kᵀ / sqrt(E), scores[i,j] = −Inf for j > i
//	pattern = softmax(scores) over keys
//
// In float32 the rows go through vecmath.SoftmaxCausal (vectorised exp,
// float32 statistics, max 1 ulp per exp) and the products skip the
// masked triangle (gemm.MatMulTri); float64 keeps the plain loops below,
// which the float32 path is tested against.
type Softmax[F Float] struct{}

func (Softmax[F]) Name() string { return "softmax" }

func (Softmax[F]) Forward(pattern, scores []F, q, k []F, ld, T, E int) {
	// Only the causal triangle j ≤ i is computed (to within 8 rows).
	gemm.MatMulTri(gemm.LowerC, false, true, T, T, E, q, ld, k, ld, pattern, T, false)
	scale := 1 / math.Sqrt(float64(E))
	if scores != nil {
		writeScores(scores, pattern, T, scale)
	}
	if p, ok := asF32(pattern); ok {
		vecmath.SoftmaxCausal(p, T, float32(scale))
		return
	}
	softmaxRows(pattern, T, scale, nil)
}

// writeScores fills scores [T, T] with TransformerLens's hook_attn_scores:
// the raw products q·kᵀ in pattern times scale, −Inf above the diagonal.
func writeScores[F Float](scores, pattern []F, T int, scale float64) {
	for i := range T {
		srow := scores[i*T : (i+1)*T]
		for j := 0; j <= i; j++ {
			srow[j] = F(float64(pattern[i*T+j]) * scale)
		}
		for j := i + 1; j < T; j++ {
			srow[j] = F(math.Inf(-1))
		}
	}
}

// softmaxRows is the plain causal softmax of Forward over the raw products
// q·kᵀ in pattern [T, T], statistics in float64. sink, when non-nil, gives
// row i one more (already scaled) score that joins the denominator but has
// no column: softmax1 (a constant 0) and the learned sink slot.
func softmaxRows[F Float](pattern []F, T int, scale float64, sink func(i int) float64) {
	for i := range T {
		row := pattern[i*T : (i+1)*T]
		s := math.Inf(-1)
		if sink != nil {
			s = sink(i)
		}
		softmaxRow(row[:i+1], scale, s)
		clear(row[i+1:])
	}
}

// softmaxRow is one query's softmax over the raw products in row (its
// visible keys; −Inf for a hidden one), scaled by scale, in place, with an
// extra slot of score sink in the denominator (−Inf for none); statistics
// in float64.
func softmaxRow[F Float](row []F, scale, sink float64) {
	mx := sink
	for j := range row {
		row[j] = F(float64(row[j]) * scale)
		mx = max(mx, float64(row[j]))
	}
	sum := math.Exp(sink - mx)
	for j := range row {
		e := math.Exp(float64(row[j]) - mx)
		row[j] = F(e)
		sum += e
	}
	inv := 1 / sum
	for j := range row {
		row[j] = F(float64(row[j]) * inv)
	}
}

// Backward differentiates pattern = softmax(q·kᵀ/sqrt(E)):
//
//	dscores[i,j] = pattern[i,j]·(dpattern[i,j] − Σ_j' pattern[i,j']·dpattern[i,j']) / sqrt(E)
//	dq += dscores·k, dk += dscoresᵀ·q
func (s Softmax[F]) Backward(dq, dk []F, ldd int, dpattern, pattern, q, k []F, ld, T, E int) {
	s.BackwardScores(dpattern, pattern, T, E)
	// dscores is lower triangular: dq's rows sum over keys j ≤ i, dk's
	// over queries i ≥ j.
	gemm.MatMulTri(gemm.LowerA, false, false, T, E, T, dpattern, T, k, ld, dq, ldd, true)
	gemm.MatMulTri(gemm.UpperA, true, false, T, E, T, dpattern, T, q, ld, dk, ldd, true)
}

// BackwardScores is Backward's first line (ScoresBackward): dpattern
// becomes dscores, zeros above the diagonal.
func (Softmax[F]) BackwardScores(dpattern, pattern []F, T, E int) {
	scale := 1 / math.Sqrt(float64(E))
	if d, ok := asF32(dpattern); ok {
		p, _ := asF32(pattern)
		vecmath.SoftmaxCausalBackward(d, p, T, float32(scale))
		return
	}
	softmaxBackRows(dpattern, pattern, T, scale)
}

// softmaxBackRows is the plain loop of Backward's first line, in float64.
func softmaxBackRows[F Float](dpattern, pattern []F, T int, scale float64) {
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
}

// asF32 reinterprets s as []float32 when F's underlying type is float32
// (vecmath.AsF32).
func asF32[F Float](s []F) ([]float32, bool) { return vecmath.AsF32(s) }
