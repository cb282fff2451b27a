package gemm

import "unsafe"

// Tri tells MatMulTri which triangle of a causal (attention) product
// matters, so that it can skip the rest.
type Tri int

const (
	// None is the whole product, as MatMul.
	None Tri = iota
	// LowerC: only C[i, j] for j ≤ i is wanted (scores = q·kᵀ). C[i, j]
	// for j > i is left unspecified: MatMulTri may write it or not.
	LowerC
	// LowerA: op(A)[i, p] = 0 for p > i (pattern·v, dscores·k); C is the
	// whole product, each element summed over p ≤ i only.
	LowerA
	// UpperA: op(A)[i, p] = 0 for p < i (patternᵀ·dz, dscoresᵀ·q); C is
	// the whole product, each element summed over p ≥ i only.
	UpperA
)

// MatMulTri is MatMul for the triangular products of causal attention
// (square T×T operands), skipping the blocks that tri says are zero or
// unwanted, to within 8 rows. With LowerA and UpperA the result has the
// same bits as MatMul's (the skipped products are exact zeros, up to the
// sign of a zero C), provided op(A) really has the zeros tri promises; with
// LowerC the wanted triangle has the same bits as MatMul's. Paths without
// the assembly kernels compute the whole product.
func MatMulTri[F Float](tri Tri, transA, transB bool, m, n, k int, a []F, lda int, b []F, ldb int, c []F, ldc int, accumulate bool) {
	check(transA, transB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc)
	if m == 0 || n == 0 {
		return
	}
	if haveAsm && unsafe.Sizeof(F(0)) == 4 {
		mulAsm(tri, transA, transB, m, n, k, f32(a), lda, f32(b), ldb, f32(c), ldc, accumulate)
		return
	}
	mulGo(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, accumulate)
}
