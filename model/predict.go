package model

import "math"

// Argmax returns the index of the largest logit (the first on ties) and its
// softmax probability, computed in float64:
//
//	p = 1 / Σ_j exp(logits[j] − max)
func Argmax(logits []float32) (best int, p float64) {
	mx := math.Inf(-1)
	for j, v := range logits {
		if float64(v) > mx {
			best, mx = j, float64(v)
		}
	}
	z := 0.0
	for _, v := range logits {
		z += math.Exp(float64(v) - mx)
	}
	return best, 1 / z
}
