// Package vecmath holds the float32 elementwise kernels of the training hot
// path: a vectorised exp and the row operations built on it (softmax, one
// row or a whole causal [T, T] matrix, and their backward; linear
// attention's elu+1 feature map), LayerNorm rows, a vector add, and the
// MLP's bias + activation (relu, gelu_new, exact gelu) with its backward and
// bias gradient in one pass (BiasAct, ActBackward), which dominate a step
// once the matrix products are fast; and the step's small passes (rows.go:
// a scale, a three-operand add, a bias and a residual added in one pass,
// an embedding's gather and scatter-add; Log64, math.Log of float64s eight
// at a time for the cross-entropy's per-token losses).
//
// Every function works on row-major []float32 slices (Log64: []float64),
// writes only the elements it documents and returns the row statistics it
// computed.
//
// Dispatch: on amd64 with AVX-512F (checked at run time with
// golang.org/x/sys/cpu) the kernels are assembly, 16 lanes at a time with
// masked loads and stores for the last lanes. Everything else (other
// architectures, the build tag noasm, or a CPU without AVX-512) runs the
// plain loops in ref.go, which are also the references the tests compare the
// assembly against.
//
// The vector exp is Cephes's expf (S. L. Moshier, Cephes Math Library,
// expf.c): with n = round(x·log2 e) and r = x − n·ln 2 (|r| ≤ ln2/2, ln 2
// split in two parts so the reduction is exact enough),
//
//	exp(x) = 2ⁿ · (1 + r + r²·P(r)),  P a degree-5 minimax polynomial,
//
// evaluated with fused multiply-adds, the 2ⁿ applied with VSCALEFPS (which
// under- and overflows correctly). Inputs are clamped to [−104, 100]; the
// result is 0 below about −103.9, +Inf above 88.72, NaN for NaN. Its
// relative error is below 2 ulp (2.4e-7) over the whole range where exp(x)
// is a normal float32 (exp_test.go measures it against math.Exp).
//
// Results are deterministic: every sum is taken in a fixed lane order
// (16 lane partial sums, then a fixed tree), whatever the caller's thread.
// The assembly and the pure-Go paths of the exp-based kernels differ in
// the last bits; those of the row kernels in rows.go, Add, AddBias, SumRows
// and Log64 do the same operations per element in the same order, so they
// give the same bits (their tests compare bit for bit).
package vecmath
