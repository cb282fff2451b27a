package gemm

// mulGo is the pure-Go path: float64, architectures without the assembly
// kernel, and the noasm build tag. The caller has checked the arguments and
// that m, n > 0. Each C element is summed in the order of Ref.
func mulGo[F Float](transA, transB bool, m, n, k int, a []F, lda int, b []F, ldb int, c []F, ldc int, acc bool) {
	if k == 0 {
		if !acc {
			for i := 0; i < m; i++ {
				clear(c[i*ldc : i*ldc+n])
			}
		}
		return
	}
	sai, sap := lda, 1
	if transA {
		sai, sap = 1, lda
	}
	if transB {
		mulGoNT(m, n, k, a, sai, sap, b, ldb, c, ldc, acc)
		return
	}
	// i-p-j order: row i of C is updated by four rows of B per pass, and
	// each C[i, j] still adds p = 0, 1, 2, ... in turn.
	for i := 0; i < m; i++ {
		ci := c[i*ldc : i*ldc+n : i*ldc+n]
		if !acc {
			clear(ci)
		}
		ai := i * sai
		p := 0
		for ; p+4 <= k; p += 4 {
			a0, a1 := a[ai+p*sap], a[ai+(p+1)*sap]
			a2, a3 := a[ai+(p+2)*sap], a[ai+(p+3)*sap]
			b0 := b[p*ldb : p*ldb+n : p*ldb+n]
			b1 := b[(p+1)*ldb : (p+1)*ldb+n : (p+1)*ldb+n]
			b2 := b[(p+2)*ldb : (p+2)*ldb+n : (p+2)*ldb+n]
			b3 := b[(p+3)*ldb : (p+3)*ldb+n : (p+3)*ldb+n]
			b0, b1, b2, b3 = b0[:len(ci)], b1[:len(ci)], b2[:len(ci)], b3[:len(ci)]
			for j, s := range ci {
				s += a0 * b0[j]
				s += a1 * b1[j]
				s += a2 * b2[j]
				s += a3 * b3[j]
				ci[j] = s
			}
		}
		for ; p < k; p++ {
			a0 := a[ai+p*sap]
			b0 := b[p*ldb : p*ldb+n : p*ldb+n]
			b0 = b0[:len(ci)]
			for j, s := range ci {
				ci[j] = s + a0*b0[j]
			}
		}
	}
}

// mulGoNT is mulGo for transB: C[i, j] is a dot product of A's row i with
// the contiguous row j of B; four of them run side by side.
func mulGoNT[F Float](m, n, k int, a []F, sai, sap int, b []F, ldb int, c []F, ldc int, acc bool) {
	for i := 0; i < m; i++ {
		ci := c[i*ldc : i*ldc+n : i*ldc+n]
		ai := i * sai
		j := 0
		for ; j+4 <= n; j += 4 {
			b0 := b[j*ldb : j*ldb+k : j*ldb+k]
			b1 := b[(j+1)*ldb : (j+1)*ldb+k : (j+1)*ldb+k]
			b2 := b[(j+2)*ldb : (j+2)*ldb+k : (j+2)*ldb+k]
			b3 := b[(j+3)*ldb : (j+3)*ldb+k : (j+3)*ldb+k]
			b1, b2, b3 = b1[:len(b0)], b2[:len(b0)], b3[:len(b0)]
			var s0, s1, s2, s3 F
			if acc {
				s0, s1, s2, s3 = ci[j], ci[j+1], ci[j+2], ci[j+3]
			}
			for p, bv := range b0 {
				ap := a[ai+p*sap]
				s0 += ap * bv
				s1 += ap * b1[p]
				s2 += ap * b2[p]
				s3 += ap * b3[p]
			}
			ci[j], ci[j+1], ci[j+2], ci[j+3] = s0, s1, s2, s3
		}
		for ; j < n; j++ {
			b0 := b[j*ldb : j*ldb+k : j*ldb+k]
			var s F
			if acc {
				s = ci[j]
			}
			for p, bv := range b0 {
				s += a[ai+p*sap] * bv
			}
			ci[j] = s
		}
	}
}
