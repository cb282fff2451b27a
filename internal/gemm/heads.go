package gemm

// MatMulHeads16 is MatMulTri's [T, T]·[T, 16] products of causal attention
// (pattern·v, dscores·k, patternᵀ·dz, dscoresᵀ·q) for H heads of d_head 16
// in one call: for every head h < H,
//
//	C_h = op(A_h)·B_h      op(A_h) = A_h (tri LowerA) or A_hᵀ (tri UpperA)
//
// with A_h = a[h*hs:] a [T, T] matrix (lda T) that is lower triangular (its
// entries above the diagonal are zeros), B_h = b[h*16:] [T, 16] (row stride
// ldb) and C_h = c[h*16:] [T, 16] (row stride ldc), set, not accumulated.
// It equals, bit for bit (but for the sign of a zero C element),
//
//	for h := range H {
//		MatMulTri(tri, tri == UpperA, false, T, 16, T, a[h*hs:], T, b[h*16:], ldb, c[h*16:], ldc, false)
//	}
//
// which is what it runs without the assembly kernels. With them it takes 2
// heads at a time, 8 rows of C × 2 heads in 16 accumulators (a pass keeps
// its rows of B and the A entries it broadcasts in L1), so the triangle is
// followed to within 4 rows and no row runs a lone FMA chain but the few
// left over from blocks of 8: every C element still adds p = 0, 1, … in
// order from 0, the skipped terms being the promised zeros of op(A).
func MatMulHeads16(tri Tri, H, T int, a []float32, hs int, b []float32, ldb int, c []float32, ldc int) {
	if tri != LowerA && tri != UpperA {
		panic("gemm: MatMulHeads16 takes LowerA or UpperA")
	}
	if H <= 0 || T <= 0 {
		return
	}
	if hs < T*T {
		panic("gemm: MatMulHeads16: head stride below T*T")
	}
	if len(a) < (H-1)*hs+T*T {
		panic("gemm: MatMulHeads16: a too short")
	}
	checkOne("b", T, 16*H, len(b), ldb)
	checkOne("c", T, 16*H, len(c), ldc)
	pr := probeStart()
	h0 := 0
	if haveAsm {
		for ; h0+2 <= H; h0 += 2 {
			heads16(tri == UpperA, T, a[h0*hs:], hs, b[h0*16:], ldb, c[h0*16:], ldc)
		}
	}
	for h := h0; h < H; h++ {
		MatMulTri(tri, tri == UpperA, false, T, 16, T, a[h*hs:], T, b[h*16:], ldb, c[h*16:], ldc, false)
	}
	kind := "heads LowerA"
	if tri == UpperA {
		kind = "heads UpperA"
	}
	pr.done(kind, ldb, ldc, 16*H*T*(T+1))
}
