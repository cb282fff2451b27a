package model

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestDecoderMatchesForward decodes a sequence token by token with a KV
// cache and compares every position's logits with the full forward pass.
// Tolerance 1e-5: float32 sums in a different order.
func TestDecoderMatchesForward(t *testing.T) {
	t.Parallel()
	cfgs := map[string]Config{
		"rotary_mlp": {NLayers: 2, DModel: 16, NHeads: 2, DMLP: 32, DVocab: 13, NCtx: 12, ActFn: "gelu_new",
			NormalizationType: "LN", PositionalEmbeddingType: "rotary"},
		"sinks_rotary_partial": {NLayers: 3, DModel: 16, NHeads: 2, DVocab: 13, NCtx: 12, AttnOnly: true, RotaryDim: 4,
			NormalizationType: "LNPre", PositionalEmbeddingType: "rotary", Attention: []string{"learned-sink", "softmax1", "sigmoid"}},
		"standard_noLN": {NLayers: 1, DModel: 8, NHeads: 2, DVocab: 13, NCtx: 12, AttnOnly: true, PositionalEmbeddingType: "standard"},
	}
	for name, cfg := range cfgs {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cfg.Seed = 3
			m, err := NewInit[float32](cfg)
			if err != nil {
				t.Fatal(err)
			}
			r := rand.New(rand.NewPCG(1, 2))
			for _, p := range m.Params.Tensors {
				if len(p.Shape) < 2 || p.Name[len(p.Name)-6:] == "k_sink" {
					for i := range p.Data {
						p.Data[i] += float32(0.3 * r.NormFloat64())
					}
				}
			}
			T := cfg.NCtx
			tokens := make([]int32, T)
			for i := range tokens {
				tokens[i] = int32(r.IntN(cfg.DVocab))
			}
			out, err := m.Run(tokens, 1, T, RunOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for _, scheme := range []PositionScheme{CachePositions, TextPositions} {
				d, err := m.NewDecoder(T, scheme)
				if err != nil {
					t.Fatal(err)
				}
				worst := 0.0
				for i, tok := range tokens {
					if err := d.Step(tok, i); err != nil {
						t.Fatal(err)
					}
					for v := range cfg.DVocab {
						worst = math.Max(worst, math.Abs(float64(d.Logits[v]-out.Logits.Data[i*cfg.DVocab+v])))
					}
				}
				if worst > 1e-5 {
					t.Errorf("%s positions: decoder logits differ from the forward by %.2e > 1e-5", scheme, worst)
				}
				if err := d.Step(0, T); err == nil {
					t.Errorf("stepping a full cache: no error")
				}
			}
		})
	}
}

// TestDecoderRollingCache checks eviction and the two position schemes on
// a one-layer model (whose cached keys and values depend on their own token
// only, so a rolled cache equals a fresh forward over the kept tokens):
// with a window (no sinks) rotary depends only on distances, so both
// schemes agree with a fresh forward over the kept tokens; with a sink
// kept, cache positions equal a forward over [sink, window] while text
// positions do not.
func TestDecoderRollingCache(t *testing.T) {
	t.Parallel()
	cfg := Config{NLayers: 1, DModel: 16, NHeads: 2, DVocab: 11, NCtx: 8, AttnOnly: true, NormalizationType: "LN",
		PositionalEmbeddingType: "rotary", Seed: 5}
	m, err := NewInit[float32](cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(7, 7))
	tokens := make([]int32, 20)
	for i := range tokens {
		tokens[i] = int32(r.IntN(cfg.DVocab))
	}
	const W = 5
	run := func(scheme PositionScheme, sinks int) ([]float32, []int32) {
		d, _ := m.NewDecoder(W, scheme)
		for i, tok := range tokens {
			if d.Len() == W {
				keep := []int{}
				for s := range W {
					if s < sinks || s > sinks {
						keep = append(keep, s)
					}
				}
				d.Keep(keep)
			}
			if err := d.Step(tok, i); err != nil {
				t.Fatal(err)
			}
		}
		ctx := make([]int32, 0, W)
		for _, p := range d.Positions() {
			ctx = append(ctx, tokens[p])
		}
		return append([]float32(nil), d.Logits...), ctx
	}
	maxDiff := func(a, b []float32) float64 {
		w := 0.0
		for i := range a {
			w = math.Max(w, math.Abs(float64(a[i]-b[i])))
		}
		return w
	}
	fresh := func(ctx []int32) []float32 {
		out, err := m.Run(ctx, 1, len(ctx), RunOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return out.Logits.Data[(len(ctx)-1)*cfg.DVocab:]
	}
	for _, sc := range []PositionScheme{CachePositions, TextPositions} {
		got, ctx := run(sc, 0)
		if d := maxDiff(got, fresh(ctx)); d > 1e-4 {
			t.Errorf("window, %s positions: differs from a forward over the window by %.2e", sc, d)
		}
	}
	got, ctx := run(CachePositions, 1)
	if ctx[0] != tokens[0] {
		t.Fatalf("sink not kept: context %v", ctx)
	}
	if d := maxDiff(got, fresh(ctx)); d > 1e-4 {
		t.Errorf("sink+window, cache positions: differs from a forward over [sink, window] by %.2e", d)
	}
	got, _ = run(TextPositions, 1)
	if d := maxDiff(got, fresh(ctx)); d < 1e-4 {
		t.Errorf("sink+window, text positions: equal to cache positions (%.2e); the sink's distance should matter", d)
	}
}
