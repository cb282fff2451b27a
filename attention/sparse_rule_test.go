package attention

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestSparseRule checks the engine form of every pattern against masked
// dense attention in float64: the [T, T] pattern (float32 within 1e-6,
// hidden entries exactly 0, scores −Inf there) and dq, dk from the
// backward given dpattern = dout·vᵀ, compared with the reference backward
// of out = pattern·v (1e-5 relative).
func TestSparseRule(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(13, 1))
	const E = 8
	for _, s := range sparseCases() {
		for _, T := range []int{1, 9, 65} {
			name := fmt.Sprintf("%v T=%d", s, T)
			q32, q := randF32(r, T*E, 1)
			k32, k := randF32(r, T*E, 1)
			_, v := randF32(r, T*E, 1)
			_, dout := randF32(r, T*E, 1)
			scale := 1 / math.Sqrt(E)
			// The reference pattern, row by row: refMasked with v = identity columns.
			want := make([]float64, T*T)
			eye := make([]float64, T*T)
			for j := range T {
				eye[j*T+j] = 1
			}
			pat, _ := refMaskedWide(q, k, eye, T, E, scale, s.Visible)
			copy(want, pat)

			rule := SparseRule[float32]{Kind: SparseKind{Sparse: s}, head: s}
			p32, s32 := make([]float32, T*T), make([]float32, T*T)
			rule.Forward(p32, s32, q32, k32, E, T, E)
			rule64 := SparseRule[float64]{Kind: SparseKind{Sparse: s}, head: s}
			p64 := make([]float64, T*T)
			rule64.Forward(p64, nil, q, k, E, T, E)
			for i := range T {
				for j := range T {
					w := want[i*T+j]
					if !s.Visible(i, j) {
						if p32[i*T+j] != 0 || p64[i*T+j] != 0 || !math.IsInf(float64(s32[i*T+j]), -1) {
							t.Fatalf("%s: hidden [%d,%d]: pattern %g / %g, score %g; want 0, 0, -Inf", name, i, j, p32[i*T+j], p64[i*T+j], s32[i*T+j])
						}
						continue
					}
					if math.Abs(float64(p32[i*T+j])-w) > 1e-6 || math.Abs(p64[i*T+j]-w) > 1e-12 {
						t.Fatalf("%s: pattern[%d,%d] = %g (float32), %g (float64), want %g", name, i, j, p32[i*T+j], p64[i*T+j], w)
					}
				}
			}
			// Backward: dpattern = dout·vᵀ.
			dp := make([]float64, T*T)
			for i := range T {
				for j := range T {
					for e := range E {
						dp[i*T+j] += dout[i*E+e] * v[j*E+e]
					}
				}
			}
			dq, dk := make([]float64, T*E), make([]float64, T*E)
			rule64.Backward(dq, dk, E, dp, p64, q, k, E, T, E)
			wdq, wdk, _ := refMaskedBackward(dout, q, k, v, T, T, E, scale, s.Visible)
			if e := relErr(to32(dq), wdq); e > 1e-5 {
				t.Errorf("%s: dq error %.2g", name, e)
			}
			if e := relErr(to32(dk), wdk); e > 1e-5 {
				t.Errorf("%s: dk error %.2g", name, e)
			}
		}
	}
}

// refMaskedWide is refMasked with values of width W (v [T, W]).
func refMaskedWide(q, k, v []float64, T, E int, scale float64, vis func(i, j int) bool) ([]float64, []float64) {
	W := len(v) / T
	out := make([]float64, T*W)
	var lse []float64
	for c := range W {
		col := make([]float64, T*E)
		for j := range T {
			col[j*E] = v[j*W+c]
		}
		o, l := refMasked(q, k, col, T, T, E, scale, vis)
		lse = l
		for i := range T {
			out[i*W+c] = o[i*E]
		}
	}
	return out, lse
}

// TestSparseRuleHeads: per-head dilations give each head its pattern; a
// dilation list that does not match the heads is an error.
func TestSparseRuleHeads(t *testing.T) {
	t.Parallel()
	rule, err := New[float32]("window:8:d1,2,4,8")
	if err != nil {
		t.Fatal(err)
	}
	ph, ok := rule.(PerHead[float32])
	if !ok {
		t.Fatal("a sparse rule does not implement PerHead")
	}
	rs, err := ph.Heads(4)
	if err != nil {
		t.Fatal(err)
	}
	for h, want := range []int{1, 2, 4, 8} {
		if d := rs[h].(SparseRule[float32]).Pattern().Dilation; d != want {
			t.Errorf("head %d: dilation %d, want %d", h, d, want)
		}
		if rs[h].Name() != "window:8:d1,2,4,8" {
			t.Errorf("head %d is named %q", h, rs[h].Name())
		}
	}
	if _, err := ph.Heads(3); err == nil {
		t.Error("4 dilations for 3 heads: no error")
	}
	if got := SplitKinds("window:8:d1,2,4,8, softmax,block-sparse:4"); len(got) != 3 || got[0] != "window:8:d1,2,4,8" || got[1] != "softmax" {
		t.Errorf("SplitKinds: %q", got)
	}
}
