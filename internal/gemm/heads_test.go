package gemm

import (
	"math/rand/v2"
	"testing"

	"github.com/attnlab/attnlab/internal/cputime"
)

// TestMatMulHeads16 checks MatMulHeads16 against its definition, a
// MatMulTri per head (bit for bit), and against Ref (to rounding), for
// every length from 1 to 130 (each remainder of the kernels' 4- and 8-row
// blocks) and 1 to 9 heads (odd ones leave a head to MatMulTri), with
// padded strides: nothing outside the heads' columns may be written.
func TestMatMulHeads16(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 4))
	for T := 1; T <= 130; T++ {
		for H := 1; H <= 9; H++ {
			for _, tri := range []Tri{LowerA, UpperA} {
				hs := T*T + 7
				a := randSlice(rng, H*hs)
				for h := range H {
					for i := range T {
						for p := i + 1; p < T; p++ {
							a[h*hs+i*T+p] = 0 // A_h lower triangular
						}
					}
				}
				ldb, ldc := 16*H+5, 16*H+3
				b := randSlice(rng, T*ldb)
				c0 := randSlice(rng, T*ldc)
				got, want, ref := append([]float32(nil), c0...), append([]float32(nil), c0...), append([]float32(nil), c0...)
				MatMulHeads16(tri, H, T, a, hs, b, ldb, got, ldc)
				for h := range H {
					MatMulTri(tri, tri == UpperA, false, T, 16, T, a[h*hs:], T, b[h*16:], ldb, want[h*16:], ldc, false)
					Ref(tri == UpperA, false, T, 16, T, a[h*hs:], T, b[h*16:], ldb, ref[h*16:], ldc, false)
				}
				for i, g := range got {
					if g != want[i] {
						t.Fatalf("T=%d H=%d tri=%d: c[%d] = %v, MatMulTri per head gives %v", T, H, tri, i, g, want[i])
					}
					if d := g - ref[i]; d > 1e-4 || d < -1e-4 {
						t.Fatalf("T=%d H=%d tri=%d: c[%d] = %v, Ref gives %v", T, H, tri, i, g, ref[i])
					}
				}
			}
		}
	}
}

// benchHeads times the four heads' [65, 16] products of one sequence of
// the reference step (b, c rows of 192 and 64 floats) by MatMulHeads16
// (heads true) or a MatMulTri per head, and reports the useful work (the
// causal triangle: T(T+1)/2 multiply-adds per column) per CPU-second.
func benchHeads(b *testing.B, tri Tri, heads bool) {
	const T, H = 65, 4
	rng := rand.New(rand.NewPCG(1, 1))
	a := randSlice(rng, H*T*T)
	bb := randSlice(rng, T*192)
	c := make([]float32, T*64)
	cpu0 := cputime.Process()
	for b.Loop() {
		if heads {
			MatMulHeads16(tri, H, T, a, T*T, bb, 192, c, 64)
			continue
		}
		for h := range H {
			MatMulTri(tri, tri == UpperA, false, T, 16, T, a[h*T*T:], T, bb[h*16:], 192, c[h*16:], 64, false)
		}
	}
	if cpu := (cputime.Process() - cpu0).Seconds(); cpu > 0 {
		b.ReportMetric(2*16*H*T*(T+1)/2*float64(b.N)/cpu/1e9, "useful_GFLOP/cpu-s")
	}
}

func BenchmarkHeads16Lower(b *testing.B)    { benchHeads(b, LowerA, true) }
func BenchmarkHeads16Upper(b *testing.B)    { benchHeads(b, UpperA, true) }
func BenchmarkHeads16TriLower(b *testing.B) { benchHeads(b, LowerA, false) }
func BenchmarkHeads16TriUpper(b *testing.B) { benchHeads(b, UpperA, false) }

// TestScores16 checks the d_head-16 scores kernel behind MatMulTri's
// LowerC (q·kᵀ with transB, k = 16) against MatMul bit for bit on and
// below the diagonal, for every length from 1 to 130 (each remainder of
// the 4-row blocks and 16-column chunks) with padded strides, and that it
// writes nothing at or past column T.
func TestScores16(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(5, 6))
	for T := 1; T <= 130; T++ {
		ldq, ldk, lds := 16+9, 16+5, T+3
		q, k := randSlice(rng, T*ldq), randSlice(rng, T*ldk)
		s0 := randSlice(rng, T*lds)
		got, want := append([]float32(nil), s0...), append([]float32(nil), s0...)
		MatMulTri(LowerC, false, true, T, T, 16, q, ldq, k, ldk, got, lds, false)
		MatMul(false, true, T, T, 16, q, ldq, k, ldk, want, lds, false)
		for i := range T {
			for j := range lds {
				g := got[i*lds+j]
				switch {
				case j >= T && g != s0[i*lds+j]:
					t.Fatalf("T=%d: S[%d, %d] in the padding was written", T, i, j)
				case j <= i && g != want[i*lds+j]:
					t.Fatalf("T=%d: S[%d, %d] = %v, MatMul gives %v", T, i, j, g, want[i*lds+j])
				}
			}
		}
	}
}
