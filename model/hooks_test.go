package model

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func testModel(t *testing.T, cfg Config) *Model {
	t.Helper()
	cfg.Seed = 1
	m, err := NewInit[float32](cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

var tinyCfg = Config{NLayers: 2, DModel: 16, NHeads: 4, DHead: 4, DMLP: 32, DVocab: 13, NCtx: 10,
	ActFn: "gelu_new", NormalizationType: "LN", PositionalEmbeddingType: "standard"}

func randTokens(B, T, V int, seed uint64) []int32 {
	r := rand.New(rand.NewPCG(seed, 1))
	tok := make([]int32, B*T)
	for i := range tok {
		tok[i] = int32(r.IntN(V))
	}
	return tok
}

func TestCacheShapesAndNames(t *testing.T) {
	for _, cfg := range []Config{tinyCfg, {NLayers: 1, DModel: 8, NHeads: 2, DVocab: 5, NCtx: 6, AttnOnly: true, PositionalEmbeddingType: "rotary"}} {
		m := testModel(t, cfg)
		B, T := 2, 5
		out, err := m.Run(randTokens(B, T, m.Config.DVocab, 1), B, T, RunOptions{CacheNames: []string{"*"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Cache) != len(m.HookNames()) {
			t.Errorf("cache has %d entries, model has %d hook points", len(out.Cache), len(m.HookNames()))
		}
		c := m.Config
		want := map[string][]int{
			"hook_embed":                     {B, T, c.DModel},
			"blocks.0.attn.hook_q":           {B, T, c.NHeads, c.DHead},
			"blocks.0.attn.hook_pattern":     {B, c.NHeads, T, T},
			"blocks.0.attn.hook_attn_scores": {B, c.NHeads, T, T},
			"blocks.0.attn.hook_z":           {B, T, c.NHeads, c.DHead},
			"blocks.0.hook_resid_post":       {B, T, c.DModel},
		}
		if c.HasMLP() {
			want["blocks.1.mlp.hook_post"] = []int{B, T, c.DMLP}
			want["blocks.0.ln1.hook_scale"] = []int{B, T, 1}
		}
		for n, s := range want {
			if got := out.Cache[n]; got == nil || !slices.Equal(got.Shape, s) {
				t.Errorf("%s: got %v, want shape %v", n, got, s)
			}
		}
		// Scores are −Inf above the diagonal; the pattern rows sum to 1.
		sc, pat := out.Cache["blocks.0.attn.hook_attn_scores"], out.Cache["blocks.0.attn.hook_pattern"]
		if !math.IsInf(float64(sc.Data[1]), -1) || pat.Data[1] != 0 {
			t.Errorf("entry [0,0,0,1] must be masked: score %v, pattern %v", sc.Data[1], pat.Data[1])
		}
		for row := range B * c.NHeads * T {
			s := 0.0
			for _, v := range pat.Data[row*T : (row+1)*T] {
				s += float64(v)
			}
			if math.Abs(s-1) > 1e-5 {
				t.Fatalf("pattern row %d sums to %v", row, s)
			}
		}
	}
}

func TestRunRestrictsCacheAndRejectsUnknownNames(t *testing.T) {
	m := testModel(t, tinyCfg)
	out, err := m.Run(randTokens(1, 4, 13, 2), 1, 4, RunOptions{CacheNames: []string{"blocks.1.attn.hook_pattern"}})
	if err != nil || len(out.Cache) != 1 {
		t.Fatalf("got %d cache entries, err %v; want exactly 1", len(out.Cache), err)
	}
	if _, err := m.Run(randTokens(1, 4, 13, 2), 1, 4, RunOptions{CacheNames: []string{"blocks.7.attn.hook_z"}}); err == nil {
		t.Error("unknown hook name accepted")
	}
	if _, err := m.Run([]int32{0, 1, 99, 2}, 1, 4, RunOptions{}); err == nil {
		t.Error("token outside the vocabulary accepted")
	}
	if _, err := m.Run(randTokens(1, 11, 13, 2), 1, 11, RunOptions{}); err == nil {
		t.Error("sequence longer than n_ctx accepted")
	}
}

func TestRunDoesNotChangeModel(t *testing.T) {
	m := testModel(t, tinyCfg)
	before := slices.Clone(m.Params.Data)
	if _, err := m.Run(randTokens(2, 6, 13, 3), 2, 6, RunOptions{CacheNames: []string{"*"}, Hooks: []Hook{ZeroAblate("blocks.0.attn.hook_z", 1)}}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(before, m.Params.Data) {
		t.Error("Run changed the parameters")
	}
}

func TestZeroAndMeanAblation(t *testing.T) {
	m := testModel(t, tinyCfg)
	B, T, H, E := 3, 6, 4, 4
	tok := randTokens(B, T, 13, 4)
	clean, _ := m.Run(tok, B, T, RunOptions{CacheNames: []string{"blocks.0.attn.hook_z"}})
	z := "blocks.0.attn.hook_z"
	abl, err := m.Run(tok, B, T, RunOptions{CacheNames: []string{z}, Hooks: []Hook{ZeroAblate(z, 2)}})
	if err != nil {
		t.Fatal(err)
	}
	for n := range B * T {
		for h := range H {
			for e := range E {
				i := (n*H+h)*E + e
				got, want := abl.Cache[z].Data[i], clean.Cache[z].Data[i]
				if h == 2 {
					want = 0
				}
				if got != want {
					t.Fatalf("z[%d,%d,%d] = %v, want %v", n, h, e, got, want)
				}
			}
		}
	}
	if slices.Equal(abl.Logits.Data, clean.Logits.Data) {
		t.Error("ablating a head did not change the logits")
	}
	mean, _ := m.Run(tok, B, T, RunOptions{CacheNames: []string{z}, Hooks: []Hook{MeanAblate(z, 1)}})
	for tt := range T {
		for e := range E {
			want := 0.0
			for b := range B {
				want += float64(clean.Cache[z].Data[((b*T+tt)*H+1)*E+e])
			}
			want /= float64(B)
			for b := range B {
				if got := mean.Cache[z].Data[((b*T+tt)*H+1)*E+e]; math.Abs(float64(got)-want) > 1e-6 {
					t.Fatalf("mean-ablated z[b=%d,t=%d,h=1,e=%d] = %v, want %v", b, tt, e, got, want)
				}
			}
		}
	}
}

func TestPatchRestoresCleanRun(t *testing.T) {
	m := testModel(t, tinyCfg)
	B, T := 2, 5
	clean, _ := m.Run(randTokens(B, T, 13, 5), B, T, RunOptions{CacheNames: []string{"*"}})
	corrupt := randTokens(B, T, 13, 6)
	// Patching the whole residual stream into block 1 makes everything
	// after it identical to the clean run.
	p, err := m.Run(corrupt, B, T, RunOptions{Hooks: []Hook{Patch("blocks.1.hook_resid_pre", clean.Cache)}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p.Logits.Data, clean.Logits.Data) {
		t.Error("patching resid_pre did not reproduce the clean logits")
	}
	// Patching every head's z of both layers reproduces the attention outputs;
	// with the MLPs reading the corrupted residual, logits still differ.
	hooks := []Hook{}
	for l := range 2 {
		hooks = append(hooks, Patch(names[l].z, clean.Cache, 0, 1, 2, 3))
	}
	p2, _ := m.Run(corrupt, B, T, RunOptions{CacheNames: []string{"blocks.1.attn.hook_z"}, Hooks: hooks})
	if !slices.Equal(p2.Cache["blocks.1.attn.hook_z"].Data, clean.Cache["blocks.1.attn.hook_z"].Data) {
		t.Error("per-head patch of hook_z did not copy every head")
	}
}

func TestReplacePattern(t *testing.T) {
	m := testModel(t, tinyCfg)
	B, T := 2, 5
	tok := randTokens(B, T, 13, 7)
	// A pattern that attends only to the current token makes z equal v.
	id := NewTensor(T, T)
	for i := range T {
		id.Data[i*T+i] = 1
	}
	out, err := m.Run(tok, B, T, RunOptions{CacheNames: []string{"blocks.0.attn.hook_v", "blocks.0.attn.hook_z"}, Hooks: []Hook{ReplacePattern(0, 3, id)}})
	if err != nil {
		t.Fatal(err)
	}
	v, z := out.Cache["blocks.0.attn.hook_v"], out.Cache["blocks.0.attn.hook_z"]
	for n := range B * T {
		for e := range 4 {
			i := (n*4+3)*4 + e
			if math.Abs(float64(v.Data[i]-z.Data[i])) > 1e-6 {
				t.Fatalf("z != v at token %d dim %d: %v vs %v", n, e, z.Data[i], v.Data[i])
			}
		}
	}
}
