package vecmath

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// rowLens are the lengths the row kernels are tested at: 0, 1, and around
// every multiple of 16 up to 4·64 (the unrolled and the masked paths).
var rowLens = func() []int {
	ls := []int{0, 1, 2}
	for m := 16; m <= 256; m += 16 {
		ls = append(ls, m-1, m, m+1)
	}
	return ls
}()

// rowVals returns n values of the kinds a gradient or an activation holds:
// normal, with zeros of both signs, subnormals and infinities sprinkled in.
func rowVals(r *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		switch r.IntN(24) {
		case 0:
			x[i] = 0
		case 1:
			x[i] = float32(math.Copysign(0, -1))
		case 2:
			x[i] = 1e-41 // subnormal
		case 3:
			x[i] = float32(math.Inf(1 - 2*r.IntN(2)))
		default:
			x[i] = float32(r.NormFloat64() * 3)
		}
	}
	return x
}

// rowBits fails unless got and want hold the same bits element by element.
func rowBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: [%d] = %v (%#x), the plain loop gives %v (%#x)", what, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
		}
	}
}

// TestScale: Scale gives the bits of x[i] *= s, and writes only x.
func TestScale(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(5, 1))
	for _, n := range rowLens {
		for _, s := range []float32{0.25, 1.0 / 3, -1e-3, 0} {
			x := rowVals(r, n+2)
			want := slices.Clone(x)
			for i := range want[:n] {
				want[i] *= s
			}
			Scale(x[:n], s)
			rowBits(t, "Scale", x, want)
		}
	}
}

// TestAddTo: AddTo gives the bits of dst[i] = x[i] + y[i], in place too,
// and writes only dst.
func TestAddTo(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(5, 2))
	for _, n := range rowLens {
		x, y, dst := rowVals(r, n), rowVals(r, n), rowVals(r, n+2)
		xc, yc, want := slices.Clone(x), slices.Clone(y), slices.Clone(dst)
		for i := range n {
			want[i] = x[i] + y[i]
		}
		AddTo(dst[:n], x, y)
		rowBits(t, "AddTo", dst, want)
		rowBits(t, "AddTo's x", x, xc)
		rowBits(t, "AddTo's y", y, yc)
		AddTo(x, x, y) // in place
		rowBits(t, "AddTo in place", x, want[:n])
	}
}

// TestBiasResidual: the bits of AddBias then AddTo, with dst apart from x
// and dst = x, for column counts around the multiples of 16.
func TestBiasResidual(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(5, 3))
	for _, cols := range rowLens[1:] {
		for _, rows := range []int{1, 2, 5} {
			n := rows * cols
			x, a, b, dst := rowVals(r, n), rowVals(r, n+2), rowVals(r, cols), rowVals(r, n+2)
			wantA, wantD := slices.Clone(a), slices.Clone(dst)
			for i := range n {
				wantA[i] += b[i%cols]
				wantD[i] = x[i] + wantA[i]
			}
			a2 := slices.Clone(a)
			BiasResidual(dst[:n], x, a[:n], b, rows, cols)
			rowBits(t, "BiasResidual's a", a, wantA)
			rowBits(t, "BiasResidual's dst", dst, wantD)
			BiasResidual(x, x, a2[:n], b, rows, cols) // dst = x
			rowBits(t, "BiasResidual in place", x, wantD[:n])
		}
	}
	BiasResidual(nil, nil, nil, nil, 0, 16) // nothing to do
}

// TestEmbedRows: the bits of out[n] = table[idx[n]] + pos[n mod T], for
// row lengths around the multiples of 16 and sequences of several lengths;
// nothing past the output is written.
func TestEmbedRows(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(5, 4))
	const V = 7
	for _, D := range rowLens[1:] {
		for _, bt := range [][2]int{{1, 1}, {1, 5}, {3, 1}, {2, 65}} {
			B, T := bt[0], bt[1]
			N := B * T
			idx := make([]int32, N)
			for i := range idx {
				idx[i] = int32(r.IntN(V))
			}
			table, pos, out := rowVals(r, V*D), rowVals(r, T*D), rowVals(r, N*D+3)
			want := slices.Clone(out)
			for n := range N {
				for c := range D {
					want[n*D+c] = table[int(idx[n])*D+c] + pos[(n%T)*D+c]
				}
			}
			EmbedRows(out[:N*D], table, idx, pos, T, D)
			rowBits(t, "EmbedRows", out, want)
		}
	}
	EmbedRows(nil, nil, nil, nil, 1, 4) // no rows
}

// TestScatterAddRows: the bits of dst[idx[n]] += x[n] in the order of n,
// repeated indexes included; rows not picked are untouched.
func TestScatterAddRows(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(5, 5))
	const V = 5
	for _, D := range rowLens[1:] {
		for _, N := range []int{1, 3, 40} {
			idx := make([]int32, N)
			for i := range idx {
				idx[i] = int32(r.IntN(V - 1)) // row V−1 never picked
			}
			x, dst := rowVals(r, N*D), rowVals(r, V*D)
			want := slices.Clone(dst)
			for n := range N {
				for c := range D {
					want[int(idx[n])*D+c] += x[n*D+c]
				}
			}
			ScatterAddRows(dst, x, idx, D)
			rowBits(t, "ScatterAddRows", dst, want)
		}
	}
	ScatterAddRows(nil, nil, nil, 4) // no rows
}

// TestRowKernelsReject: indexes outside the table panic rather than read
// or write out of bounds.
func TestRowKernelsReject(t *testing.T) {
	mustPanic := func(what string, f func()) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s did not panic", what)
			}
		}()
		f()
	}
	tab, out := make([]float32, 2*16), make([]float32, 16)
	mustPanic("EmbedRows index 2 of 2 rows", func() { EmbedRows(out, tab, []int32{2}, tab, 1, 16) })
	mustPanic("EmbedRows index −1", func() { EmbedRows(out, tab, []int32{-1}, tab, 1, 16) })
	mustPanic("ScatterAddRows index 2 of 2 rows", func() { ScatterAddRows(tab, out, []int32{2}, 16) })
}
