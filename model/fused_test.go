package model

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestFusedPath runs a model at T ≥ the blockwise threshold (lowered to 64
// for the test), where the float32 engine takes the blockwise path, against
// the float64 engine (pattern path) with the same weights: loss within 1e-5
// relative and every gradient within 1e-4 of its tensor's largest entry,
// for softmax, each sparse family and linear attention (its chunked form);
// the float32 workspace holds no pattern. (Not parallel: it changes the
// threshold.)
func TestFusedPath(t *testing.T) {
	if w, _ := mustLinear(t).NewWorkspace(1, 16); w.layers[0].pattern != nil {
		t.Error("a linear layer at T = 16 allocated a pattern: it should take the chunked (fused) path")
	} else if _, err := w.ForwardLoss(make([]int32, 16), make([]int32, 16), nil); err != nil || !w.layers[0].fused {
		t.Errorf("a linear layer at T = 16 did not take the chunked path (%v)", err)
	}
	defer func(old int) { fusedMinT = old }(fusedMinT)
	fusedMinT = 64
	T := 77
	for _, kinds := range [][]string{{"softmax", "softmax"}, {"window:16", "window:8:d1,2,3,5"}, {"window:8:g3", "block-sparse:32:l1:g1:r2"},
		{"linear:elu", "linear:relu"}, {"softmax", "linear:favor"}} {
		cfg := Config{NLayers: 2, DModel: 16, NHeads: 4, DVocab: 11, NCtx: T, AttnOnly: true, NormalizationType: "LN",
			PositionalEmbeddingType: "rotary", Seed: 2, InitRange: 0.5, Attention: kinds}
		m32, m64 := twinModels(t, cfg)
		r := rand.New(rand.NewPCG(8, 1))
		B := 2
		tokens, targets := make([]int32, B*T), make([]int32, B*T)
		for i := range tokens {
			tokens[i], targets[i] = int32(r.IntN(11)), int32(r.IntN(11))
		}
		w32, _ := m32.NewWorkspace(B, T)
		w64, _ := m64.NewWorkspace(B, T)
		for l := range w32.layers {
			if w32.layers[l].pattern != nil {
				t.Fatalf("%v: layer %d allocated a pattern on the blockwise path", kinds, l)
			}
		}
		l32, _ := w32.ForwardLoss(tokens, targets, nil)
		l64, _ := w64.ForwardLoss(tokens, targets, nil)
		if !w32.layers[0].fused || !w32.layers[1].fused {
			t.Fatalf("%v: the float32 forward did not take the blockwise path", kinds)
		}
		if math.Abs(l32-l64) > 1e-5*l64 {
			t.Errorf("%v: loss %g (blockwise) vs %g (pattern, float64)", kinds, l32, l64)
		}
		w32.Backward()
		w64.Backward()
		for ti, p := range w64.Grads.Tensors {
			big, d := 0.0, 0.0
			for i, v := range p.Data {
				big = max(big, math.Abs(v))
				d = max(d, math.Abs(float64(w32.Grads.Tensors[ti].Data[i])-v))
			}
			if d > 1e-4*big {
				t.Errorf("%v: %s gradient differs by %.2g of %.2g", kinds, p.Name, d, big)
			}
		}
		// A run that caches the pattern takes the pattern path for it and
		// gives the same logits as one that does not.
		a, err := m32.Run(tokens[:T], 1, T, RunOptions{CacheNames: []string{"blocks.1.attn.hook_pattern"}})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := m32.Run(tokens[:T], 1, T, RunOptions{})
		if a.Cache["blocks.1.attn.hook_pattern"] == nil {
			t.Fatalf("%v: no pattern in the cache", kinds)
		}
		for i := range a.Logits.Data {
			if math.Abs(float64(a.Logits.Data[i]-b.Logits.Data[i])) > 1e-4 {
				t.Fatalf("%v: logits with and without the pattern cached differ at %d: %g vs %g", kinds, i, a.Logits.Data[i], b.Logits.Data[i])
			}
		}
	}
}

func mustLinear(t *testing.T) *Model {
	t.Helper()
	m, err := NewInit[float32](Config{NLayers: 1, DModel: 16, NHeads: 2, DVocab: 11, NCtx: 16, AttnOnly: true,
		NormalizationType: "LN", Seed: 1, Attention: []string{"linear:elu"}})
	if err != nil {
		t.Fatal(err)
	}
	return m
}
