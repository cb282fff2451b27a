// Package gemm multiplies row-major matrices for the training hot path.
//
// One call computes
//
//	C = op(A)·op(B)        (accumulate == false)
//	C = C + op(A)·op(B)    (accumulate == true)
//
// with op(A) of shape [m, k] and op(B) of shape [k, n]:
//
//	op(A)[i, p] = A[i*lda+p]   (!transA)     A[p*lda+i]   (transA)
//	op(B)[p, j] = B[p*ldb+j]   (!transB)     B[j*ldb+p]   (transB)
//	C[i, j]     = C[i*ldc+j]
//
// Leading dimensions may exceed the minimum, so a strided view such as one
// head's q inside a [T, 3*H*E] buffer is passed as the whole buffer with an
// offset and lda = 3*H*E. A and B are never written; C is written only
// inside its [m, n] window, never in the padding between rows.
//
// Determinism: every C element is summed in the same order, starting from 0
// (or from C when accumulating) and adding p = 0, 1, …, k-1 in turn, whatever
// the shape, the blocking, the element's position or GOMAXPROCS, so results
// are bit-identical run to run, and a row, a column window or a split of k
// computed by separate calls gives the same bits as the whole product. The
// float32 fast path fuses each multiply-add (one rounding); the pure-Go path
// rounds the product and then the sum, exactly as Ref does, so on that path
// MatMul and Ref agree bit for bit. The two paths differ in the last bits.
//
// Dispatch: []float32 (or any type with underlying float32) on amd64 with
// AVX-512F, checked at run time with golang.org/x/sys/cpu, runs assembly
// micro-kernels on unpacked row-major operands: 4 rows × 32 columns of C in
// 8 ZMM accumulators, with per p one broadcast of A per row (at
// a + i*sai + p*sap, so transA needs no copy) and two 16-wide loads of B;
// 8 rows × 16 columns for narrow column tails such as d_head = 16; masked
// loads and stores for the last columns; a 1-row kernel for the last rows.
// k is taken in passes of 64 (deeper for a narrow B read in place, up to a
// 48 KiB window, so attention's k = 65 is one pass) and, when B is wide,
// copied into column panels; transB transposes op(B) into the panels with
// in-register 16×16 transposes.
// The panels live in a sync.Pool, so steady-state calls do not allocate.
// Everything else (float64, other architectures, the build tag noasm) runs
// a blocked pure-Go loop in i-p-j order. Ref is the plain triple loop the
// tests compare against. Calls are single-threaded: callers parallelise
// coarsely (a goroutine hand-off costs ~100 µs here).
//
// MatMulTri is MatMul for causal attention's triangular products: it
// follows the triangle in 8-row blocks, skipping the products that are
// known zeros (LowerA, UpperA: same bits as MatMul) or unwanted (LowerC:
// only C[i, j] for j ≤ i), about half the work at T = 65. At d_head 16
// two kernels follow the triangle closer: LowerC scores (q·kᵀ, k = 16)
// go down each 16-column chunk of kᵀ (transposed in registers) from its
// diagonal row, 8 rows at a time, in one assembly call (the diagonal
// block's 8 rows with 256-bit FMAs: they need only the chunk's first 8
// columns), and
// MatMulHeads16 runs the [T, T]·[T, 16] products of 2 heads at once (8
// rows × 2 heads of C in 16 accumulators), both with every element's
// summation order unchanged.
//
// C must not overlap A or B.
//
// Shapes that do not fit their slices (negative sizes, a leading dimension
// below the row length, a slice too short for the window) are programming
// errors and panic with a message prefixed "gemm:", like an index out of
// range.
//
// Speed is reported against two measurements taken in the same run: Rate,
// the matmul rate of this package on square products, and PeakGFLOPS, one
// core's FMA peak (a register-only loop of independent 16-wide FMAs), the
// denominator of a benchmark's "fraction of peak". Built with the tag
// gemmprobe, the attention kernels also time each call and print their
// median rate inside whatever runs them (probe_on.go).
package gemm
