package attention

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// sparseCases are the patterns the kernels are tested on, edge cases
// included: a window of 1, a window at least as long as the sequence
// (dense), dilation beyond the sequence, no global tokens, a global list,
// block-sparse with nothing but its own block, blocks larger than the
// sequence, uneven blocks.
func sparseCases() []Sparse {
	return []Sparse{
		{Window: 1}, {Window: 3}, {Window: 16}, {Window: 1000},
		{Window: 4, Dilation: 2}, {Window: 3, Dilation: 5}, {Window: 5, Dilation: 400},
		{Window: 8, Globals: []int{}}, {Window: 8, Globals: []int{0, 1}}, {Window: 5, Globals: []int{0, 7, 40, 99}},
		{Window: 1000, Globals: []int{0, 3}},
		{Block: 8, Local: 1, GlobalBlocks: 1, Random: 1, Seed: 1},
		{Block: 16}, {Block: 5, Local: 2, GlobalBlocks: 1, Random: 2, Seed: 9, Head: 3},
		{Block: 64, Local: 1, GlobalBlocks: 1, Random: 1, Seed: 1}, {Block: 1000, Local: 1},
	}
}

// TestSparseRows checks Rows against Visible for every case: the runs list
// exactly the visible keys, ascending and disjoint, each query sees
// itself, and Pairs counts them.
func TestSparseRows(t *testing.T) {
	t.Parallel()
	for _, s := range sparseCases() {
		const T = 130
		pairs := 0
		for i := range T {
			var got []int
			prev := -1
			s.Rows(i, func(lo, hi int) {
				if lo < prev || hi <= lo {
					t.Fatalf("%v: query %d: run [%d, %d) after %d", s, i, lo, hi, prev)
				}
				prev = hi
				for j := lo; j < hi; j++ {
					got = append(got, j)
				}
			})
			var want []int
			for j := range T {
				if s.Visible(i, j) {
					want = append(want, j)
				}
			}
			if !slices.Equal(got, want) {
				t.Fatalf("%v: query %d: Rows gives %v, Visible %v", s, i, got, want)
			}
			if !slices.Contains(got, i) {
				t.Fatalf("%v: query %d does not see itself", s, i)
			}
			pairs += len(got)
		}
		if p := s.Pairs(T); p != pairs {
			t.Fatalf("%v: Pairs(%d) = %d, want %d", s, T, p, pairs)
		}
	}
}

// TestSparseKnownPatterns checks hand-written rows of each family.
func TestSparseKnownPatterns(t *testing.T) {
	t.Parallel()
	row := func(s Sparse, i int) []int {
		var r []int
		s.Rows(i, func(lo, hi int) {
			for j := lo; j < hi; j++ {
				r = append(r, j)
			}
		})
		return r
	}
	for _, c := range []struct {
		s    Sparse
		i    int
		want []int
	}{
		{Sparse{Window: 3}, 10, []int{8, 9, 10}},
		{Sparse{Window: 3}, 1, []int{0, 1}},
		{Sparse{Window: 3, Dilation: 4}, 10, []int{2, 6, 10}},
		{Sparse{Window: 3, Dilation: 4}, 5, []int{1, 5}},
		{Sparse{Window: 2, Globals: []int{0, 1}}, 10, []int{0, 1, 9, 10}},
		{Sparse{Window: 2, Globals: []int{0, 6}}, 6, []int{0, 1, 2, 3, 4, 5, 6}},
		{Sparse{Window: 2, Globals: []int{0, 6}}, 7, []int{0, 6, 7}},
		{Sparse{Block: 4, Local: 1}, 13, []int{8, 9, 10, 11, 12, 13}},
		{Sparse{Block: 4, Local: 1, GlobalBlocks: 1}, 13, []int{0, 1, 2, 3, 8, 9, 10, 11, 12, 13}},
	} {
		if got := row(c.s, c.i); !slices.Equal(got, c.want) {
			t.Errorf("%v: query %d sees %v, want %v", c.s, c.i, got, c.want)
		}
	}
	// BigBird's random blocks: r distinct earlier blocks outside the local
	// and global ones, the same for the same seed and head, different
	// across heads.
	s := Sparse{Block: 4, Local: 1, GlobalBlocks: 1, Random: 3, Seed: 5}
	kb := s.keyBlocks(20)
	if len(kb) != 1+3+2 || kb[0] != 0 || kb[len(kb)-2] != 19 || kb[len(kb)-1] != 20 {
		t.Fatalf("key blocks of block 20: %v, want [0, 3 random in 1..18, 19, 20]", kb)
	}
	if !slices.Equal(kb, s.keyBlocks(20)) {
		t.Fatal("random blocks are not reproducible")
	}
	differ := false
	for h := 1; h < 8; h++ {
		s2 := s
		s2.Head = h
		differ = differ || !slices.Equal(kb, s2.keyBlocks(20))
	}
	if !differ {
		t.Fatal("every head drew the same random blocks")
	}
}

