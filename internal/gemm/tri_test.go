package gemm

import (
	"math/rand/v2"
	"testing"
)

// TestMatMulTri checks MatMulTri against MatMul, every transpose and
// accumulate combination, on causal shapes (T positions, E columns) with
// padded leading dimensions: LowerC must match on j ≤ i, LowerA and UpperA
// everywhere (op(A) built with the promised zeros), and nothing outside the
// C window may be written. T = 65, 130 cross the 64-deep passes and the
// 8-row blocks unevenly.
func TestMatMulTri(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 1))
	const pad = 3
	for _, T := range []int{1, 5, 8, 9, 17, 65, 130} {
		for _, E := range []int{1, 3, 16, 40} {
			for _, tri := range []Tri{LowerC, LowerA, UpperA} {
				for _, tr := range [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
					for _, acc := range []bool{false, true} {
						m, n, k := T, E, T
						if tri == LowerC {
							m, n, k = T, T, E
						}
						transA, transB := tr[0], tr[1]
						lda, ldb, ldc := k+pad, n+pad, n+pad
						if transA {
							lda = m + pad
						}
						if transB {
							ldb = k + pad
						}
						a := randSlice(rng, max(m, k)*lda)
						b := randSlice(rng, max(n, k)*ldb)
						// op(A)[i, p] at a[i*sai+p*sap].
						sai, sap := lda, 1
						if transA {
							sai, sap = 1, lda
						}
						for i := range m {
							for p := range k {
								if tri == LowerA && p > i || tri == UpperA && p < i {
									a[i*sai+p*sap] = 0
								}
							}
						}
						c0 := randSlice(rng, m*ldc)
						want, got := append([]float32(nil), c0...), append([]float32(nil), c0...)
						MatMul(transA, transB, m, n, k, a, lda, b, ldb, want, ldc, acc)
						MatMulTri(tri, transA, transB, m, n, k, a, lda, b, ldb, got, ldc, acc)
						for i := range m {
							for j := range ldc {
								x, w := got[i*ldc+j], want[i*ldc+j]
								if j >= n {
									w = c0[i*ldc+j] // padding: untouched
								} else if tri == LowerC && j > i {
									continue
								}
								if x != w {
									t.Fatalf("T=%d E=%d tri=%d trans=%v acc=%v: C[%d,%d] = %g, want %g",
										T, E, tri, tr, acc, i, j, x, w)
								}
							}
						}
					}
				}
			}
		}
	}
}

// BenchmarkMatMulTriScores65 is BenchmarkMatMulScores65 on the lower
// triangle (GFLOP/s counted on the full product, as a speedup).
func BenchmarkMatMulTriScores65(b *testing.B) {
	benchMul(b, func(ta, tb bool, m, n, k int, a []float32, lda int, bb []float32, ldb int, c []float32, ldc int, acc bool) {
		MatMulTri(LowerC, ta, tb, m, n, k, a, lda, bb, ldb, c, ldc, acc)
	}, false, true, 65, 65, 16, 192)
}

// BenchmarkMatMulTriDQ65 is dq += dscores·k with dscores lower triangular.
func BenchmarkMatMulTriDQ65(b *testing.B) {
	benchMul(b, func(ta, tb bool, m, n, k int, a []float32, lda int, bb []float32, ldb int, c []float32, ldc int, acc bool) {
		MatMulTri(LowerA, ta, tb, m, n, k, a, lda, bb, ldb, c, ldc, acc)
	}, false, false, 65, 16, 65, 0)
}

// BenchmarkMatMulTriDK65 is dk += dscoresᵀ·q.
func BenchmarkMatMulTriDK65(b *testing.B) {
	benchMul(b, func(ta, tb bool, m, n, k int, a []float32, lda int, bb []float32, ldb int, c []float32, ldc int, acc bool) {
		MatMulTri(UpperA, ta, tb, m, n, k, a, lda, bb, ldb, c, ldc, acc)
	}, true, false, 65, 16, 65, 0)
}
