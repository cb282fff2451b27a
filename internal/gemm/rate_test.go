package gemm

import (
	"testing"
	"time"
)

// TestRate: the measured rate is a finite number of GFLOP/s that does not
// exceed what any current core can do (2 AVX-512 FMA pipes at 6 GHz: 384
// GFLOP/s per core) and that accounts for at least the one product every
// worker always does within the wall time the call took. That lower bound
// holds on a machine under any load (a busy machine lowers the rate, and
// the bound with it), yet catches a rate of 0 or one off by a factor of a
// thousand (there are dozens of products in 10 ms on an idle machine).
func TestRate(t *testing.T) {
	t.Parallel()
	const flops = 2 * RateSize * RateSize * RateSize // one product
	for _, workers := range []int{1, 2} {
		start := time.Now()
		r := Rate(workers, 10*time.Millisecond)
		floor := float64(workers*flops) / time.Since(start).Seconds() / 1e9
		if !(r >= floor && r < 400*float64(workers)) {
			t.Errorf("Rate(%d, 10ms) = %g GFLOP/s, want within [%g, %d): at least %d products in the %v the call took, at most 400 GFLOP/s a core",
				workers, r, floor, 400*workers, workers, time.Since(start))
		}
	}
}
