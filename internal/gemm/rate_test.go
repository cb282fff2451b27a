package gemm

import (
	"testing"
	"time"
)

// TestRate: the measured rate is a positive, finite number of GFLOP/s
// that does not exceed what any current core can do (2 AVX-512 FMA pipes
// at 6 GHz: 384 GFLOP/s per core).
func TestRate(t *testing.T) {
	t.Parallel()
	r := Rate(1, 10*time.Millisecond)
	if !(r > 0.1 && r < 400) {
		t.Fatalf("Rate(1, 10ms) = %g GFLOP/s, want within (0.1, 400)", r)
	}
}
