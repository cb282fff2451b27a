//go:build !amd64 || noasm

package gemm

// haveAsm is false: float32 takes the pure-Go path too.
const haveAsm = false

// asmBuilt says this build carries the assembly kernels: it does not.
const asmBuilt = false

func mulAsm(tri Tri, transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool) {
	panic("gemm: no assembly kernel in this build")
}

func fmaLoop(n int) { panic("gemm: no assembly kernel in this build") }

func heads16(upper bool, t int, a []float32, hs int, b []float32, ldb int, c []float32, ldc int) {
	panic("gemm: no assembly kernel in this build")
}

func transpose(dst, b []float32, ldb, kb, w int) { panic("gemm: no assembly kernel in this build") }
