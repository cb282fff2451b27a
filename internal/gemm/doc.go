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
// the shape, the blocking, the element's position or GOMAXPROCS. Results are
// bit-identical run to run on the same machine and code path. The float32
// fast path fuses each multiply-add (FMA), the pure-Go path does not, so the
// two paths differ in the last bits.
//
// Dispatch: []float32 on amd64 with AVX-512F (checked at run time with
// golang.org/x/sys/cpu) runs a register-blocked assembly micro-kernel: 4 rows
// × 32 columns of C held in 8 ZMM accumulators, one broadcast of A and two
// 16-wide loads of B per p, masked loads and stores for the column tail.
// transB packs op(B) into a pooled contiguous scratch first. Everything else
// (float64, other architectures, the build tag noasm) runs a blocked pure-Go
// loop in i-p-j order. Ref is the plain triple loop the tests compare
// against. Calls are single-threaded; callers parallelise coarsely.
//
// Shapes that do not fit their slices (negative sizes, a leading dimension
// below the row length, a slice too short for the window) are programming
// errors and panic with a message prefixed "gemm:", like an index out of
// range.
package gemm
