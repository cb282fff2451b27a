package gemm

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestTranspose compares Transpose with the plain loop for shapes around
// the 16×16 blocks and the gather tails (the 4-column scalar path), and
// checks it writes nothing past rows×cols.
func TestTranspose(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(5, 5))
	for _, rows := range []int{1, 3, 4, 5, 15, 16, 17, 33, 64, 65} {
		for _, cols := range []int{1, 2, 4, 5, 16, 17, 31, 64, 192} {
			src := randSlice(rng, rows*cols)
			got := randSlice(rng, rows*cols+7)
			want := slices.Clone(got)
			Transpose(got, src, rows, cols)
			transposeGo(want, src, rows, cols)
			if !bitsEqual(got, want) {
				t.Fatalf("Transpose %d×%d differs from the plain loop", rows, cols)
			}
			// float64 takes the plain loop: the same values, moved.
			f64 := make([]float64, rows*cols)
			s64 := make([]float64, rows*cols)
			for i, v := range src {
				s64[i] = float64(v)
			}
			Transpose(f64, s64, rows, cols)
			for i, v := range f64 {
				if v != float64(want[i]) {
					t.Fatalf("Transpose[float64] %d×%d differs at %d", rows, cols, i)
				}
			}
		}
	}
}
