package attention

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestHeadRunForms: the quadratic and recurrent forms of linear attention
// give the same z, softmax's z is a convex combination of v's rows, and bad
// input is an error.
func TestHeadRunForms(t *testing.T) {
	t.Parallel()
	const N, E = 37, 8
	r := rand.New(rand.NewPCG(3, 4))
	q, k, v := make([]float32, N*E), make([]float32, N*E), make([]float32, N*E)
	for i := range q {
		q[i], k[i], v[i] = float32(r.NormFloat64()), float32(r.NormFloat64()), float32(r.NormFloat64())
	}
	z := map[string][]float32{}
	for _, form := range Forms {
		z[form] = make([]float32, N*E)
		run, err := HeadRun(form, "elu", q, k, v, z[form], nil, N, E)
		if err != nil {
			t.Fatal(err)
		}
		run()
	}
	for i := range z["quadratic"] {
		if d := math.Abs(float64(z["quadratic"][i] - z["recurrent"][i])); d > 1e-4 {
			t.Fatalf("z[%d]: quadratic %v, recurrent %v", i, z["quadratic"][i], z["recurrent"][i])
		}
	}
	for e := range E { // query 0 sees only key 0
		if math.Abs(float64(z["softmax"][e]-v[e])) > 1e-6 {
			t.Errorf("softmax z[0,%d] = %v, want v[0,%d] = %v", e, z["softmax"][e], e, v[e])
		}
	}
	if _, err := HeadRun("cubic", "elu", q, k, v, z["softmax"], nil, N, E); err == nil {
		t.Error("unknown form accepted")
	}
	if _, err := HeadRun("softmax", "cosine", q, k, v, z["softmax"], nil, N, E); err == nil {
		t.Error("unknown feature map accepted")
	}
	if _, err := HeadRun("softmax", "elu", q[:E], k, v, z["softmax"], nil, N, E); err == nil {
		t.Error("short q accepted")
	}
}
