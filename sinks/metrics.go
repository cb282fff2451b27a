package sinks

import (
	"fmt"
	"math"

	"github.com/attnlab/attnlab/model"
)

func checkPattern(pattern []float32, B, H, T int) error {
	if err := model.CheckPattern(pattern, B, H, T); err != nil {
		return fmt.Errorf("sinks: %w", err)
	}
	return nil
}

// FirstTokenMass returns, for one layer's pattern [B, H, T, T], the mass on
// the first key averaged over queries i ≥ 1 and sequences, per head
// (alpha [H]), and per query position (byPos [H][T], mean over sequences;
// byPos[h][0] is the first token's attention to itself):
//
//	alpha[h]    = 1/(B(T−1)) Σ_b Σ_{i≥1} pattern[b,h,i,0]
//	byPos[h][i] = 1/B Σ_b pattern[b,h,i,0]
func FirstTokenMass(pattern []float32, B, H, T int) (alpha []float64, byPos [][]float64, err error) {
	if err := checkPattern(pattern, B, H, T); err != nil {
		return nil, nil, err
	}
	if T < 2 {
		return nil, nil, fmt.Errorf("sinks: first-token mass needs T ≥ 2 positions, got %d", T)
	}
	alpha, byPos = make([]float64, H), make([][]float64, H)
	for h := range H {
		byPos[h] = make([]float64, T)
		for b := range B {
			p := pattern[(b*H+h)*T*T:]
			for i := range T {
				byPos[h][i] += float64(p[i*T])
			}
		}
		for i := range T {
			byPos[h][i] /= float64(B)
			if i >= 1 {
				alpha[h] += byPos[h][i]
			}
		}
		alpha[h] /= float64(T - 1)
	}
	return alpha, byPos, nil
}

// GuAlphaSamples is Gu et al.'s importance score of token k (one-based,
// k = 1 the first token) per sequence and head, on the first n positions:
//
//	α_k[b][h] = 1/(n−k+1) Σ_{i=k}^{n} pattern[b,h,i−1,k−1]
//
// the mean attention token k receives from the queries that see it
// (compute_attention_sink in sail-sg/Attention-Sink divides each column of
// the pattern by the number of queries at or after its key). n ≤ T; Gu et
// al. use the first 64 tokens. The result is [B][H].
func GuAlphaSamples(pattern []float32, B, H, T, k, n int) ([][]float64, error) {
	if err := checkPattern(pattern, B, H, T); err != nil {
		return nil, err
	}
	if n < 1 || n > T || k < 1 || k > n {
		return nil, fmt.Errorf("sinks: Gu et al.'s α_k needs 1 ≤ k ≤ n ≤ T, got k=%d n=%d T=%d", k, n, T)
	}
	out := make([][]float64, B)
	for b := range B {
		out[b] = make([]float64, H)
		for h := range H {
			p := pattern[(b*H+h)*T*T:]
			for i := k - 1; i < n; i++ {
				out[b][h] += float64(p[i*T+k-1])
			}
			out[b][h] /= float64(n - k + 1)
		}
	}
	return out, nil
}

// GuAlpha is GuAlphaSamples averaged over the sequences, per head:
//
//	ᾱ_k[h] = 1/B Σ_b α_k[b][h]
func GuAlpha(pattern []float32, B, H, T, k, n int) ([]float64, error) {
	s, err := GuAlphaSamples(pattern, B, H, T, k, n)
	if err != nil {
		return nil, err
	}
	return MeanOverSamples(s), nil
}

// MeanOverSamples averages per-sample scores [B][H] over the samples: [H].
func MeanOverSamples(s [][]float64) []float64 {
	if len(s) == 0 {
		return nil
	}
	out := make([]float64, len(s[0]))
	for _, row := range s {
		for h, v := range row {
			out[h] += v
		}
	}
	for h := range out {
		out[h] /= float64(len(s))
	}
	return out
}

