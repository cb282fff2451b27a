package gemm

import (
	"runtime"
	"time"

	"github.com/attnlab/attnlab/internal/cputime"
)

// PeakGFLOPS measures one core's float32 multiply-add peak, in GFLOP/s
// (a fused multiply-add counts 2): 12 independent 16-wide FMA chains in a
// register-only loop for about d, on the calling goroutine's core. It is the
// denominator benchmarks report their efficiency against, measured in the
// same run because machines (and a shared machine from minute to minute)
// differ. It returns 0 without the AVX-512 kernels (noasm, other
// architectures), where no such peak applies.
//
// The loop is timed by the CPU time of its own thread where the system
// keeps one (Linux: CLOCK_THREAD_CPUTIME_ID), so time spent waiting for a
// core that other processes hold does not count: on a busy machine the
// result is still the core's peak, not its share of it. Elsewhere it is
// the best of several short wall-clock runs.
func PeakGFLOPS(d time.Duration) float64 {
	if !haveAsm {
		return 0
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	const flopsPerIter = 12 * 16 * 2
	const n = 1 << 20
	fmaLoop(n) // warm up: clock, AVX-512 state
	if t0, ok := cputime.Thread(); ok {
		iters := 0
		for start := time.Now(); time.Since(start) < d || iters == 0; iters++ {
			fmaLoop(n)
		}
		t1, _ := cputime.Thread()
		return flopsPerIter * n * float64(iters) / (t1 - t0).Seconds() / 1e9
	}
	best := 0.0
	// Several short runs, the best of them: a run interrupted by another
	// process measures the machine's load, not its peak.
	for deadline := time.Now().Add(d); time.Now().Before(deadline); {
		t0 := time.Now()
		fmaLoop(n)
		if s := time.Since(t0).Seconds(); s > 0 {
			best = max(best, flopsPerIter*n/s/1e9)
		}
	}
	return best
}
