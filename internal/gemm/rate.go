package gemm

import (
	"sync"
	"time"
)

// RateSize is the side of the square products Rate times: 256×256×256
// (operands 768 KiB, in L2 on the development machines), large enough that
// the micro-kernels run at their steady rate.
const RateSize = 256

// Rate measures this machine's float32 matrix-multiply rate in GFLOP/s
// (2·n³ per n×n×n product) with workers goroutines each multiplying its own
// RateSize-square matrices for at least d: the machine's matmul rate on that
// many cores, the yardstick attention kernels are reported against. It
// allocates 3 matrices per worker.
func Rate(workers int, d time.Duration) float64 {
	workers = max(workers, 1)
	const n = RateSize
	var wg sync.WaitGroup
	counts := make([]int, workers)
	start := time.Now()
	for w := range workers {
		wg.Go(func() {
			a, b, c := make([]float32, n*n), make([]float32, n*n), make([]float32, n*n)
			for i := range a {
				a[i], b[i] = float32(i%7)*0.25, float32(i%5)*0.5
			}
			for time.Since(start) < d || counts[w] == 0 {
				MatMul(false, false, n, n, n, a, n, b, n, c, n, false)
				counts[w]++
			}
		})
	}
	wg.Wait()
	el := time.Since(start).Seconds()
	total := 0
	for _, c := range counts {
		total += c
	}
	return float64(total) * 2 * n * n * n / el / 1e9
}
