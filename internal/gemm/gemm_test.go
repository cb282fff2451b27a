package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// shape is one test product; the pads widen lda, ldb and ldc past their
// minimum so that strided views and the C padding are exercised.
type shape struct {
	m, n, k          int
	padA, padB, padC int
}

var shapes = []shape{
	{1, 1, 1, 0, 0, 0},
	{1, 1, 1, 3, 2, 5},
	{3, 5, 7, 0, 0, 0},
	{3, 5, 7, 1, 2, 3},
	{4, 32, 16, 0, 0, 0},
	{4, 16, 16, 0, 0, 0},
	{4, 48, 3, 0, 0, 0},
	{5, 33, 17, 0, 0, 0},
	{5, 33, 17, 7, 9, 11},
	{2, 100, 5, 0, 3, 0},
	{7, 64, 9, 0, 0, 1},
	{1, 97, 13, 0, 0, 0},
	{65, 65, 16, 176, 176, 0}, // attention scores: q, k inside [T, 3*H*E]
	{65, 16, 65, 0, 176, 176}, // pattern·v, v inside [T, 3*H*E]
	{13, 31, 300, 2, 0, 0},    // k spans several kc panels
	{9, 300, 70, 1, 2, 3},     // B copied into two column panels
	{12, 8, 3, 0, 0, 0},       // 8-row narrow-tail kernel
	{16, 16, 16, 0, 5, 0},     // one 16×16 transpose block
	{64, 192, 2080, 0, 0, 0},  // weight gradient depth
	{2080, 192, 64, 0, 0, 0},  // the transformer shape T
	{0, 3, 4, 0, 0, 0},
	{3, 0, 4, 0, 0, 0},
	{3, 4, 0, 0, 0, 0},
}

// operands returns A, B and C for the shape with the given transposes, the
// leading dimensions, and the stored dimensions [rows, cols] of each.
type operands struct {
	a, b, c       []float64
	lda, ldb, ldc int
}

func newOperands(rng *rand.Rand, s shape, transA, transB bool) operands {
	ra, ca := s.m, s.k
	if transA {
		ra, ca = s.k, s.m
	}
	rb, cb := s.k, s.n
	if transB {
		rb, cb = s.n, s.k
	}
	var o operands
	o.lda, o.ldb, o.ldc = max(1, ca)+s.padA, max(1, cb)+s.padB, max(1, s.n)+s.padC
	fill := func(rows, ld int) []float64 {
		x := make([]float64, rows*ld)
		for i := range x {
			x[i] = float64(float32(rng.NormFloat64()))
		}
		return x
	}
	o.a, o.b, o.c = fill(ra, o.lda), fill(rb, o.ldb), fill(s.m, o.ldc)
	return o
}

func to32(x []float64) []float32 {
	y := make([]float32, len(x))
	for i, v := range x {
		y[i] = float32(v)
	}
	return y
}

func abs(x []float64) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = math.Abs(v)
	}
	return y
}

type mulFunc32 func(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool)

// paths32 are the float32 code paths the tests cover in one build.
var paths32 = []struct {
	name string
	mul  mulFunc32
	asm  bool
}{
	{"MatMul", MatMul[float32], haveAsm},
	{"Go", func(tA, tB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool) {
		check(tA, tB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc)
		if m > 0 && n > 0 {
			mulGo(tA, tB, m, n, k, a, lda, b, ldb, c, ldc, acc)
		}
	}, false},
}

