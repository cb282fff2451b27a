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

// asmBuilt says this build carries the assembly kernels (amd64, no noasm tag).
const asmBuilt = true

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

// kern8 is kern4 for 8 rows and at most 16 columns, mask = 1<<n - 1.
//
//go:noescape
func kern8(a, b, c *float32, k, sai, sap, ldb, ldc int, mask uint32, acc bool)

// packT writes dst[p*ldd+j] = b[j*ldb+p] for p < k, j < n with gathers,
// mask = 1<<(n%16) - 1. k must be > 0 and 16*ldb < 1<<31.
//
//go:noescape
func packT(dst, b *float32, ldb, ldd, k, n int, mask uint32)

// tr16 writes dst[p*ldd+j] = b[j*ldb+p] for j < 16, p < 16*nblk with
// in-register 16×16 transposes. nblk must be > 0.
//
//go:noescape
func tr16(dst, b *float32, ldb, ldd, nblk int)

// Blocking, tuned on the benchmark shapes (kc 64–512, panels 32–64 KiB
// tried): a pass over C takes kc rows of op(B); a packed panel of it holds
// at most panelFloats (48 KiB, L1 here), which each 4-row block of A then
// sweeps one 32-column slice (8 KiB) at a time. Splitting k keeps every
// element's summation order: a later pass starts its accumulators from C.
const (
	kc          = 64
	panelFloats = 12288
)

// packPool holds the packed-B scratch: *[]float32 of at least kc*n.
var packPool = sync.Pool{New: func() any { return new([]float32) }}

// mulAsm is the float32 fast path; the caller has checked the arguments and
// that m, n > 0.
func mulAsm(tri Tri, transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool) {
	if tri == LowerC && !transA && transB && k == 16 && m == n && !acc {
		// Attention scores at d_head 16 (q·kᵀ, dz·vᵀ): one kernel call.
		scoresTri(m, a, lda, b, ldb, c, ldc)
		return
	}
	if tri == UpperA && !acc {
		// Row blocks may skip every pass: start them all from C = 0.
		for i := 0; i < m; i++ {
			clear(c[i*ldc : i*ldc+n])
		}
		acc = true
	}
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
	// B is read in place when it is not transposed and its [kb, n] window
	// fits in one panel or is used by one row block only; otherwise it is
	// copied (or transposed) into column panels.
	if !transB && (m <= 4 || min(k, kc)*n <= panelFloats) {
		// A narrow B takes passes deeper than kc, as many rows as fit in
		// a panel: k = 65 (attention, n = 16) is then one pass, not 64 + 1.
		depth := kc
		if m > 4 {
			depth = max(kc, panelFloats/n)
		}
		for p0 := 0; p0 < k; p0 += depth {
			kb := min(depth, k-p0)
			rowsTri(tri, m, kb, p0, 0, &a[p0*sap], sai, sap, &b[p0*ldb], ldb, c, ldc, n, acc || p0 > 0)
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
				transpose(dst, b[j0*ldb+p0:], ldb, kb, w)
				continue
			}
			for p := range kb {
				copy(dst[p*w:(p+1)*w], b[(p0+p)*ldb+j0:])
			}
		}
		for j0 := 0; j0 < n; j0 += nc {
			w := min(nc, n-j0)
			if tri == LowerC && j0 >= m {
				break
			}
			rowsTri(tri, m, kb, p0, j0, &a[p0*sap], sai, sap, &buf[j0*kb], w, c[j0:], ldc, w, acc || p0 > 0)
		}
	}
	packPool.Put(scratch)
}

// transpose writes dst[p*w+j] = b[j*ldb+p] for p < kb, j < w: whole
// 16×16 blocks in registers, the rest (p or j beyond a multiple of 16)
// with gathers or, for up to 4 columns, scalar copies.
func transpose(dst, b []float32, ldb, kb, w int) {
	k16, w16 := kb&^15, w&^15
	if k16 > 0 {
		for j := 0; j < w16; j += 16 {
			tr16(&dst[j], &b[j*ldb], ldb, w, k16/16)
		}
	}
	if kb > k16 && w16 > 0 {
		packT(&dst[k16*w], &b[k16], ldb, w, kb-k16, w16, 0)
	}
	switch {
	case w-w16 > 4:
		packT(&dst[w16], &b[w16*ldb], ldb, w, kb, w-w16, uint32(1)<<(w-w16)-1)
	case w > w16:
		// A gather costs about as much as 4 scalar copies of each of kb rows.
		for j := w16; j < w; j++ {
			for p, v := range b[j*ldb : j*ldb+kb] {
				dst[p*w+j] = v
			}
		}
	}
}

// rows runs the kernels down all m rows for one [kb, n] block of op(B) at b
// with leading dimension ldb; a is op(A)[0, p0]. A column tail of 16 or
// fewer goes to kern8, 8 rows at a time, so that it keeps 8 FMA chains.
func rows(m, kb int, a *float32, sai, sap int, b *float32, ldb int, c []float32, ldc, n int, acc bool) {
	tail := n % 32
	if tail > 16 || m < 8 {
		tail = 0
	}
	nm := n - tail
	i0 := 0
	if tail > 0 {
		bt := (*float32)(unsafe.Add(unsafe.Pointer(b), 4*nm))
		mask := uint32(1)<<tail - 1
		for ; i0+8 <= m; i0 += 8 {
			kern8(addRows(a, i0*sai), bt, &c[i0*ldc+nm], kb, sai, sap, ldb, ldc, mask, acc)
		}
		// The rows left over take the tail with the main columns.
		nm = n
	}
	if nm > 0 {
		rows4(m, i0, kb, a, sai, sap, b, ldb, c, ldc, nm, acc)
	}
	if i0 > 0 && n-tail > 0 {
		rows4(i0, 0, kb, a, sai, sap, b, ldb, c, ldc, n-tail, acc)
	}
}