// TestSparseKernels compares each pattern's O(T·w) forward and backward
// with masked dense attention in float64 (refMasked with Visible): out,
// lse, dq, dk, dv within 1e-5 relative, for sequences of 1 token, shorter
// than a tile, not a multiple of the tile or block, and strided views.
func TestSparseKernels(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(12, 1))
	for _, s := range sparseCases() {
		for _, T := range []int{1, 7, 64, 150} {
			const E, ld = 16, 20
			q32, q := randF32(r, T*E, 1)
			k32, k := randF32(r, T*E, 1)
			v32, v := randF32(r, T*E, 1)
			g32, g := randF32(r, T*E, 1)
			scale := float32(0.3)
			vis := s.Visible
			want, wlse := refMasked(q, k, v, T, T, E, float64(scale), vis)
			wdq, wdk, wdv := refMaskedBackward(g, q, k, v, T, T, E, float64(scale), vis)

			// Strided views: rows of ld floats, E used.
			strided := func(x []float32) []float32 {
				y := make([]float32, T*ld)
				for i := range T {
					copy(y[i*ld:], x[i*E:(i+1)*E])
					y[i*ld+E] = 99
				}
				return y
			}
			x := QKV{Q: strided(q32), K: strided(k32), V: strided(v32), LQ: ld, LK: ld, LV: ld, T: T, E: E, Scale: scale}
			out, lse := make([]float32, T*ld), make([]float32, T)
			if err := s.Forward(context.Background(), x, out, ld, lse); err != nil {
				t.Fatal(err)
			}
			name := fmt.Sprintf("%v T=%d", s, T)
			if e := relErr(unstride(out, T, E, ld), want); e > 1e-5 {
				t.Errorf("%s: out error %.2g relative", name, e)
			}
			for i := range T {
				if math.Abs(float64(lse[i])-wlse[i]) > 1e-5*(1+math.Abs(wlse[i])) {
					t.Fatalf("%s: lse[%d] = %g, want %g", name, i, lse[i], wlse[i])
				}
			}
			dq, dk, dv := make([]float32, T*ld), make([]float32, T*ld), make([]float32, T*ld)
			gr := Grads{DQ: dq, DK: dk, DV: dv, LDQ: ld, LDK: ld, LDV: ld}
			if err := s.Backward(context.Background(), x, out, ld, lse, strided(g32), ld, gr); err != nil {
				t.Fatal(err)
			}
			for n, pair := range map[string]struct {
				got  []float32
				want []float64
			}{"dq": {dq, wdq}, "dk": {dk, wdk}, "dv": {dv, wdv}} {
				if e := relErr(unstride(pair.got, T, E, ld), pair.want); e > 1e-5 {
					t.Errorf("%s: %s error %.2g relative", name, n, e)
				}
				for i := range T {
					if pair.got[i*ld+E] != 0 {
						t.Fatalf("%s: %s written outside its rows", name, n)
					}
				}
			}
		}
	}
}

func unstride(x []float32, T, E, ld int) []float32 {
	y := make([]float32, T*E)
	for i := range T {
		copy(y[i*E:(i+1)*E], x[i*ld:i*ld+E])
	}
	return y
}

// TestSparseFiniteDifferences checks the masked reference backward against
// central finite differences for one pattern of each family (the kernels
// are then checked against the reference above).
func TestSparseFiniteDifferences(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(12, 2))
	const T, E = 11, 3
	for _, s := range []Sparse{{Window: 3, Dilation: 2}, {Window: 2, Globals: []int{0, 4}}, {Block: 3, Local: 1, Random: 1, Seed: 2}} {
		_, q := randF32(r, T*E, 1)
		_, k := randF32(r, T*E, 1)
		_, v := randF32(r, T*E, 1)
		_, g := randF32(r, T*E, 1)
		loss := func() float64 {
			out, _ := refMasked(q, k, v, T, T, E, 0.7, s.Visible)
			l := 0.0
			for i := range out {
				l += out[i] * g[i]
			}
			return l
		}
		dq, dk, dv := refMaskedBackward(g, q, k, v, T, T, E, 0.7, s.Visible)
		for n, pair := range map[string][2][]float64{"q": {q, dq}, "k": {k, dk}, "v": {v, dv}} {
			x, grad := pair[0], pair[1]
			for i := range x {
				const h = 1e-6
				x0 := x[i]
				x[i] = x0 + h
				lp := loss()
				x[i] = x0 - h
				lm := loss()
				x[i] = x0
				if fd := (lp - lm) / (2 * h); math.Abs(fd-grad[i]) > 1e-7*(1+math.Abs(fd)) {
					t.Fatalf("%v: d%s[%d] = %g, finite difference %g", s, n, i, grad[i], fd)
				}
			}
		}
	}
}

