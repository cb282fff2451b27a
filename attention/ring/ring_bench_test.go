package ring

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/attnlab/attnlab/internal/gemm"
	"github.com/attnlab/attnlab/internal/ringnet"
)

// benchRing times one head's causal ring attention at N tokens, d_head 64,
// on P in-process hosts sharing GOMAXPROCS cores, and reports GFLOP/s (4·E
// per visible pair forward, 10·E backward, as attention's flash
// benchmarks), tokens/s, and the fraction of the matmul rate gemm.Rate
// measures on as many cores in the same run. P = 1 is the blockwise kernel
// alone plus the ring's bookkeeping: the baseline the other ring sizes pay
// their overhead against.
func benchRing(b *testing.B, l Layout, P, N int, backward bool) {
	const E = 64
	x, _ := problem(N, E, 1)
	pr := Problem{N: N, E: E, Layout: l}
	shards := func(t int) [][]float32 {
		s := make([][]float32, P)
		for p := range P {
			s[p] = l.Shard(x[t], N, E, P, p)
		}
		return s
	}
	q, k, v, g := shards(0), shards(1), shards(2), shards(3)
	outs, lses := make([][]float32, P), make([][]float32, P)
	run := func(back bool) {
		links := ringnet.Local(P)
		errs := make(chan error, P)
		for p := range P {
			go func() {
				var st Stats
				var err error
				if back {
					_, _, _, err = Backward(context.Background(), links[p], pr, q[p], k[p], v[p], outs[p], lses[p], g[p], &st)
				} else {
					outs[p], lses[p], err = Forward(context.Background(), links[p], pr, q[p], k[p], v[p], &st)
				}
				errs <- err
			}()
		}
		for range P {
			if err := <-errs; err != nil {
				b.Fatal(err)
			}
		}
	}
	run(false)
	rate := gemm.Rate(runtime.GOMAXPROCS(0), 300*time.Millisecond)
	b.ResetTimer()
	for range b.N {
		run(backward)
	}
	pairs := float64(N) * float64(N+1) / 2
	flops := 4 * E * pairs
	if backward {
		flops = 10 * E * pairs
	}
	gf := float64(b.N) * flops / b.Elapsed().Seconds() / 1e9
	b.ReportMetric(gf, "GFLOP/s")
	b.ReportMetric(float64(b.N*N)/b.Elapsed().Seconds(), "tokens/s")
	b.ReportMetric(rate, "matmul-GFLOP/s")
	b.ReportMetric(gf/rate, "of-matmul")
}

func BenchmarkRingForwardP1N8192(b *testing.B)           { benchRing(b, Zigzag, 1, 8192, false) }
func BenchmarkRingForwardZigzagP8N8192(b *testing.B)     { benchRing(b, Zigzag, 8, 8192, false) }
func BenchmarkRingForwardStripeP8N8192(b *testing.B)     { benchRing(b, Stripe, 8, 8192, false) }
func BenchmarkRingForwardContiguousP8N8192(b *testing.B) { benchRing(b, Contiguous, 8, 8192, false) }
func BenchmarkRingBackwardP1N8192(b *testing.B)          { benchRing(b, Zigzag, 1, 8192, true) }
func BenchmarkRingBackwardZigzagP8N8192(b *testing.B)    { benchRing(b, Zigzag, 8, 8192, true) }
