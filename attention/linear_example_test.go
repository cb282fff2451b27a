package attention_test

import (
	"fmt"

	"github.com/attnlab/attnlab/attention"
)

// The quadratic form (what the engine trains) and the recurrent form (what
// inference needs: O(1) memory per token) give the same output. Row 1 by
// hand: φ(q_1) = elu((0,1))+1 = (1, 2), φ(k_0) = (2, 1), φ(k_1) = (1, 2), so
// a = (4, 5) and the pattern is (4/9, 5/9).
func ExampleLinear_Recurrent() {
	lin, _ := attention.NewLinear[float64]("elu")
	const T, E = 3, 2
	q := []float64{1, 0, 0, 1, 1, 1}  // [T, E]
	k := []float64{1, 0, 0, 1, -1, 2} // [T, E]
	v := []float64{1, 0, 0, 1, 5, 5}  // [T, E]
	pattern := make([]float64, T*T)
	lin.Forward(pattern, nil, q, k, E, T, E)
	out := make([]float64, T*E)
	lin.Recurrent(out, E, q, k, E, v, E, T, E, E)
	for i := range T {
		z0, z1 := 0.0, 0.0
		for j := range T {
			z0 += pattern[i*T+j] * v[j*E]
			z1 += pattern[i*T+j] * v[j*E+1]
		}
		fmt.Printf("pattern %.3f  quadratic z = [%.3f %.3f]  recurrent z = [%.3f %.3f]\n", pattern[i*T:(i+1)*T], z0, z1, out[i*E], out[i*E+1])
	}
	// Output:
	// pattern [1.000 0.000 0.000]  quadratic z = [1.000 0.000]  recurrent z = [1.000 0.000]
	// pattern [0.444 0.556 0.000]  quadratic z = [0.444 0.556]  recurrent z = [0.444 0.556]
	// pattern [0.320 0.320 0.360]  quadratic z = [2.118 2.118]  recurrent z = [2.118 2.118]
}
