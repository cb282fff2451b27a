package model

import (
	"slices"
	"testing"
)

func TestHeadID(t *testing.T) {
	t.Parallel()
	for _, h := range []HeadID{{0, 0}, {1, 3}, {12, 105}} {
		got, err := ParseHeadID(h.String())
		if err != nil || got != h {
			t.Errorf("ParseHeadID(%q) = %v, %v", h.String(), got, err)
		}
	}
	if s := (HeadID{Layer: 1, Head: 3}).String(); s != "L1H3" {
		t.Errorf("String = %q, want L1H3", s)
	}
	for _, bad := range []string{"", "L1", "H3", "L1H", "LH3", "l1h3", "L-1H3", "L1H+3", "L1H3 ", " L1H3", "L1H3x", "L1.0H3", "L99999999999999999999H0"} {
		if h, err := ParseHeadID(bad); err == nil {
			t.Errorf("ParseHeadID(%q) = %v, want an error", bad, h)
		}
	}
	if got := (Config{NLayers: 2, NHeads: 2}).Heads(); !slices.Equal(got, []HeadID{{0, 0}, {0, 1}, {1, 0}, {1, 1}}) {
		t.Errorf("Heads = %v", got)
	}
	if hs, err := ParseHeads(" L1H3, L0H0"); err != nil || !slices.Equal(hs, []HeadID{{1, 3}, {0, 0}}) {
		t.Errorf("ParseHeads = %v, %v", hs, err)
	}
	if hs, err := ParseHeads("  "); hs != nil || err != nil {
		t.Errorf("ParseHeads(blank) = %v, %v", hs, err)
	}
	if _, err := ParseHeads("L1H3,,L0H0"); err == nil || err.Error() != `"" is not a head: write L{layer}H{head}, e.g. L1H3` {
		t.Errorf("ParseHeads(empty entry) = %v", err)
	}
	c := Config{NLayers: 2, NHeads: 4}
	if err := c.CheckHeads([]HeadID{{1, 3}, {0, 0}}); err != nil {
		t.Errorf("CheckHeads of the model's heads: %v", err)
	}
	if err := c.CheckHeads([]HeadID{{0, 1}, {2, 0}}); err == nil || err.Error() != "the model has no head L2H0 (2 layers of 4 heads)" {
		t.Errorf("CheckHeads(L2H0) = %v", err)
	}
	if err := c.CheckHeads([]HeadID{{1, 4}}); err == nil {
		t.Error("CheckHeads(L1H4) passed")
	}
}

// TestHookConstructors: every constructor names a hook point of a model
// that has it, the same string the forward pass caches under.
func TestHookConstructors(t *testing.T) {
	t.Parallel()
	m, err := NewInit[float32](Config{NLayers: 2, DModel: 8, NHeads: 2, DMLP: 16, ActFn: "gelu", DVocab: 10, NCtx: 6,
		NormalizationType: "LN", PositionalEmbeddingType: "standard", Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	known := m.HookNames()
	want := map[string]string{
		HookResidPre(1): "blocks.1.hook_resid_pre", HookResidMid(0): "blocks.0.hook_resid_mid", HookResidPost(1): "blocks.1.hook_resid_post",
		HookQ(0): "blocks.0.attn.hook_q", HookK(1): "blocks.1.attn.hook_k", HookV(0): "blocks.0.attn.hook_v",
		HookAttnScores(1): "blocks.1.attn.hook_attn_scores", HookPattern(1): "blocks.1.attn.hook_pattern", HookZ(0): "blocks.0.attn.hook_z",
		HookAttnOut(1): "blocks.1.hook_attn_out", HookMLPOut(0): "blocks.0.hook_mlp_out",
		HookEmbed: "hook_embed", HookPosEmbed: "hook_pos_embed", HookFinalScale: "ln_final.hook_scale", HookFinalNormalized: "ln_final.hook_normalized",
	}
	for got, w := range want {
		if got != w || !slices.Contains(known, got) {
			t.Errorf("constructor gave %q, want %q among the model's hook points", got, w)
		}
	}
	if HookPattern(200) != "blocks.200.attn.hook_pattern" {
		t.Errorf("HookPattern(200) = %q", HookPattern(200))
	}
	out, err := m.Run([]int32{1, 2, 3}, 1, 3, RunOptions{CacheNames: []string{HookPattern(1)}})
	if err != nil || out.Cache[HookPattern(1)] == nil {
		t.Errorf("the forward pass does not cache under HookPattern(1): %v", err)
	}
}
