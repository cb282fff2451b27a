package attention

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/attnlab/attnlab/internal/gemm"
)

// TestRowIsForwardsRow: for every rule with a per-query form, Row on the
// raw products of query i (hidden keys −Inf) gives row i of Forward's
// pattern, in float32 and float64.
func TestRowIsForwardsRow(t *testing.T) {
	t.Parallel()
	testRowIsForwardsRow[float32](t, 2e-7)
	testRowIsForwardsRow[float64](t, 1e-15)
}

func testRowIsForwardsRow[F Float](t *testing.T, tol float64) {
	const T, E = 9, 8
	r := rand.New(rand.NewPCG(5, 6))
	q, k, ks := make([]F, T*E), make([]F, T*E), make([]F, E)
	for i := range q {
		q[i], k[i] = F(r.NormFloat64()), F(r.NormFloat64())
	}
	for i := range ks {
		ks[i] = F(r.NormFloat64())
	}
	prod := make([]F, T*T) // q·kᵀ [T, T]
	gemm.MatMul(false, true, T, T, E, q, E, k, E, prod, T, false)
	for _, kind := range []string{"softmax", "softmax1", "learned-sink", "sigmoid", "window:4"} {
		rule, err := New[F](kind)
		if err != nil {
			t.Fatal(err)
		}
		rr, ok := rule.(RowRule[F])
		if !ok {
			t.Fatalf("%s has no per-row form", kind)
		}
		pattern := make([]F, T*T)
		var params []F
		if hp, ok := rule.(HeadParams[F]); ok {
			params = ks
			hp.ForwardParams(params, pattern, nil, q, k, E, T, E)
		} else {
			rule.Forward(pattern, nil, q, k, E, T, E)
		}
		for i := range T {
			row := append([]F(nil), prod[i*T:i*T+i+1]...)
			if sp, ok := rule.(SparseRule[F]); ok {
				for j := range row {
					if !sp.Pattern().Visible(i, j) {
						row[j] = F(math.Inf(-1))
					}
				}
			}
			rr.Row(row, q[i*E:(i+1)*E], params, E)
			for j, v := range row {
				if w := pattern[i*T+j]; math.Abs(float64(v-w)) > tol {
					t.Fatalf("%s %T: Row gives [%d,%d] = %v, Forward %v", kind, v, i, j, v, w)
				}
			}
		}
	}
}