// TestSparseDeterministic: forward and backward of each family on a
// sequence long enough to be split across goroutines give the same bits
// with GOMAXPROCS 1 and 4.
func TestSparseDeterministic(t *testing.T) {
	r := rand.New(rand.NewPCG(12, 3))
	const T, E = 2000, 32
	q, _ := randF32(r, T*E, 1)
	k, _ := randF32(r, T*E, 1)
	v, _ := randF32(r, T*E, 1)
	g, _ := randF32(r, T*E, 1)
	x := QKV{Q: q, K: k, V: v, LQ: E, LK: E, LV: E, T: T, E: E, Scale: 0.2}
	for _, s := range []Sparse{{Window: 300}, {Window: 40, Dilation: 3}, {Window: 64, Globals: []int{0, 1, 2, 3}}, {Block: 32, Local: 2, GlobalBlocks: 1, Random: 2, Seed: 1}} {
		run := func(procs int) [][]float32 {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			out, lse := make([]float32, T*E), make([]float32, T)
			if err := s.Forward(context.Background(), x, out, E, lse); err != nil {
				t.Fatal(err)
			}
			dq, dk, dv := make([]float32, T*E), make([]float32, T*E), make([]float32, T*E)
			if err := s.Backward(context.Background(), x, out, E, lse, g, E, Grads{dq, dk, dv, E, E, E}); err != nil {
				t.Fatal(err)
			}
			return [][]float32{out, lse, dq, dk, dv}
		}
		a, b := run(1), run(4)
		for i := range a {
			if !slices.Equal(a[i], b[i]) {
				t.Fatalf("%v: output %d differs between GOMAXPROCS 1 and 4", s, i)
			}
		}
	}
}

// TestParseSparse: kinds parse to their patterns and print back in
// canonical form; malformed kinds are errors naming the problem.
func TestParseSparse(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ in, want string }{
		{"window:16", "window:16"},
		{"window:8:d2", "window:8:d2"},
		{"window:8:d1,2,4,8", "window:8:d1,2,4,8"},
		{"window:16:g4", "window:16:g4"},
		{"window:16:g0", "window:16"},
		{"window:16:at0,5,9", "window:16:at0,5,9"},
		{"window:16:at0,1", "window:16:g2"},
		{"block-sparse:16", "block-sparse:16:l1:g1:r1:s1"},
		{"block-sparse:8:l2:g0:r3:s7", "block-sparse:8:l2:g0:r3:s7"},
	} {
		k, err := ParseSparse(c.in)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if k.String() != c.want {
			t.Errorf("%q parses to %q, want %q", c.in, k.String(), c.want)
		}
		k2, err := ParseSparse(k.String())
		if err != nil || k2.String() != k.String() {
			t.Errorf("%q does not round-trip: %v", c.in, err)
		}
	}
	for _, c := range []struct{ in, msg string }{
		{"window", "want window:W"},
		{"window:0", "W must be an integer ≥ 1"},
		{"window:x", "W must be an integer"},
		{"window:8:d0", "dilation must be an integer ≥ 1"},
		{"window:8:d2:g1", "global tokens need dilation 1"},
		{"window:8:at3,1", "ascending"},
		{"window:8:q1", "unknown part"},
		{"block-sparse:0", "block size b must be"},
		{"block-sparse:8:x1", "unknown part"},
		{"block-sparse:8:r-1", "r (random blocks) must be"},
		{"sparse", "not a sparse kind"},
	} {
		_, err := ParseSparse(c.in)
		if err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%q: error %v, want one containing %q", c.in, err, c.msg)
		}
	}
	k, _ := ParseSparse("window:8:d1,2,4,8")
	if s, err := k.Head(2, 4); err != nil || s.Dilation != 4 {
		t.Errorf("head 2 of window:8:d1,2,4,8: dilation %d (%v), want 4", s.Dilation, err)
	}
	if _, err := k.Head(0, 2); err == nil || !strings.Contains(err.Error(), "4 dilations for 2 heads") {
		t.Errorf("4 dilations for 2 heads: %v", err)
	}
}