// TestMatMulFloat32 compares the float32 paths with Ref in float64. An
// element is a sum of k products plus C: each rounding costs at most eps32
// of the running magnitude, so the error is within (k+1)·eps32 times
// |C| + Σ|a||b| (the standard dot-product bound, with a factor 2 of slack).
func TestMatMulFloat32(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 1))
	const eps32 = 0x1p-23
	for _, s := range shapes {
		for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
			o := newOperands(rng, s, tr[0], tr[1])
			a32, b32, c0 := to32(o.a), to32(o.b), to32(o.c)
			for _, acc := range []bool{false, true} {
				want := slices.Clone(o.c)
				Ref(tr[0], tr[1], s.m, s.n, s.k, o.a, o.lda, o.b, o.ldb, want, o.ldc, acc)
				bound := abs(o.c)
				if !acc {
					clear(bound)
				}
				Ref(tr[0], tr[1], s.m, s.n, s.k, abs(o.a), o.lda, abs(o.b), o.ldb, bound, o.ldc, true)
				for _, path := range paths32 {
					name := fmt.Sprintf("%s/%dx%dx%d/pad%d,%d,%d/tA=%v,tB=%v/acc=%v",
						path.name, s.m, s.n, s.k, s.padA, s.padB, s.padC, tr[0], tr[1], acc)
					a, b, c := slices.Clone(a32), slices.Clone(b32), slices.Clone(c0)
					path.mul(tr[0], tr[1], s.m, s.n, s.k, a, o.lda, b, o.ldb, c, o.ldc, acc)
					if !path.asm {
						// Same operations in the same order as Ref in float32.
						ref32 := slices.Clone(c0)
						Ref(tr[0], tr[1], s.m, s.n, s.k, a32, o.lda, b32, o.ldb, ref32, o.ldc, acc)
						if !bitsEqual(c, ref32) {
							t.Fatalf("%s: differs from Ref[float32]", name)
						}
					}
					if !slices.Equal(a, a32) || !slices.Equal(b, b32) {
						t.Fatalf("%s: inputs modified", name)
					}
					for idx := range c {
						i, j := idx/o.ldc, idx%o.ldc
						if j >= s.n || i >= s.m {
							if math.Float32bits(c[idx]) != math.Float32bits(c0[idx]) {
								t.Fatalf("%s: C[%d] in the padding changed: %v -> %v", name, idx, c0[idx], c[idx])
							}
							continue
						}
						tol := 2 * float64(s.k+1) * eps32 * bound[idx]
						if d := math.Abs(float64(c[idx]) - want[idx]); d > tol || math.IsNaN(d) {
							t.Fatalf("%s: C[%d,%d] = %v, want %v ± %g", name, i, j, c[idx], want[idx], tol)
						}
					}
				}
			}
		}
	}
}

// TestMatMulFloat64 checks the float64 path against Ref. Both add the
// rounded products to each element in the same order, so they agree bit for
// bit.
func TestMatMulFloat64(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 1))
	for _, s := range shapes {
		for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
			o := newOperands(rng, s, tr[0], tr[1])
			for _, acc := range []bool{false, true} {
				name := fmt.Sprintf("%dx%dx%d/tA=%v,tB=%v/acc=%v", s.m, s.n, s.k, tr[0], tr[1], acc)
				want := slices.Clone(o.c)
				Ref(tr[0], tr[1], s.m, s.n, s.k, o.a, o.lda, o.b, o.ldb, want, o.ldc, acc)
				a, b, c := slices.Clone(o.a), slices.Clone(o.b), slices.Clone(o.c)
				MatMul(tr[0], tr[1], s.m, s.n, s.k, a, o.lda, b, o.ldb, c, o.ldc, acc)
				if !slices.Equal(a, o.a) || !slices.Equal(b, o.b) {
					t.Fatalf("%s: inputs modified", name)
				}
				for idx := range c {
					if math.Float64bits(c[idx]) != math.Float64bits(want[idx]) {
						t.Fatalf("%s: C[%d] = %v, want %v exactly", name, idx, c[idx], want[idx])
					}
				}
			}
		}
	}
}

func TestPeakGFLOPS(t *testing.T) {
	p := PeakGFLOPS(20 * time.Millisecond)
	if !haveAsm {
		if p != 0 {
			t.Fatalf("PeakGFLOPS without the kernels = %v, want 0", p)
		}
		return
	}
	// Any AVX-512 core does at least one 16-wide FMA per ns (32 GFLOP/s at
	// 1 GHz) and at most two per cycle at 6 GHz (384).
	if p < 5 || p > 400 {
		t.Fatalf("PeakGFLOPS = %v, want a plausible AVX-512 peak", p)
	}
}
