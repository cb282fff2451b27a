package model

import (
	"math"
	"strings"
	"testing"
)

// TestParseConfigRefuses: every TransformerLens field attnlab uses is
// validated, and options it does not implement are refused by name (issue
// 9, items 7 and 13). Each case was accepted before, or gave another
// message.
func TestParseConfigRefuses(t *testing.T) {
	t.Parallel()
	base := `"n_layers": 2, "d_model": 32, "n_heads": 4, "d_vocab": 50, "n_ctx": 24, "attn_only": true`
	rotary := base + `, "positional_embedding_type": "rotary"`
	cases := []struct{ name, json, want string }{
		{"rotary_base negative", rotary + `, "rotary_base": -1`, "config: rotary_base must be a finite number greater than 1 (TransformerLens's default is 10000), got -1"},
		{"rotary_base zero", rotary + `, "rotary_base": 0`, "rotary_base must be a finite number greater than 1"},
		{"rotary_base half", rotary + `, "rotary_base": 0.5`, "rotary_base must be a finite number greater than 1 (TransformerLens's default is 10000), got 0.5"},
		{"rotary_base tiny", rotary + `, "rotary_base": 1e-300`, "rotary_base must be"},
		{"rotary_base one", rotary + `, "rotary_base": 1`, "rotary_base must be"},
		{"n_layers huge", `"n_layers": 1000000, "d_model": 32, "n_heads": 4, "d_vocab": 50, "n_ctx": 24`, "config: n_layers = 1000000 is more than attnlab supports (64)"},
		{"n_layers 65", `"n_layers": 65, "d_model": 32, "n_heads": 4, "d_vocab": 50, "n_ctx": 24`, "n_layers = 65 is more than attnlab supports (64)"},
		{"init_range negative", base + `, "init_range": -0.1`, "config: init_range must be a finite number >= 0, got -0.1"},
		{"eps", base + `, "eps": 1e-6`, "config: eps = 1e-6 is not supported: attnlab computes TransformerLens's default (1e-05)"},
		{"no attention scale", base + `, "use_attn_scale": false`, "use_attn_scale = false is not supported"},
		{"attn_scale", base + `, "attn_scale": 2.0`, "attn_scale = 2.0 is not supported: attnlab computes TransformerLens's default (sqrt(d_head))"},
		{"bidirectional", base + `, "attention_dir": "bidirectional"`, `attention_dir = "bidirectional" is not supported`},
		{"local attention", base + `, "use_local_attn": true`, "use_local_attn = true is not supported"},
		{"gated MLP", base + `, "gated_mlp": true`, "gated_mlp = true is not supported"},
		{"parallel", base + `, "parallel_attn_mlp": true`, "parallel_attn_mlp = true"},
		{"final RMS", base + `, "final_rms": true`, "final_rms = true"},
		{"GQA", base + `, "n_key_value_heads": 2`, "n_key_value_heads = 2 is not supported"},
		{"adjacent pairs", rotary + `, "rotary_adjacent_pairs": true`, "rotary_adjacent_pairs = true"},
		{"soft cap", base + `, "output_logits_soft_cap": 30.0`, "output_logits_soft_cap = 30.0"},
		{"experts", base + `, "num_experts": 8`, "num_experts = 8"},
		{"RMS", base + `, "normalization_type": "RMS"`, "normalization_type must be LN, LNPre or none"},
		{"alibi", base + `, "positional_embedding_type": "alibi"`, "positional_embedding_type must be standard, rotary or none"},
		{"silu", `"n_layers": 1, "d_model": 32, "n_heads": 4, "d_vocab": 50, "n_ctx": 24, "d_mlp": 64, "act_fn": "silu"`, `act_fn must be gelu, gelu_new or relu, got "silu"`},
		{"d_vocab_out", base + `, "d_vocab_out": 49`, "d_vocab_out (49) different from d_vocab (50)"},
		{"not an object", `]`, "not valid TransformerLens config JSON"},
	}
	for _, c := range cases {
		js := "{" + c.json + "}"
		if c.name == "not an object" {
			js = "[1]"
		}
		_, err := ParseConfig([]byte(js))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", c.name, err, c.want)
		}
	}
}

// TestParseConfigAcceptsTLDefaults: a config.json as TransformerLens writes
// it, with every option at its default, loads.
func TestParseConfigAcceptsTLDefaults(t *testing.T) {
	t.Parallel()
	js := `{"n_layers": 2, "d_model": 32, "n_heads": 4, "d_head": 8, "d_mlp": 64, "d_vocab": 50, "n_ctx": 24,
		"act_fn": "gelu_new", "eps": 1e-05, "use_attn_scale": true, "attn_scale": 2.8284271247461903,
		"attention_dir": "causal", "use_local_attn": false, "attn_types": null, "final_rms": false,
		"gated_mlp": false, "parallel_attn_mlp": false, "n_key_value_heads": null, "rotary_adjacent_pairs": false,
		"attn_scores_soft_cap": -1.0, "output_logits_soft_cap": -1.0, "num_experts": null,
		"positional_embedding_type": "rotary", "rotary_dim": 8, "rotary_base": 10000, "d_vocab_out": -1,
		"normalization_type": "LN", "original_architecture": "GPT2LMHeadModel", "dtype": "torch.float32"}`
	c, err := ParseConfig([]byte(js))
	if err != nil {
		t.Fatal(err)
	}
	if c.RotaryBase != 10000 || c.DHead != 8 || !c.HasMLP() {
		t.Errorf("parsed %+v", c)
	}
}

// TestRotaryBaseNoNaN: the smallest accepted base gives finite tables.
func TestRotaryBaseNoNaN(t *testing.T) {
	r := newRotary[float64](16, 128, 1.0001)
	for i, v := range append(r.cos, r.sin...) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Fatalf("entry %d is %v", i, v)
		}
	}
}

// NumParams counts the model New builds from the same config, also when
// the config leaves d_head to be derived (the reference step's config):
// W_E 4096 + W_pos 4160 + 2 blocks × (4 × 4096 + 4 × 64 + LN 128) + LN_f
// 128 + W_U 4096 + b_U 64.
func TestNumParamsDerivesDHead(t *testing.T) {
	t.Parallel()
	cfg := Config{NLayers: 2, DModel: 64, NHeads: 4, DVocab: 64, NCtx: 65, AttnOnly: true,
		NormalizationType: "LN", PositionalEmbeddingType: "standard", Seed: 1}
	m, err := New[float32](cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := cfg.NumParams(), len(m.Params.Data); got != want || want != 46080 {
		t.Errorf("NumParams() = %d, the model has %d parameters (want 46080)", got, want)
	}
	// NewParams from the same raw config cuts the same views.
	p := NewParams[float32](cfg)
	if len(p.Data) != 46080 || len(p.Blocks[0].WQ) != 4*64*16 || len(p.WPos) != 65*64 {
		t.Errorf("NewParams: %d parameters, W_Q %d, W_pos %d; want 46080, 4096, 4160", len(p.Data), len(p.Blocks[0].WQ), len(p.WPos))
	}
}
