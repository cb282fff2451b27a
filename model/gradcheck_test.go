package model

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestGradientsFiniteDifference checks every parameter gradient of the
// float64 engine against central finite differences, on configurations that
// between them exercise every op: attention-only without LayerNorm, LN with a
// gelu_new MLP, rotary with relu, LNPre with exact gelu and no positions,
// and the sink rules (learned-sink with its k_sink, softmax1, sigmoid).
// Each tensor is checked on up to 12 random entries (all of a small one);
// max relative error ≤ 1e-4 in float64.
func TestGradientsFiniteDifference(t *testing.T) {
	cfgs := map[string]Config{
		"attn_only_noLN": {NLayers: 2, DModel: 8, NHeads: 2, DHead: 4, DVocab: 11, NCtx: 7, PositionalEmbeddingType: "standard", AttnOnly: true},
		"LN_mlp_gelu_new": {NLayers: 2, DModel: 8, NHeads: 2, DHead: 4, DMLP: 12, DVocab: 11, NCtx: 7,
			ActFn: "gelu_new", NormalizationType: "LN", PositionalEmbeddingType: "standard"},
		"rotary_relu": {NLayers: 2, DModel: 8, NHeads: 2, DHead: 4, DMLP: 12, DVocab: 11, NCtx: 7,
			ActFn: "relu", NormalizationType: "LN", PositionalEmbeddingType: "rotary"},
		"rotary_sinks": {NLayers: 3, DModel: 8, NHeads: 2, DHead: 4, DVocab: 11, NCtx: 7, AttnOnly: true,
			NormalizationType: "LN", PositionalEmbeddingType: "rotary", Attention: []string{"learned-sink", "softmax1", "sigmoid"}},
		"LNPre_gelu_nope": {NLayers: 1, DModel: 8, NHeads: 2, DHead: 4, DMLP: 12, DVocab: 11, NCtx: 7,
			ActFn: "gelu", NormalizationType: "LNPre", PositionalEmbeddingType: "none"},
	}
	for name, cfg := range cfgs {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cfg.Seed = 7
			cfg.InitRange = 0.5 // larger than default so every path carries signal
			m, err := NewInit[float64](cfg)
			if err != nil {
				t.Fatal(err)
			}
			r := rand.New(rand.NewPCG(3, 4))
			// Randomise biases and norm weights so a missing term shows.
			for _, p := range m.Params.Tensors {
				if len(p.Shape) == 1 || len(p.Shape) == 2 && p.Name[len(p.Name)-3:] != "W_E" && p.Name[len(p.Name)-5:] != "W_pos" && p.Name[len(p.Name)-3:] != "W_U" {
					for i := range p.Data {
						p.Data[i] += 0.3 * r.NormFloat64()
					}
				}
			}
			B, T := 2, 6
			tokens, targets := make([]int32, B*T), make([]int32, B*T)
			mask := make([]float32, B*T)
			for i := range tokens {
				tokens[i] = int32(r.IntN(cfg.DVocab))
				targets[i] = int32(r.IntN(cfg.DVocab))
				mask[i] = float32(r.IntN(3)) / 2 // 0, 0.5 or 1
			}
			targets[3] = -1
			w, err := m.NewWorkspace(B, T)
			if err != nil {
				t.Fatal(err)
			}
			loss := func() float64 {
				l, err := w.ForwardLoss(tokens, targets, mask)
				if err != nil {
					t.Fatal(err)
				}
				return l
			}
			loss()
			w.ZeroGrad()
			w.Backward()
			const h = 1e-5
			for ti, p := range m.Params.Tensors {
				g := w.Grads.Tensors[ti].Data
				idx := r.Perm(len(p.Data))
				if len(idx) > 12 {
					idx = idx[:12]
				}
				worst := 0.0
				for _, i := range idx {
					old := p.Data[i]
					p.Data[i] = old + h
					lp := loss()
					p.Data[i] = old - h
					lm := loss()
					p.Data[i] = old
					fd := (lp - lm) / (2 * h)
					den := math.Max(math.Max(math.Abs(fd), math.Abs(g[i])), 1e-6)
					worst = math.Max(worst, math.Abs(fd-g[i])/den)
				}
				if strings.HasSuffix(p.Name, "attn.b_K") && !cfg.Rotary() {
					// Softmax is invariant to a shift shared by every key, so
					// d loss / d b_K is exactly zero without rotary: check it
					// absolutely.
					if n := Norm(g); n > 1e-9 {
						t.Errorf("%s: gradient norm %.2e, want 0", p.Name, n)
					}
					continue
				}
				if worst > 1e-4 {
					t.Errorf("%s: max relative error %.2e > 1e-4", p.Name, worst)
				}
			}
		})
	}
}
