package gemm

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/attnlab/attnlab/internal/cputime"
)

// attnOp is one of the six attention products of a sequence in the
// reference training step (T 65, 4 heads of d_head 16; model/forward.go
// attnPattern, model/backward.go attnHeadsBackward, attention/softmax.go),
// with the strides the model uses: q, k, v rows of 3·64 floats (the qkv
// buffer), z and dz rows of 64, dq, dk, dv rows of 3·64 (dqkv), the
// patterns [T, T] per head.
type attnOp struct {
	name     string
	heads    bool // MatMulHeads16 (else a MatMulTri LowerC per head)
	tri      Tri  // heads: LowerA or UpperA
	ldb, ldc int  // heads: B and C row strides; scores: q (or dz) and k (or v)
}

var attnOps = []attnOp{
	{"QK", false, LowerC, 192, 192}, // scores = q·kᵀ (forward)
	{"PV", true, LowerA, 192, 64},   // z = pattern·v (forward)
	{"DZV", false, LowerC, 64, 192}, // dpattern = dz·vᵀ
	{"DV", true, UpperA, 64, 192},   // dv = patternᵀ·dz
	{"DQ", true, LowerA, 192, 192},  // dq = dscores·k
	{"DK", true, UpperA, 192, 192},  // dk = dscoresᵀ·q
}

// attnSeq holds one sequence's operands of an attnOp.
type attnSeq struct{ a, b, c []float32 }

// BenchmarkAttn16 times each attention product of the reference step on
// one sequence, cycling over nseq sequences' operands: 1 (everything in
// L1/L2, as a kernel benchmark usually runs) or 32 (a batch's worth, about
// 4 MiB, so the operands come from L3 as in the step, where other work runs
// between the products). It reports the useful work (the causal triangle:
// T(T+1)/2 multiply-adds of 16 lanes per head) per CPU-second and as a
// fraction of one core's FMA peak (PeakGFLOPS) measured in the same run.
func BenchmarkAttn16(b *testing.B) {
	const T, H, E = 65, 4, 16
	for _, op := range attnOps {
		for _, nseq := range []int{1, 32} {
			b.Run(fmt.Sprintf("%s/seqs=%d", op.name, nseq), func(b *testing.B) {
				rng := rand.New(rand.NewPCG(7, 8))
				seqs := make([]attnSeq, nseq)
				for i := range seqs {
					s := &seqs[i]
					if op.heads {
						s.a = randSlice(rng, H*T*T)
						for h := range H {
							for r := range T {
								for p := r + 1; p < T; p++ {
									s.a[h*T*T+r*T+p] = 0
								}
							}
						}
						s.b = randSlice(rng, T*op.ldb)
						s.c = make([]float32, T*op.ldc)
						continue
					}
					s.a, s.b = randSlice(rng, T*op.ldb), randSlice(rng, T*op.ldc)
					s.c = make([]float32, H*T*T)
				}
				pk := peak()
				b.ResetTimer()
				cpu0 := cputime.Process()
				i := 0
				for b.Loop() {
					s := &seqs[i]
					if i++; i == nseq {
						i = 0
					}
					if op.heads {
						MatMulHeads16(op.tri, H, T, s.a, T*T, s.b, op.ldb, s.c, op.ldc)
						continue
					}
					for h := range H {
						MatMulTri(LowerC, false, true, T, T, E, s.a[h*E:], op.ldb, s.b[h*E:], op.ldc, s.c[h*T*T:], T, false)
					}
				}
				flops := 2 * E * H * T * (T + 1) / 2 * float64(b.N)
				if cpu := (cputime.Process() - cpu0).Seconds(); cpu > 0 {
					b.ReportMetric(flops/cpu/1e9, "useful_GFLOP/cpu-s")
					if pk > 0 {
						b.ReportMetric(flops/cpu/1e9/pk, "of_peak_per_cpu_s")
					}
				}
			})
		}
	}
}
