package model

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestBackwardSet: BackwardSet over gradients full of NaN gives the bits of
// ZeroGrad then Backward (a zero may differ in sign only), in float32 (the
// assembly paths) and float64, on configurations that between them have
// every parameter kind: attention-only, LN with an MLP, rotary with the
// sink rules (k_sink), LNPre without positions.
func TestBackwardSet(t *testing.T) {
	cfgs := map[string]Config{
		"attn_only": {NLayers: 2, DModel: 16, NHeads: 2, DHead: 8, DVocab: 11, NCtx: 9, PositionalEmbeddingType: "standard",
			AttnOnly: true, NormalizationType: "LN"},
		"LN_mlp": {NLayers: 2, DModel: 16, NHeads: 2, DHead: 8, DMLP: 24, DVocab: 11, NCtx: 9,
			ActFn: "gelu_new", NormalizationType: "LN", PositionalEmbeddingType: "standard"},
		"rotary_sinks": {NLayers: 3, DModel: 16, NHeads: 2, DHead: 8, DVocab: 11, NCtx: 9, AttnOnly: true,
			NormalizationType: "LN", PositionalEmbeddingType: "rotary", Attention: []string{"learned-sink", "softmax1", "sigmoid"}},
		"LNPre_nope": {NLayers: 1, DModel: 16, NHeads: 2, DHead: 8, DMLP: 24, DVocab: 11, NCtx: 9,
			ActFn: "relu", NormalizationType: "LNPre", PositionalEmbeddingType: "none"},
	}
	for name, cfg := range cfgs {
		cfg.Seed = 5
		t.Run(name+"/float32", func(t *testing.T) { checkBackwardSet[float32](t, cfg) })
		t.Run(name+"/float64", func(t *testing.T) { checkBackwardSet[float64](t, cfg) })
	}
}

func checkBackwardSet[F Float](t *testing.T, cfg Config) {
	t.Parallel()
	m, err := NewInit[F](cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 9))
	B, T := 3, 9
	tokens, targets, mask := make([]int32, B*T), make([]int32, B*T), make([]float32, B*T)
	for i := range tokens {
		tokens[i], targets[i], mask[i] = int32(r.IntN(cfg.DVocab)), int32(r.IntN(cfg.DVocab)), float32(r.IntN(3))/2
	}
	targets[4] = -1
	grads := func(set bool) []F {
		w, err := m.NewWorkspace(B, T)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.ForwardLoss(tokens, targets, mask); err != nil {
			t.Fatal(err)
		}
		if !set {
			w.ZeroGrad()
			w.Backward()
			return w.Grads.Data
		}
		w.ZeroGrad()
		for i := range w.Grads.Data {
			w.Grads.Data[i] = F(math.NaN())
		}
		w.BackwardSet()
		// A second step over the first one's gradients sets them again.
		if _, err := w.ForwardLoss(tokens, targets, mask); err != nil {
			t.Fatal(err)
		}
		w.BackwardSet()
		return w.Grads.Data
	}
	want, got := grads(false), grads(true)
	for _, p := range m.Params.Tensors {
		off := offsetOf(m.Params.Data, p.Data)
		for i := range p.Data {
			if g, w := got[off+i], want[off+i]; g != w && !(g == 0 && w == 0) {
				t.Fatalf("%s[%d]: BackwardSet %v, ZeroGrad+Backward %v", p.Name, i, g, w)
			}
		}
	}
}

// offsetOf is the index of view's first element in data.
func offsetOf[F Float](data, view []F) int {
	for i := range data {
		if len(view) > 0 && &data[i] == &view[0] {
			return i
		}
	}
	return 0
}
