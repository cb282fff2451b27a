package attention

import (
	"math"

	"github.com/attnlab/attnlab/internal/gemm"
)

// Softmax1 is "off-by-one" softmax (Miller 2023; Gu et al. 2024 §6): an
// extra 1 in the denominator, as if every query also saw a key with score 0
// and value 0, so a head can attend to nothing:
//
//	scores = q·kᵀ / sqrt(E), scores[i,j] = −Inf for j > i
//	pattern[i,j] = exp(scores[i,j]) / (1 + Σ_j' exp(scores[i,j']))
//
// Rows of the pattern sum to less than 1; the rest, 1/(1 + Σ exp), is the
// mass on the implicit null slot.
type Softmax1[F Float] struct{}

func (Softmax1[F]) Name() string { return "softmax1" }

func (Softmax1[F]) Forward(pattern, scores []F, q, k []F, ld, T, E int) {
	sinkForward(pattern, scores, nil, q, k, ld, T, E)
}

// Backward: the null slot has value 0 and a constant score, so the
// gradient has softmax's form over the real keys,
//
//	dscores[i,j] = pattern[i,j]·(dpattern[i,j] − Σ_j' pattern[i,j']·dpattern[i,j']) / sqrt(E)
func (Softmax1[F]) Backward(dq, dk []F, ldd int, dpattern, pattern, q, k []F, ld, T, E int) {
	Softmax[F]{}.Backward(dq, dk, ldd, dpattern, pattern, q, k, ld, T, E)
}

// BackwardScores is Softmax's (ScoresBackward).
func (Softmax1[F]) BackwardScores(dpattern, pattern []F, T, E int) {
	Softmax[F]{}.BackwardScores(dpattern, pattern, T, E)
}

// LearnedSink gives every head one extra key/value slot that every query
// can attend to (Xiao et al. 2023 §3.3 "sink token"; Gu et al. 2024 §6,
// learnable key and value biases). The slot's key k_s [E] is trained; its
// value is zero, so the slot absorbs attention without writing to the
// residual stream:
//
//	s_i = q_i·k_s / sqrt(E)
//	pattern[i,j] = exp(scores[i,j]) / (exp(s_i) + Σ_j' exp(scores[i,j']))
//
// With k_s = 0 it is Softmax1. The model stores k_s as
// blocks.{l}.attn.k_sink [H, E], initialised like the other weight matrices
// (N(0, init_range²)) and not weight-decayed.
type LearnedSink[F Float] struct{}

func (LearnedSink[F]) Name() string      { return "learned-sink" }
func (LearnedSink[F]) ParamName() string { return "k_sink" }
func (LearnedSink[F]) ParamSize(E int) int {
	return E
}

func (LearnedSink[F]) Forward(pattern, scores []F, q, k []F, ld, T, E int) {
	sinkForward(pattern, scores, nil, q, k, ld, T, E)
}

func (LearnedSink[F]) ForwardParams(p []F, pattern, scores []F, q, k []F, ld, T, E int) {
	sinkForward(pattern, scores, p, q, k, ld, T, E)
}

func (LearnedSink[F]) Backward(dq, dk []F, ldd int, dpattern, pattern, q, k []F, ld, T, E int) {
	Softmax[F]{}.Backward(dq, dk, ldd, dpattern, pattern, q, k, ld, T, E)
}

// BackwardParams differentiates the forward above. With dot_i =
// Σ_j pattern[i,j]·dpattern[i,j] and sink_i = 1 − Σ_j pattern[i,j] (the
// slot's weight, whose value is zero):
//
//	ds_i = −sink_i·dot_i
//	dq_i += ds_i·k_s / sqrt(E), dk_s += Σ_i ds_i·q_i / sqrt(E)
//
// and the real keys get softmax's gradient.
func (LearnedSink[F]) BackwardParams(dp, p []F, dq, dk []F, ldd int, dpattern, pattern, q, k []F, ld, T, E int) {
	scale := 1 / math.Sqrt(float64(E))
	for i := range T {
		pr, d := pattern[i*T:(i+1)*T], dpattern[i*T:(i+1)*T]
		dot, mass := 0.0, 0.0
		for j := 0; j <= i; j++ {
			dot += float64(pr[j]) * float64(d[j])
			mass += float64(pr[j])
		}
		ds := -(1 - mass) * dot * scale
		qi, dqi := q[i*ld:i*ld+E], dq[i*ldd:i*ldd+E]
		for e := range E {
			dqi[e] += F(ds * float64(p[e]))
			dp[e] += F(ds * float64(qi[e]))
		}
	}
	Softmax[F]{}.Backward(dq, dk, ldd, dpattern, pattern, q, k, ld, T, E)
}

// sinkForward is softmax with one extra slot per query whose score is
// q_i·ks/sqrt(E) (0 when ks is nil). scores, when non-nil, receives the
// real keys' scores only.
func sinkForward[F Float](pattern, scores, ks []F, q, k []F, ld, T, E int) {
	gemm.MatMul(false, true, T, T, E, q, ld, k, ld, pattern, T, false)
	scale := 1 / math.Sqrt(float64(E))
	if scores != nil {
		writeScores(scores, pattern, T, scale)
	}
	softmaxRows(pattern, T, scale, func(i int) float64 {
		s := 0.0
		if ks != nil {
			for e, v := range q[i*ld : i*ld+E] {
				s += float64(v) * float64(ks[e])
			}
			s *= scale
		}
		return s
	})
}
