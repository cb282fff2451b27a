package model

import (
	"math"
	"testing"
)

func TestArgmaxAndNLL(t *testing.T) {
	t.Parallel()
	logits := []float32{1, 3, 3, -2}
	best, p := Argmax(logits)
	z := math.Exp(1) + 2*math.Exp(3) + math.Exp(-2)
	if best != 1 || math.Abs(p-math.Exp(3)/z) > 1e-15 {
		t.Errorf("Argmax = %d, %v; want 1 (the first of the tied maxima), %v", best, p, math.Exp(3)/z)
	}
	if got, want := NLL(logits, 3), math.Log(z)+2; math.Abs(got-want) > 1e-14 {
		t.Errorf("NLL = %v, want %v", got, want)
	}
	if math.Abs(math.Exp(-NLL(logits, 1))-p) > 1e-15 {
		t.Error("exp(−NLL) of the argmax is not its probability")
	}
}
