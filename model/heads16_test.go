package model

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestHeads16Path runs d_head-16 models on the pattern path, where the
// float32 engine computes every head of a sequence in one product
// (attnHeadsBackward, gemm.MatMulHeads16, the scores kernel) and, with a
// pack shared as training shares it (ShareQKV of NewQKVPack), multiplies
// by the packed transposes: loss within 1e-5 relative and every gradient
// within 1e-4 of its tensor's largest entry (+1e-6) against the float64 engine
// with the same weights (tested against finite differences), for softmax
// and softmax1 (4 heads: one group of 4), and with 5 heads (a group and a
// head alone) with rotary, the sigmoid rule (no ScoresBackward) in layer 1
// and an MLP.
func TestHeads16Path(t *testing.T) {
	t.Parallel()
	cfgs := []Config{
		{NLayers: 2, DModel: 64, NHeads: 4, DVocab: 11, NCtx: 33, AttnOnly: true, NormalizationType: "LN",
			PositionalEmbeddingType: "standard", Attention: []string{"softmax", "softmax1"}},
		{NLayers: 2, DModel: 40, NHeads: 5, DHead: 16, DMLP: 24, ActFn: "gelu_new", DVocab: 11, NCtx: 30,
			NormalizationType: "LN", PositionalEmbeddingType: "rotary", Attention: []string{"softmax", "sigmoid"}},
	}
	for _, cfg := range cfgs {
		cfg.Seed, cfg.InitRange = 3, 0.3
		m32, m64 := twinModels(t, cfg)
		r := rand.New(rand.NewPCG(4, 2))
		B, T := 3, cfg.NCtx
		tokens, targets := make([]int32, B*T), make([]int32, B*T)
		for i := range tokens {
			tokens[i], targets[i] = int32(r.IntN(11)), int32(r.IntN(11))
		}
		for _, shared := range []bool{false, true} {
			w32, _ := m32.NewWorkspace(B, T)
			if shared {
				w32.ShareQKV(m32.NewQKVPack())
			}
			w64, _ := m64.NewWorkspace(B, T)
			l32, _ := w32.ForwardLoss(tokens, targets, nil)
			l64, _ := w64.ForwardLoss(tokens, targets, nil)
			if !w32.heads16() || !w32.scoresBackward(0) {
				t.Fatalf("%v: the float32 workspace does not take the d_head-16 path", cfg.Attention)
			}
			if math.Abs(l32-l64) > 1e-5*l64 {
				t.Errorf("%v shared %v: loss %g (float32) vs %g (float64)", cfg.Attention, shared, l32, l64)
			}
			w32.BackwardSet()
			w64.Backward()
			for ti, p := range w64.Grads.Tensors {
				big, d := 0.0, 0.0
				for i, v := range p.Data {
					big = max(big, math.Abs(v))
					d = max(d, math.Abs(float64(w32.Grads.Tensors[ti].Data[i])-v))
				}
				if d > 1e-4*big+1e-6 { // b_K's gradient is 0 up to rounding (softmax is shift invariant)
					t.Errorf("%v shared %v: %s gradient differs by %.2g of %.2g", cfg.Attention, shared, p.Name, d, big)
				}
			}
		}
	}
}

// twinModels returns a float32 model initialised from cfg and a float64
// model holding the same weights, the reference the fast paths are checked
// against.
func twinModels(t *testing.T, cfg Config) (*Transformer[float32], *Transformer[float64]) {
	t.Helper()
	m32, err := NewInit[float32](cfg)
	if err != nil {
		t.Fatal(err)
	}
	m64, err := New[float64](cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range m32.Params.Data {
		m64.Params.Data[i] = float64(v)
	}
	return m32, m64
}
