package attention

import (
	"context"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/attnlab/attnlab/internal/gemm"
)

// benchFlash times one head's causal blockwise attention at N tokens,
// d_head 64, on GOMAXPROCS cores, and reports GFLOP/s (4·E per visible
// pair: the q·k and p·v products), tokens/s, and the fraction of the
// matmul rate gemm.Rate measures on as many cores in the same run.
func benchFlash(b *testing.B, N int, backward bool) {
	const E = 64
	r := rand.New(rand.NewPCG(1, 1))
	q, _ := randF32(r, N*E, 1)
	k, _ := randF32(r, N*E, 1)
	v, _ := randF32(r, N*E, 1)
	g, _ := randF32(r, N*E, 1)
	out, lse := make([]float32, N*E), make([]float32, N)
	dq, dk, dv := make([]float32, N*E), make([]float32, N*E), make([]float32, N*E)
	ctx := context.Background()
	if err := FlashForward(ctx, out, lse, q, k, v, N, E, 0.125); err != nil {
		b.Fatal(err)
	}
	rate := gemm.Rate(runtime.GOMAXPROCS(0), 300*time.Millisecond)
	b.ResetTimer()
	for range b.N {
		var err error
		if backward {
			err = FlashBackward(ctx, dq, dk, dv, g, q, k, v, out, lse, N, E, 0.125)
		} else {
			err = FlashForward(ctx, out, lse, q, k, v, N, E, 0.125)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	pairs := float64(N) * float64(N+1) / 2
	flops := 4 * E * pairs // forward: q·k and p·v
	if backward {
		flops = 10 * E * pairs // backward: recomputed q·k, dv, dp, dq, dk (7 products with the two sweeps, 5 counted)
	}
	gf := float64(b.N) * flops / b.Elapsed().Seconds() / 1e9
	b.ReportMetric(gf, "GFLOP/s")
	b.ReportMetric(float64(b.N*N)/b.Elapsed().Seconds(), "tokens/s")
	b.ReportMetric(rate, "matmul-GFLOP/s")
	b.ReportMetric(gf/rate, "of-matmul")
}

func BenchmarkFlashForwardN1024(b *testing.B)  { benchFlash(b, 1024, false) }
func BenchmarkFlashForwardN4096(b *testing.B)  { benchFlash(b, 4096, false) }
func BenchmarkFlashBackwardN1024(b *testing.B) { benchFlash(b, 1024, true) }
func BenchmarkFlashBackwardN4096(b *testing.B) { benchFlash(b, 4096, true) }
