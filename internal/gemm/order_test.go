package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func randSlice(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	return x
}

func bitsEqual(x, y []float32) bool {
	return slices.EqualFunc(x, y, func(u, v float32) bool { return math.Float32bits(u) == math.Float32bits(v) })
}

// TestMatMulOrder checks the determinism promise on every float32 path:
// an element's value does not depend on which kernel block, column tail or
// k panel computed it. Sub-products (one row, a column window, k split in
// two accumulating calls) must match the full product bit for bit.
func TestMatMulOrder(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 1))
	const m, n, k = 11, 77, 600
	for _, path := range paths32 {
		for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
			tA, tB := tr[0], tr[1]
			name := fmt.Sprintf("%s/tA=%v,tB=%v", path.name, tA, tB)
			lda, ldb := k, n
			if tA {
				lda = m
			}
			if tB {
				ldb = k
			}
			a, b := randSlice(rng, m*k), randSlice(rng, k*n)
			full := make([]float32, m*n)
			path.mul(tA, tB, m, n, k, a, lda, b, ldb, full, n, false)
			again := make([]float32, m*n)
			path.mul(tA, tB, m, n, k, a, lda, b, ldb, again, n, false)
			if !bitsEqual(full, again) {
				t.Fatalf("%s: two runs differ", name)
			}
			// Each row alone (1-row kernel instead of the 4-row one).
			for i := range m {
				row := make([]float32, n)
				ai := a[i*lda:]
				if tA {
					ai = a[i:]
				}
				path.mul(tA, tB, 1, n, k, ai, lda, b, ldb, row, n, false)
				if !bitsEqual(row, full[i*n:(i+1)*n]) {
					t.Fatalf("%s: row %d alone differs", name, i)
				}
			}
			// Columns 5..5+37 alone (a different column tail).
			const j0, nw = 5, 37
			win := make([]float32, m*nw)
			bj := b[j0:]
			if tB {
				bj = b[j0*ldb:]
			}
			path.mul(tA, tB, m, nw, k, a, lda, bj, ldb, win, nw, false)
			for i := range m {
				if !bitsEqual(win[i*nw:(i+1)*nw], full[i*n+j0:i*n+j0+nw]) {
					t.Fatalf("%s: column window differs in row %d", name, i)
				}
			}
			// k split as p < 301, then accumulate p >= 301.
			const k1 = 301
			split := make([]float32, m*n)
			a2, b2 := a[k1:], b[k1:]
			if tA {
				a2 = a[k1*lda:]
			}
			if !tB {
				b2 = b[k1*ldb:]
			}
			path.mul(tA, tB, m, n, k1, a, lda, b, ldb, split, n, false)
			path.mul(tA, tB, m, n, k-k1, a2, lda, b2, ldb, split, n, true)
			if !bitsEqual(split, full) {
				t.Fatalf("%s: k split in two calls differs", name)
			}
		}
	}
}

// TestMatMulAllocs checks that steady-state calls, transB included, do not
// allocate.
func TestMatMulAllocs(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	// Attention scores sizes; ld = 65 fits every transpose.
	const m, n, k, ld = 65, 65, 16, 65
	a, b, c := randSlice(rng, ld*ld), randSlice(rng, ld*ld), make([]float32, m*n)
	for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
		allocs := testing.AllocsPerRun(100, func() {
			MatMul(tr[0], tr[1], m, n, k, a, ld, b, ld, c, n, false)
		})
		if allocs != 0 {
			t.Errorf("tA=%v, tB=%v: %v allocations per call, want 0", tr[0], tr[1], allocs)
		}
	}
}

// TestMatMulNamedType runs the fast path on a named float32 type.
func TestMatMulNamedType(t *testing.T) {
	t.Parallel()
	type weight float32
	a := []weight{1, 2, 3, 4, 5, 6}    // [2, 3]
	b := []weight{7, 8, 9, 10, 11, 12} // [3, 2]
	c := make([]weight, 4)
	MatMul(false, false, 2, 2, 3, a, 3, b, 2, c, 2, false)
	if want := []weight{58, 64, 139, 154}; !slices.Equal(c, want) {
		t.Errorf("C = %v, want %v", c, want)
	}
}

func TestMatMulPanics(t *testing.T) {
	t.Parallel()
	x := make([]float32, 12)
	tests := []struct {
		name string
		call func()
		want string
	}{
		{"negative", func() { MatMul(false, false, -1, 2, 2, x, 2, x, 2, x, 2, false) }, "gemm: negative size"},
		{"lda", func() { MatMul(false, false, 2, 2, 3, x, 2, x, 2, x, 2, false) }, "gemm: lda=2, want >= 3"},
		{"ldb transB", func() { MatMul(false, true, 2, 2, 3, x, 3, x, 2, x, 2, false) }, "gemm: ldb=2, want >= 3"},
		{"short c", func() { MatMul(false, false, 3, 4, 1, x, 1, x, 4, x, 5, false) }, "gemm: len(c)=12, want >= 14"},
		{"short a transA", func() { Ref(true, false, 4, 1, 4, x, 4, x, 1, x, 1, false) }, "gemm: len(a)=12, want >= 16"},
	}
	for _, tt := range tests {
		func() {
			defer func() {
				r := recover()
				if s, _ := r.(string); !strings.HasPrefix(s, tt.want) {
					t.Errorf("%s: panic %v, want prefix %q", tt.name, r, tt.want)
				}
			}()
			tt.call()
		}()
	}
}

func ExampleMatMul() {
	// One head's scores q·kᵀ from a [T, 3E] qkv buffer: q is columns 0..E-1,
	// k columns E..2E-1, both read with leading dimension 3E.
	const T, E = 2, 2
	qkv := []float32{
		1, 0, 1, 2, 0, 0,
		0, 1, 3, 4, 0, 0,
	}
	scores := make([]float32, T*T) // [T, T]
	MatMul(false, true, T, T, E, qkv, 3*E, qkv[E:], 3*E, scores, T, false)
	fmt.Println(scores)
	// Output: [1 3 2 4]
}
