package induction

import (
	"fmt"
	"math"
)

// PrefixMatchingScores is Olsson et al. 2022's prefix-matching score on the
// canonical batch [BOS, x_1..x_L, x_1..x_L] (T = 2L+1): a query in the second
// repeat holding x_k (position q = L+k) should attend to the token after the
// earlier x_k, i.e. to position k+1 = q-L+1. Per head and sequence ([H][B]):
//
//	score = 1/L · Σ_{q=L+1}^{2L} A[q, q-L+1]
//
// An ideal induction head scores 1; a previous-token head scores 0 for L ≥ 3
// (for L = 2, q-L+1 = q-1 and the two cannot be told apart).
func PrefixMatchingScores(pattern []float32, B, H, T, L int) ([][]float64, error) {
	if L < 1 || T != 2*L+1 {
		return nil, fmt.Errorf("induction: prefix matching needs the canonical batch T = 2L+1 with L ≥ 1, got T=%d, L=%d", T, L)
	}
	if err := checkPattern(pattern, B, H, T); err != nil {
		return nil, err
	}
	scores := make([][]float64, H) // [H][B]
	for h := range scores {
		scores[h] = make([]float64, B)
		for b := 0; b < B; b++ {
			a := pattern[(b*H+h)*T*T : (b*H+h+1)*T*T] // [T, T]
			var s float64
			for q := L + 1; q <= 2*L; q++ {
				s += float64(a[q*T+q-L+1])
			}
			scores[h][b] = s / float64(L)
		}
	}
	return scores, nil
}

// PrefixMatchingScoresTokens is prefix matching on any tokens [B, T]: for
// each query i whose token occurred earlier, the attention mass on the
// positions right after those earlier occurrences, averaged over such
// queries. Per head and sequence ([H][B]):
//
//	K(i)  = { j+1 : j < i, tokens[j] = tokens[i] }   (the nonzero keys of InductionPattern row i)
//	Q     = { i : K(i) ≠ ∅ }
//	score = 1/|Q| · Σ_{i∈Q} Σ_{k∈K(i)} A[i, k]
//
// On the canonical batch this equals PrefixMatchingScores. A sequence without
// repeated tokens scores NaN.
func PrefixMatchingScoresTokens(pattern []float32, tokens []int32, B, H, T int) ([][]float64, error) {
	if err := checkPattern(pattern, B, H, T); err != nil {
		return nil, err
	}
	if len(tokens) != B*T {
		return nil, fmt.Errorf("induction: tokens has %d values, [B=%d, T=%d] wants %d", len(tokens), B, T, B*T)
	}
	scores := make([][]float64, H) // [H][B]
	for h := range scores {
		scores[h] = make([]float64, B)
	}
	for b := 0; b < B; b++ {
		ind := InductionPattern(tokens[b*T : (b+1)*T]) // [T, T]
		for h := 0; h < H; h++ {
			a := pattern[(b*H+h)*T*T : (b*H+h+1)*T*T] // [T, T]
			var sum float64
			n := 0
			for i := 0; i < T; i++ {
				hit := false
				for k := 1; k <= i; k++ {
					if ind[i*T+k] != 0 {
						hit = true
						sum += float64(a[i*T+k])
					}
				}
				if hit {
					n++
				}
			}
			if n == 0 {
				scores[h][b] = math.NaN()
				continue
			}
			scores[h][b] = sum / float64(n)
		}
	}
	return scores, nil
}