// SinkRate is Gu et al.'s Sink_k^ε as their code computes it
// (compute_attention_sink, sail-sg/Attention-Sink eval_sink_open_source.py):
// each sample's score is thresholded, then the indicator is averaged over
// samples, layers and heads, given per-sample scores [L][B][H] (from
// GuAlphaSamples):
//
//	Sink_k^ε = 1/(B·L·H) Σ_b Σ_l Σ_h 1[α_k(b,l,h) > ε]
//
// It is the fraction of (sample, head) pairs in which token k is a sink
// (Gu et al. print it ×100, as a percentage).
func SinkRate(scores [][][]float64, eps float64) float64 {
	n, hit := 0, 0
	for _, layer := range scores {
		for _, sample := range layer {
			for _, a := range sample {
				n++
				if a > eps {
					hit++
				}
			}
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return float64(hit) / float64(n)
}

// SinkHeads is the fraction of heads whose score, averaged over the
// samples first, exceeds ε, given the sample means [L][H] (from GuAlpha):
//
//	SinkHeads_k^ε = 1/(L·H) Σ_l Σ_h 1[ᾱ_k(l,h) > ε]
//
// attnlab's earlier Sink_k^ε: it counts heads that are sinks on average,
// so it is 0 when no head's mean crosses ε even where single samples do
// (SinkRate counts those), and counts a whole head whose mean crosses ε
// even if only some samples do.
func SinkHeads(scores [][]float64, eps float64) float64 {
	n, hit := 0, 0
	for _, layer := range scores {
		for _, a := range layer {
			n++
			if a > eps {
				hit++
			}
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return float64(hit) / float64(n)
}

// ValueNorms returns per head the L2 norm of the first token's value
// vector and the mean norm of the others' (positions ≥ 1), averaged over
// sequences, from v [B, T, H, E] (hook_v). A sink whose value is small
// writes almost nothing into the residual stream.
func ValueNorms(v []float32, B, T, H, E int) (first, rest []float64, err error) {
	if B <= 0 || T < 2 || len(v) != B*T*H*E {
		return nil, nil, fmt.Errorf("sinks: value tensor has %d entries, want B·T·H·E = %d·%d·%d·%d with T ≥ 2", len(v), B, T, H, E)
	}
	first, rest = make([]float64, H), make([]float64, H)
	for b := range B {
		for t := range T {
			for h := range H {
				n := norm(v[((b*T+t)*H+h)*E:][:E])
				if t == 0 {
					first[h] += n / float64(B)
				} else {
					rest[h] += n / float64(B*(T-1))
				}
			}
		}
	}
	return first, rest, nil
}

// ResidNorms returns the L2 norm of the residual stream at the first
// position and the mean norm at the others (positions ≥ 1), averaged over
// sequences, from resid [B, T, D]: "massive activations" show as a first
// token whose norm is many times the rest's.
func ResidNorms(resid []float32, B, T, D int) (first, rest float64, err error) {
	if B <= 0 || T < 2 || len(resid) != B*T*D {
		return 0, 0, fmt.Errorf("sinks: residual tensor has %d entries, want B·T·D = %d·%d·%d with T ≥ 2", len(resid), B, T, D)
	}
	for b := range B {
		for t := range T {
			n := norm(resid[(b*T+t)*D:][:D])
			if t == 0 {
				first += n / float64(B)
			} else {
				rest += n / float64(B*(T-1))
			}
		}
	}
	return first, rest, nil
}

// MassiveActivation returns, from resid [B, T, D], the largest activation
// magnitude of the first token and of the others, and the dimension where
// the first token's is (Sun et al. 2024, Massive Activations in Large
// Language Models: a few dimensions of the first token's residual stream
// reach many times the magnitude of any other):
//
//	first = 1/B Σ_b max_d |resid[b,0,d]|
//	rest  = 1/(B(T−1)) Σ_b Σ_{i≥1} max_d |resid[b,i,d]|
//
// dim is the d of the largest |resid[b,0,d]| over every window (ties: the
// lowest d).
func MassiveActivation(resid []float32, B, T, D int) (first, rest float64, dim int, err error) {
	if B <= 0 || T < 2 || D <= 0 || len(resid) != B*T*D {
		return 0, 0, 0, fmt.Errorf("sinks: residual tensor has %d entries, want B·T·D = %d·%d·%d with T ≥ 2", len(resid), B, T, D)
	}
	best := -1.0
	for b := range B {
		for t := range T {
			m, at := 0.0, 0
			for d, v := range resid[(b*T+t)*D:][:D] {
				if a := math.Abs(float64(v)); a > m {
					m, at = a, d
				}
			}
			if t == 0 {
				first += m / float64(B)
				if m > best {
					best, dim = m, at
				}
			} else {
				rest += m / float64(B*(T-1))
			}
		}
	}
	return first, rest, dim, nil
}

func norm(x []float32) float64 {
	s := 0.0
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s)
}

// RowSum returns per head the attention a query spends on real keys,
// averaged over sequences and queries i ≥ 1:
//
//	rowSum[h] = 1/(B(T−1)) Σ_b Σ_{i≥1} Σ_j pattern[b,h,i,j]
//
// It is 1 for softmax; below 1 for softmax1 and the learned sink (the rest
// went to the null slot); unconstrained for sigmoid attention.
func RowSum(pattern []float32, B, H, T int) ([]float64, error) {
	if err := checkPattern(pattern, B, H, T); err != nil {
		return nil, err
	}
	if T < 2 {
		return nil, fmt.Errorf("sinks: row sums need T ≥ 2 positions, got %d", T)
	}
	out := make([]float64, H)
	for h := range H {
		for b := range B {
			p := pattern[(b*H+h)*T*T:]
			for i := 1; i < T; i++ {
				for j := 0; j <= i; j++ {
					out[h] += float64(p[i*T+j])
				}
			}
		}
		out[h] /= float64(B * (T - 1))
	}
	return out, nil
}
