package gemm

import "time"

// PeakGFLOPS measures one core's float32 multiply-add peak, in GFLOP/s
// (a fused multiply-add counts 2): 12 independent 16-wide FMA chains in a
// register-only loop for about d, on the calling goroutine's core. It is the
// denominator benchmarks report their efficiency against, measured in the
// same run because machines (and a shared machine from minute to minute)
// differ. It returns 0 without the AVX-512 kernels (noasm, other
// architectures), where no such peak applies.
func PeakGFLOPS(d time.Duration) float64 {
	if !haveAsm {
		return 0
	}
	const flopsPerIter = 12 * 16 * 2
	best := 0.0
	// Several short runs, the best of them: a run interrupted by another
	// process measures the machine's load, not its peak.
	for deadline := time.Now().Add(d); time.Now().Before(deadline); {
		const n = 1 << 20
		t0 := time.Now()
		fmaLoop(n)
		if s := time.Since(t0).Seconds(); s > 0 {
			best = max(best, flopsPerIter*n/s/1e9)
		}
	}
	return best
}
