package gemm

import (
	"github.com/attnlab/attnlab/internal/cputime"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

// benchMul times mul on op(A) [m, k] · op(B) [k, n] with minimal leading
// dimensions (or ld when > 0, for strided attention views) and reports
// GFLOP/s (2mnk per call).
func benchMul(b *testing.B, mul mulFunc32, transA, transB bool, m, n, k, ld int) {
	rng := rand.New(rand.NewPCG(1, 1))
	lda, ldb := k, n
	if transA {
		lda = m
	}
	if transB {
		ldb = k
	}
	if ld > 0 {
		lda, ldb = ld, ld
	}
	a := randSlice(rng, max(m, k)*lda)
	bb := randSlice(rng, max(n, k)*ldb)
	c := make([]float32, m*n)
	b.ResetTimer()
	cpu0 := cputime.Process()
	for b.Loop() {
		mul(transA, transB, m, n, k, a, lda, bb, ldb, c, n, false)
	}
	flops := 2 * float64(m) * float64(n) * float64(k) * float64(b.N)
	gflops := flops / b.Elapsed().Seconds() / 1e9
	b.ReportMetric(gflops, "GFLOP/s")
	// Per CPU-second: on a machine shared with other jobs it varies less
	// than wall time, which includes waiting for a core.
	if cpu := (cputime.Process() - cpu0).Seconds(); cpu > 0 {
		b.ReportMetric(flops/cpu/1e9, "GFLOP/cpu-s")
	}
	if pk := peak(); pk > 0 {
		b.ReportMetric(gflops/pk, "of_peak")
	}
}

// peak is one core's FMA peak (PeakGFLOPS), measured once per run.
var peak = sync.OnceValue(func() float64 { return PeakGFLOPS(300 * time.Millisecond) })

// BenchmarkPeak is the FMA loop itself: the machine's float32 peak per core
// by the wall clock (GFLOP/s) and by the thread's CPU time, as PeakGFLOPS
// measures it (peak_GFLOP/s; the same on an idle machine, still the core's
// peak on a busy one).
func BenchmarkPeak(b *testing.B) {
	for b.Loop() {
		fmaLoop(1 << 16)
	}
	b.ReportMetric(12*16*2*(1<<16)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	b.ReportMetric(PeakGFLOPS(100*time.Millisecond), "peak_GFLOP/s")
}

var (
	fast   mulFunc32 = MatMul[float32]
	goPath           = paths32[1].mul
	ref    mulFunc32 = Ref[float32]
)

// T is the transformer shape: B*T = 2080 rows, d_model 64, 3*d_model 192.
func BenchmarkMatMulNN_T(b *testing.B)   { benchMul(b, fast, false, false, 2080, 192, 64, 0) }
func BenchmarkMatMulNN_64(b *testing.B)  { benchMul(b, fast, false, false, 64, 64, 64, 0) }
func BenchmarkMatMulNN_256(b *testing.B) { benchMul(b, fast, false, false, 256, 256, 256, 0) }
func BenchmarkMatMulTN_T(b *testing.B)   { benchMul(b, fast, true, false, 64, 192, 2080, 0) }
func BenchmarkMatMulTN_64(b *testing.B)  { benchMul(b, fast, true, false, 64, 64, 64, 0) }
func BenchmarkMatMulTN_256(b *testing.B) { benchMul(b, fast, true, false, 256, 256, 256, 0) }
func BenchmarkMatMulNT_T(b *testing.B)   { benchMul(b, fast, false, true, 2080, 192, 64, 0) }
func BenchmarkMatMulNT_64(b *testing.B)  { benchMul(b, fast, false, true, 64, 64, 64, 0) }
func BenchmarkMatMulNT_256(b *testing.B) { benchMul(b, fast, false, true, 256, 256, 256, 0) }

// Per-head attention: scores q·kᵀ [65×16]·[65×16]ᵀ and pattern·v
// [65×65]·[65×16], q, k, v read from a [T, 192] qkv buffer.
func BenchmarkMatMulScores65(b *testing.B) { benchMul(b, fast, false, true, 65, 65, 16, 192) }
func BenchmarkMatMulPV65(b *testing.B)     { benchMul(b, fast, false, false, 65, 16, 65, 192) }
func BenchmarkMatMulTiny1(b *testing.B)    { benchMul(b, fast, false, false, 1, 1, 1, 0) }

// The MLP of one training shard (1024 tokens, d_model 128, d_mlp 512):
// forward pre = x·W_in and out = post·W_out, backward dx = dout·Wᵀ and
// dW = xᵀ·dout for each.
func BenchmarkMatMulMLPIn(b *testing.B)    { benchMul(b, fast, false, false, 1024, 512, 128, 0) }
func BenchmarkMatMulMLPOut(b *testing.B)   { benchMul(b, fast, false, false, 1024, 128, 512, 0) }
func BenchmarkMatMulMLPInDx(b *testing.B)  { benchMul(b, fast, false, true, 1024, 128, 512, 0) }
func BenchmarkMatMulMLPOutDx(b *testing.B) { benchMul(b, fast, false, true, 1024, 512, 128, 0) }
func BenchmarkMatMulMLPInDW(b *testing.B)  { benchMul(b, fast, true, false, 128, 512, 1024, 0) }
func BenchmarkMatMulMLPOutDW(b *testing.B) { benchMul(b, fast, true, false, 512, 128, 1024, 0) }

// The pure-Go path (float64, noasm and non-amd64 builds) in float32.
func BenchmarkFallbackNN_T(b *testing.B)     { benchMul(b, goPath, false, false, 2080, 192, 64, 0) }
func BenchmarkFallbackNN_64(b *testing.B)    { benchMul(b, goPath, false, false, 64, 64, 64, 0) }
func BenchmarkFallbackNN_256(b *testing.B)   { benchMul(b, goPath, false, false, 256, 256, 256, 0) }
func BenchmarkFallbackTN_T(b *testing.B)     { benchMul(b, goPath, true, false, 64, 192, 2080, 0) }
func BenchmarkFallbackNT_T(b *testing.B)     { benchMul(b, goPath, false, true, 2080, 192, 64, 0) }
func BenchmarkFallbackScores65(b *testing.B) { benchMul(b, goPath, false, true, 65, 65, 16, 192) }
func BenchmarkFallbackPV65(b *testing.B)     { benchMul(b, goPath, false, false, 65, 16, 65, 192) }

// The plain triple loop.
func BenchmarkRefNN_T(b *testing.B) { benchMul(b, ref, false, false, 2080, 192, 64, 0) }
func BenchmarkRefTN_T(b *testing.B) { benchMul(b, ref, true, false, 64, 192, 2080, 0) }
func BenchmarkRefNT_T(b *testing.B) { benchMul(b, ref, false, true, 2080, 192, 64, 0) }

// U is one work unit of the reference step (2 sequences of 65: 130 rows).
func BenchmarkMatMulNN_U(b *testing.B) { benchMul(b, fast, false, false, 130, 192, 64, 0) }
func BenchmarkMatMulNT_U(b *testing.B) { benchMul(b, fast, false, true, 130, 64, 192, 0) }
func BenchmarkMatMulTN_U(b *testing.B) { benchMul(b, fast, true, false, 64, 192, 130, 0) }

// BenchmarkMatMulTN_U12 is BenchmarkMatMulTN_U cut into 12 products of 16
// columns (one per head and q|k|v: the weight gradient written in
// [H, D, E] layout).
func BenchmarkMatMulTN_U12(b *testing.B) {
	const m, n, k = 64, 192, 130
	a, bb, c := make([]float32, k*m), make([]float32, k*n), make([]float32, m*n)
	for i := range a {
		a[i] = float32(i%7) * 0.25
	}
	for i := range bb {
		bb[i] = float32(i%5) * 0.5
	}
	cpu0 := cputime.Process()
	for b.Loop() {
		for j := 0; j < n; j += 16 {
			MatMul(true, false, m, 16, k, a, m, bb[j:], n, c[j*m:], 16, false)
		}
	}
	if cpu := (cputime.Process() - cpu0).Seconds(); cpu > 0 {
		b.ReportMetric(2*m*n*k*float64(b.N)/cpu/1e9, "GFLOP/cpu-s")
	}
}
