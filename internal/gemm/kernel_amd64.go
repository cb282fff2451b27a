//go:build amd64 && !noasm

package gemm

import (
	"sync"
	"unsafe"

	"golang.org/x/sys/cpu"
)

// haveAsm selects the AVX-512 kernels for float32 (x/sys/cpu also checks
// that the OS saves the ZMM state).
var haveAsm = cpu.X86.HasAVX512F

// kern4 computes 4 rows of C over n columns:
//
//	C[r*ldc+j] (+)= Σ_p a[r*sai+p*sap] · b[p*ldb+j]   r < 4, j < n, p < k
//
// with mask = 1<<(n%32) - 1 selecting the tail columns. k must be > 0.
//
//go:noescape
func kern4(a, b, c *float32, k, n, sai, sap, ldb, ldc int, mask uint32, acc bool)

// kern1 is kern4 for one row.
//
//go:noescape
func kern1(a, b, c *float32, k, n, sap, ldb int, mask uint32, acc bool)

// packT writes dst[p*n+j] = b[j*ldb+p] for p < k, j < n, with
// mask = 1<<(n%16) - 1. k must be > 0 and 16*ldb < 1<<31.
//
//go:noescape
func packT(dst, b *float32, ldb, k, n int, mask uint32)

const (
	// kc is the depth of one pass over C. Splitting k keeps each element's
	// summation order: a later pass starts its accumulators from C.
	kc = 128
	// panelFloats bounds a packed [kb, nc] panel of B so that it stays in
	// L1 (48 KiB here) while every 4-row block of A streams past it.
	panelFloats = 12288
)

// packPool holds the packed-B scratch: *[]float32 of at least kc*n.
var packPool = sync.Pool{New: func() any { return new([]float32) }}

// mulAsm is the float32 fast path; the caller has checked the arguments and
// that m, n > 0.
func mulAsm(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool) {
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
	mask := uint32(1)<<(n%32) - 1
	// B is read in place when it is not transposed and its [kb, n] window
	// fits in L1 or is used by one row block only; otherwise it is copied
	// (or transposed) into L1-sized column panels.
	if !transB && (m <= 4 || min(k, kc)*n <= panelFloats) {
		for p0 := 0; p0 < k; p0 += kc {
			kb := min(kc, k-p0)
			rows(m, kb, &a[p0*sap], sai, sap, &b[p0*ldb], ldb, c, ldc, n, mask, acc || p0 > 0)
		}
		return
	}
	if transB && 16*ldb >= 1<<31 {
		// The gather in packT takes 32-bit offsets.
		mulGo(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, acc)
		return
	}
	scratch := packPool.Get().(*[]float32)
	if need := min(k, kc) * n; len(*scratch) < need {
		*scratch = make([]float32, need)
	}
	buf := *scratch
	for p0 := 0; p0 < k; p0 += kc {
		kb := min(kc, k-p0)
		nc := max(32, panelFloats/kb&^31)
		// The panel of columns j0..j0+w-1 is [kb, w] at buf[j0*kb:].
		for j0 := 0; j0 < n; j0 += nc {
			w := min(nc, n-j0)
			dst := buf[j0*kb : (j0+w)*kb]
			if transB {
				packT(&dst[0], &b[j0*ldb+p0], ldb, kb, w, uint32(1)<<(w%16)-1)
				continue
			}
			for p := range kb {
				copy(dst[p*w:(p+1)*w], b[(p0+p)*ldb+j0:])
			}
		}
		for j0 := 0; j0 < n; j0 += nc {
			w := min(nc, n-j0)
			rows(m, kb, &a[p0*sap], sai, sap, &buf[j0*kb], w, c[j0:], ldc, w, mask, acc || p0 > 0)
		}
	}
	packPool.Put(scratch)
}

// rows runs the kernels down all m rows for one [kb, n] block of op(B) at b
// with leading dimension ldb; a is op(A)[0, p0].
func rows(m, kb int, a *float32, sai, sap int, b *float32, ldb int, c []float32, ldc, n int, mask uint32, acc bool) {
	ap := unsafe.Pointer(a)
	i := 0
	for ; i+4 <= m; i += 4 {
		kern4((*float32)(unsafe.Add(ap, 4*i*sai)), b, &c[i*ldc], kb, n, sai, sap, ldb, ldc, mask, acc)
	}
	for ; i < m; i++ {
		kern1((*float32)(unsafe.Add(ap, 4*i*sai)), b, &c[i*ldc], kb, n, sap, ldb, mask, acc)
	}
}