// rows4 runs kern4 and kern1 over rows i0..m-1 and columns 0..n-1.
func rows4(m, i0, kb int, a *float32, sai, sap int, b *float32, ldb int, c []float32, ldc, n int, acc bool) {
	mask := uint32(1)<<(n%32) - 1
	i := i0
	for ; i+4 <= m; i += 4 {
		kern4(addRows(a, i*sai), b, &c[i*ldc], kb, n, sai, sap, ldb, ldc, mask, acc)
	}
	for ; i < m; i++ {
		kern1(addRows(a, i*sai), b, &c[i*ldc], kb, n, sap, ldb, mask, acc)
	}
}

// addRows returns a + off elements.
func addRows(a *float32, off int) *float32 {
	return (*float32)(unsafe.Add(unsafe.Pointer(a), 4*off))
}

// triRows is the row block of MatMulTri: the triangle is followed to within
// this many rows.
const triRows = 8

// rowsTri is rows for the pass over p0..p0+kb-1 of a MatMulTri product (a
// and b point at that pass) and the columns j0..j0+n-1 (c points at column
// j0): whole when tri is None, else in 8-row blocks, each limited to the
// columns (LowerC) or the p (LowerA, UpperA) its rows need. Skipped p are
// zeros of op(A), so each C element keeps its summation order.
func rowsTri(tri Tri, m, kb, p0, j0 int, a *float32, sai, sap int, b *float32, ldb int, c []float32, ldc, n int, acc bool) {
	if tri == None {
		rows(m, kb, a, sai, sap, b, ldb, c, ldc, n, acc)
		return
	}
	for i0 := 0; i0 < m; i0 += triRows {
		r := min(triRows, m-i0)
		ai, ci := addRows(a, i0*sai), c[i0*ldc:]
		switch tri {
		case LowerC: // columns j ≤ i0+r-1
			if w := min(n, i0+r-j0); w > 0 {
				rows(r, kb, ai, sai, sap, b, ldb, ci, ldc, w, acc)
			}
		case LowerA: // p ≤ i0+r-1
			if kr := min(kb, i0+r-p0); kr > 0 {
				rows(r, kr, ai, sai, sap, b, ldb, ci, ldc, n, acc)
			} else if !acc {
				for i := range r {
					clear(ci[i*ldc : i*ldc+n])
				}
			}
		case UpperA: // p ≥ i0 (acc is true, see mulAsm)
			if s := max(0, i0-p0); s < kb {
				rows(r, kb-s, addRows(ai, s*sap), sai, sap, (*float32)(unsafe.Add(unsafe.Pointer(b), 4*s*ldb)), ldb, ci, ldc, n, acc)
			}
		}
	}
}

// fmaLoop runs n iterations of 12 independent 16-wide FMAs (PeakGFLOPS).
//
//go:noescape
func fmaLoop(n int)

// heads2x8u computes 2 heads' [t, 16] UpperA products of MatMulHeads16:
// C row i, head h (c + i*ldc + 16h) = Σ_{p ≥ i} A_h[p, i]·B[p*ldb + 16h ..]
// with A_h at a + h*hs (row p at a + h*hs + p*t), 8 rows at a time. t must
// be > 0.
//
//go:noescape
func heads2x8u(a, b, c *float32, t, hs, ldb, ldc int)

// heads2x8l computes 2 heads' [t, 16] LowerA products of MatMulHeads16:
// C row i, head h (c + i*ldc + 16h) = Σ_{p ≤ i} A_h[i, p]·B[p*ldb + 16h ..]
// with A_h at a + h*hs (row i at a + h*hs + i*t), 8 rows at a time. t must
// be > 0.
//
//go:noescape
func heads2x8l(a, b, c *float32, t, hs, ldb, ldc int)

// heads16 runs 2 heads whose windows MatMulHeads16 checked: heads2x8l
// (LowerA) or heads2x8u (UpperA).
func heads16(upper bool, t int, a []float32, hs int, b []float32, ldb int, c []float32, ldc int) {
	if upper {
		heads2x8u(&a[0], &b[0], &c[0], t, hs, ldb, ldc)
		return
	}
	heads2x8l(&a[0], &b[0], &c[0], t, hs, ldb, ldc)
}

// scores16 computes S[i*lds+j] = Σ_e q[i*ldq+e]·k[j*ldk+e] (e < 16, in
// order from 0) for j ≤ i < t, a 16-column chunk of kᵀ at a time,
// transposed in registers; it writes some j > i too, but no column j ≥ t.
// t must be > 0.
//
//go:noescape
func scores16(q, k, s *float32, ldq, ldk, lds, t int)

// scoresTri is MatMulTri(LowerC, false, true, t, t, 16, ...) with acc
// false, t > 0: S = q·kᵀ on and below the diagonal, by scores16.
func scoresTri(t int, q []float32, ldq int, k []float32, ldk int, s []float32, lds int) {
	pr := probeStart()
	scores16(&q[0], &k[0], &s[0], ldq, ldk, lds, t)
	pr.done("scores LowerC", ldq, ldk, 16*t*(t+1))
}
