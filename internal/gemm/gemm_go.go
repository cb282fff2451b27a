package gemm

import (
	"sync"
	"unsafe"
)

// goKC is the depth of a panel of op(B) in mulGo: [goKC, n] stays in cache
// while every row of A passes over it.
const goKC = 256

// goPool holds mulGo's transB scratch as *[]float64, reinterpreted as []F.
var goPool = sync.Pool{New: func() any { return new([]float64) }}

// mulGo is the pure-Go path: float64, architectures without the assembly
// kernel, and the noasm build tag. The caller has checked the arguments and
// that m, n > 0. Each C element is summed in the order of Ref.
func mulGo[F Float](transA, transB bool, m, n, k int, a []F, lda int, b []F, ldb int, c []F, ldc int, acc bool) {
	if !acc {
		for i := 0; i < m; i++ {
			clear(c[i*ldc : i*ldc+n])
		}
	}
	if k == 0 {
		return
	}
	sai, sap := lda, 1
	if transA {
		sai, sap = 1, lda
	}
	var scratch *[]float64
	var buf []F
	if transB {
		scratch = goPool.Get().(*[]float64)
		words := (min(k, goKC)*n*int(unsafe.Sizeof(F(0))) + 7) / 8
		if len(*scratch) < words {
			*scratch = make([]float64, words)
		}
		buf = unsafe.Slice((*F)(unsafe.Pointer(&(*scratch)[0])), min(k, goKC)*n)
	}
	// i-p-j order: each C[i, j] adds p = 0, 1, 2, ... in turn, panel by
	// panel; op(B) is read as rows, transposed into buf first for transB.
	for p0 := 0; p0 < k; p0 += goKC {
		p1 := min(k, p0+goKC)
		if transB {
			for j := 0; j < n; j++ {
				for q, v := range b[j*ldb+p0 : j*ldb+p1] {
					buf[q*n+j] = v
				}
			}
			mulGoPanel(m, n, p0, p1, a, sai, sap, buf, n, c, ldc)
		} else {
			mulGoPanel(m, n, p0, p1, a, sai, sap, b[p0*ldb:], ldb, c, ldc)
		}
	}
	if transB {
		goPool.Put(scratch)
	}
}

// mulGoPanel adds op(A)[:, p0:p1]·bp[0:p1-p0, :] to C, where bp holds rows
// p0..p1-1 of op(B) with leading dimension ldb. Row i of C takes four rows
// of B per pass over it. The conversions F(x*y) round the product, so the
// compiler never fuses it with the sum (Go fuses x*y+z on arm64 and on
// amd64 v3) and every C element is rounded the same way on every path.
func mulGoPanel[F Float](m, n, p0, p1 int, a []F, sai, sap int, bp []F, ldb int, c []F, ldc int) {
	kb := p1 - p0
	for i := 0; i < m; i++ {
		ci := c[i*ldc : i*ldc+n : i*ldc+n]
		ai := i*sai + p0*sap
		q := 0
		for ; q+4 <= kb; q += 4 {
			a0, a1 := a[ai+q*sap], a[ai+(q+1)*sap]
			a2, a3 := a[ai+(q+2)*sap], a[ai+(q+3)*sap]
			b0 := bp[q*ldb : q*ldb+n : q*ldb+n]
			b1 := bp[(q+1)*ldb : (q+1)*ldb+n : (q+1)*ldb+n]
			b2 := bp[(q+2)*ldb : (q+2)*ldb+n : (q+2)*ldb+n]
			b3 := bp[(q+3)*ldb : (q+3)*ldb+n : (q+3)*ldb+n]
			b0, b1, b2, b3 = b0[:len(ci)], b1[:len(ci)], b2[:len(ci)], b3[:len(ci)]
			for j, s := range ci {
				s += F(a0 * b0[j])
				s += F(a1 * b1[j])
				s += F(a2 * b2[j])
				s += F(a3 * b3[j])
				ci[j] = s
			}
		}
		for ; q < kb; q++ {
			a0 := a[ai+q*sap]
			b0 := bp[q*ldb : q*ldb+n : q*ldb+n]
			b0 = b0[:len(ci)]
			for j, s := range ci {
				ci[j] = s + F(a0*b0[j])
			}
		}
	}
}
