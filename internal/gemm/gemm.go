package gemm

import (
	"fmt"
	"unsafe"
)

// Float is the element type of MatMul and Ref.
type Float interface{ ~float32 | ~float64 }

// MatMul computes C = op(A)·op(B) (accumulate=false) or C += op(A)·op(B)
// (accumulate=true). op(A) is [m, k]: A[i*lda+p] when !transA, A[p*lda+i]
// when transA. op(B) is [k, n]: B[p*ldb+j] when !transB, B[j*ldb+p] when
// transB. C[i, j] is C[i*ldc+j]. See the package documentation for the
// summation order and the dispatch.
func MatMul[F Float](transA, transB bool, m, n, k int, a []F, lda int, b []F, ldb int, c []F, ldc int, accumulate bool) {
	check(transA, transB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc)
	if m == 0 || n == 0 {
		return
	}
	if haveAsm && unsafe.Sizeof(F(0)) == 4 {
		mulAsm(None, transA, transB, m, n, k, f32(a), lda, f32(b), ldb, f32(c), ldc, accumulate)
		return
	}
	mulGo(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, accumulate)
}

// Ref is MatMul as the plain triple loop: for each C[i, j], s starts at 0 (or
// C[i, j] when accumulating) and s += op(A)[i, p]·op(B)[p, j] for p = 0..k-1.
// It is the reference the tests compare MatMul against.
func Ref[F Float](transA, transB bool, m, n, k int, a []F, lda int, b []F, ldb int, c []F, ldc int, accumulate bool) {
	check(transA, transB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc)
	sai, sap := lda, 1
	if transA {
		sai, sap = 1, lda
	}
	sbp, sbj := ldb, 1
	if transB {
		sbp, sbj = 1, ldb
	}
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s F
			if accumulate {
				s = c[i*ldc+j]
			}
			for p := 0; p < k; p++ {
				s += F(a[i*sai+p*sap] * b[p*sbp+j*sbj]) // F(): no fused multiply-add
			}
			c[i*ldc+j] = s
		}
	}
}

// f32 reinterprets a slice whose element type has underlying type float32.
func f32[F Float](s []F) []float32 {
	return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}

// check panics unless the slices hold the windows the sizes describe.
func check(transA, transB bool, m, n, k, lenA, lda, lenB, ldb, lenC, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("gemm: negative size m=%d n=%d k=%d", m, n, k))
	}
	// A is stored as ra rows of ca elements, B as rb rows of cb.
	ra, ca := m, k
	if transA {
		ra, ca = k, m
	}
	rb, cb := k, n
	if transB {
		rb, cb = n, k
	}
	checkOne("a", ra, ca, lenA, lda)
	checkOne("b", rb, cb, lenB, ldb)
	checkOne("c", m, n, lenC, ldc)
}

func checkOne(name string, rows, cols, length, ld int) {
	if ld < max(1, cols) {
		panic(fmt.Sprintf("gemm: ld%s=%d, want >= %d", name, ld, max(1, cols)))
	}
	if rows > 0 && cols > 0 && length < (rows-1)*ld+cols {
		panic(fmt.Sprintf("gemm: len(%s)=%d, want >= %d for %d rows of %d with ld %d",
			name, length, (rows-1)*ld+cols, rows, cols, ld))
	}
}
