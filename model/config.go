package model

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
)

// Config describes a model with TransformerLens HookedTransformerConfig field
// names (JSON keys are TransformerLens's snake_case, so a TransformerLens
// config.json decodes as is).
type Config struct {
	NLayers                 int     `json:"n_layers"`
	DModel                  int     `json:"d_model"`
	NHeads                  int     `json:"n_heads"`
	DHead                   int     `json:"d_head"`
	DMLP                    int     `json:"d_mlp"` // 0 means attention-only
	DVocab                  int     `json:"d_vocab"`
	NCtx                    int     `json:"n_ctx"`
	ActFn                   string  `json:"act_fn"`                    // "gelu", "gelu_new", "relu"; "" when attention-only
	NormalizationType       string  `json:"normalization_type"`        // "LN", "LNPre" or "" (none)
	PositionalEmbeddingType string  `json:"positional_embedding_type"` // "standard", "rotary" or "none"
	RotaryDim               int     `json:"rotary_dim"`                // rotary only; defaults to d_head
	RotaryBase              float64 `json:"rotary_base"`               // rotary only; default 10000
	AttnOnly                bool    `json:"attn_only"`
	InitRange               float64 `json:"init_range"` // std of the normal init; default 0.8/sqrt(d_model)
	Seed                    uint64  `json:"seed"`

	// Attention names the attention rule of each layer ("softmax" when
	// empty). It is attnlab's own field: it travels in the weights file
	// beside the TransformerLens config, not inside it.
	Attention []string `json:"-"`
}

// LNEps is TransformerLens's LayerNorm epsilon.
const LNEps = 1e-5

// HasMLP reports whether blocks have an MLP.
func (c Config) HasMLP() bool { return !c.AttnOnly && c.DMLP > 0 }

// HasLNWeights reports whether LayerNorms carry a weight and bias ("LN").
func (c Config) HasLNWeights() bool { return c.NormalizationType == "LN" }

// HasNorm reports whether the model normalises before each sublayer.
func (c Config) HasNorm() bool { return c.NormalizationType == "LN" || c.NormalizationType == "LNPre" }

// Rotary reports whether q and k are rotated (rotary position embeddings).
func (c Config) Rotary() bool { return c.PositionalEmbeddingType == "rotary" }

// LearnedPos reports whether there is a learned positional embedding W_pos.
func (c Config) LearnedPos() bool { return c.PositionalEmbeddingType == "standard" }

// AttentionKind returns the attention rule of layer l.
func (c Config) AttentionKind(l int) string {
	if l < len(c.Attention) && c.Attention[l] != "" {
		return c.Attention[l]
	}
	return "softmax"
}

// WithDefaults fills the fields TransformerLens derives: d_head from d_model
// and n_heads, rotary_dim, rotary_base, init_range, act_fn for MLP models.
func (c Config) WithDefaults() Config {
	if c.DHead == 0 && c.NHeads > 0 {
		c.DHead = c.DModel / c.NHeads
	}
	if c.PositionalEmbeddingType == "" {
		c.PositionalEmbeddingType = "standard"
	}
	if c.Rotary() && c.RotaryDim == 0 {
		c.RotaryDim = c.DHead - c.DHead%2 // rotate-half needs pairs
	}
	if c.RotaryBase == 0 {
		c.RotaryBase = 10000
	}
	if c.InitRange == 0 && c.DModel > 0 {
		c.InitRange = 0.8 / math.Sqrt(float64(c.DModel))
	}
	if c.AttnOnly {
		c.DMLP = 0
	}
	if c.DMLP == 0 {
		c.AttnOnly = true
	}
	if c.HasMLP() && c.ActFn == "" {
		c.ActFn = "gelu_new"
	}
	return c
}

// Validate returns an error naming the first field that is out of range.
func (c Config) Validate() error {
	pos := func(name string, v int) error {
		if v <= 0 {
			return fmt.Errorf("config: %s must be a positive integer, got %d", name, v)
		}
		return nil
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"n_layers", c.NLayers}, {"d_model", c.DModel}, {"n_heads", c.NHeads}, {"d_head", c.DHead}, {"d_vocab", c.DVocab}, {"n_ctx", c.NCtx}} {
		if err := pos(f.name, f.v); err != nil {
			return err
		}
	}
	if c.NLayers > len(names) {
		return fmt.Errorf("config: n_layers = %d is more than attnlab supports (%d)", c.NLayers, len(names))
	}
	const maxDim = 1 << 16
	for _, f := range []struct {
		name string
		v    int
	}{{"d_model", c.DModel}, {"n_heads", c.NHeads}, {"d_head", c.DHead}, {"d_mlp", c.DMLP}, {"d_vocab", c.DVocab}, {"n_ctx", c.NCtx}} {
		if f.v > maxDim {
			return fmt.Errorf("config: %s = %d is larger than attnlab supports (%d)", f.name, f.v, maxDim)
		}
	}
	if c.NCtx*c.DHead > 1<<24 {
		return fmt.Errorf("config: n_ctx × d_head = %d is larger than attnlab supports (%d)", c.NCtx*c.DHead, 1<<24)
	}
	if math.IsNaN(c.InitRange) || math.IsInf(c.InitRange, 0) || c.InitRange < 0 {
		return fmt.Errorf("config: init_range must be a finite number >= 0, got %v", c.InitRange)
	}
	if c.DMLP < 0 {
		return fmt.Errorf("config: d_mlp must be 0 (attention-only) or positive, got %d", c.DMLP)
	}
	switch c.NormalizationType {
	case "LN", "LNPre", "":
	default:
		return fmt.Errorf("config: normalization_type must be LN, LNPre or none, got %q", c.NormalizationType)
	}
	switch c.PositionalEmbeddingType {
	case "standard", "none":
	case "rotary":
		if c.RotaryDim <= 0 || c.RotaryDim > c.DHead || c.RotaryDim%2 != 0 {
			return fmt.Errorf("config: rotary_dim must be even and between 2 and d_head (%d), got %d", c.DHead, c.RotaryDim)
		}
		// Frequencies are rotary_base^(-2i/rotary_dim): a base <= 1 makes
		// them grow with i or vanish, a base of 0 or below is NaN.
		if !(c.RotaryBase > 1) || math.IsInf(c.RotaryBase, 0) {
			return fmt.Errorf("config: rotary_base must be a finite number greater than 1 (TransformerLens's default is 10000), got %v", c.RotaryBase)
		}
	default:
		return fmt.Errorf("config: positional_embedding_type must be standard, rotary or none, got %q", c.PositionalEmbeddingType)
	}
	if c.HasMLP() {
		switch c.ActFn {
		case "gelu", "gelu_new", "relu":
		default:
			return fmt.Errorf("config: act_fn must be gelu, gelu_new or relu, got %q", c.ActFn)
		}
	}
	if len(c.Attention) > c.NLayers {
		return fmt.Errorf("config: %d attention kinds given for %d layers", len(c.Attention), c.NLayers)
	}
	for l := range c.NLayers {
		a, err := newAttention[float32](c.AttentionKind(l))
		if err == nil {
			_, err = headRules(a, c.NHeads)
		}
		if err != nil {
			return fmt.Errorf("config: layer %d: %w", l, err)
		}
	}
	return nil
}

// tlConfig mirrors the JSON TransformerLens writes, where fields that do not
// apply are null.
type tlConfig struct {
	NLayers                 *int     `json:"n_layers"`
	DModel                  *int     `json:"d_model"`
	NHeads                  *int     `json:"n_heads"`
	DHead                   *int     `json:"d_head"`
	DMLP                    *int     `json:"d_mlp"`
	DVocab                  *int     `json:"d_vocab"`
	DVocabOut               *int     `json:"d_vocab_out"`
	NCtx                    *int     `json:"n_ctx"`
	ActFn                   *string  `json:"act_fn"`
	NormalizationType       *string  `json:"normalization_type"`
	PositionalEmbeddingType *string  `json:"positional_embedding_type"`
	RotaryDim               *int     `json:"rotary_dim"`
	RotaryBase              *float64 `json:"rotary_base"`
	AttnOnly                *bool    `json:"attn_only"`
	InitRange               *float64 `json:"init_range"`
	Seed                    *uint64  `json:"seed"`
}

// ParseConfig decodes TransformerLens config JSON (null fields allowed,
// unknown fields ignored) and fills the derived defaults.
func ParseConfig(data []byte) (Config, error) {
	var t tlConfig
	if err := json.Unmarshal(data, &t); err != nil {
		return Config{}, fmt.Errorf("config: not valid TransformerLens config JSON: %v", err)
	}
	var c Config
	geti := func(p *int) int {
		if p == nil {
			return 0
		}
		return *p
	}
	gets := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	c.NLayers, c.DModel, c.NHeads, c.DHead = geti(t.NLayers), geti(t.DModel), geti(t.NHeads), geti(t.DHead)
	c.DMLP, c.DVocab, c.NCtx, c.RotaryDim = geti(t.DMLP), geti(t.DVocab), geti(t.NCtx), geti(t.RotaryDim)
	c.ActFn, c.NormalizationType, c.PositionalEmbeddingType = gets(t.ActFn), gets(t.NormalizationType), gets(t.PositionalEmbeddingType)
	if strings.EqualFold(c.NormalizationType, "none") {
		c.NormalizationType = ""
	}
	if t.RotaryBase != nil {
		c.RotaryBase = *t.RotaryBase
		if c.RotaryBase == 0 && c.PositionalEmbeddingType == "rotary" {
			return Config{}, fmt.Errorf("config: rotary_base must be a finite number greater than 1 (TransformerLens's default is 10000), got 0")
		}
	}
	if t.AttnOnly != nil {
		c.AttnOnly = *t.AttnOnly
	}
	if t.InitRange != nil {
		c.InitRange = *t.InitRange
	}
	if t.Seed != nil {
		c.Seed = *t.Seed
	}
	if t.DVocabOut != nil && *t.DVocabOut != c.DVocab && *t.DVocabOut > 0 {
		return Config{}, fmt.Errorf("config: d_vocab_out (%d) different from d_vocab (%d) is not supported", *t.DVocabOut, c.DVocab)
	}
	c = c.WithDefaults()
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	if err := checkUnsupported(data, c); err != nil {
		return Config{}, err
	}
	return c, nil
}

// unsupported lists the TransformerLens config fields that change the
// forward pass in ways attnlab does not implement. A config may carry each
// one only with the value that means TransformerLens's default behaviour
// (or null); anything else is refused, naming the field, rather than
// silently computing a different model.
var unsupported = []struct {
	key  string
	dflt string                                 // TransformerLens's default, for the message
	ok   func(v json.RawMessage, c Config) bool // v is not null
}{
	{"eps", "1e-05", func(v json.RawMessage, _ Config) bool { return numIs(v, LNEps) }},
	{"use_attn_scale", "true", func(v json.RawMessage, _ Config) bool { return string(v) == "true" }},
	{"attn_scale", "sqrt(d_head)", func(v json.RawMessage, c Config) bool {
		return numIs(v, -1) || numIs(v, math.Sqrt(float64(c.DHead)))
	}},
	{"attention_dir", `"causal"`, func(v json.RawMessage, _ Config) bool { return string(v) == `"causal"` }},
	{"use_local_attn", "false", isFalse},
	{"attn_types", "null", func(json.RawMessage, Config) bool { return false }},
	{"window_size", "null", func(json.RawMessage, Config) bool { return false }},
	{"final_rms", "false", isFalse},
	{"gated_mlp", "false", isFalse},
	{"parallel_attn_mlp", "false", isFalse},
	{"post_embedding_ln", "false", isFalse},
	{"scale_attn_by_inverse_layer_idx", "false", isFalse},
	{"rotary_adjacent_pairs", "false", isFalse},
	{"use_NTK_by_parts_rope", "false", isFalse},
	{"use_normalization_before_and_after", "false", isFalse},
	{"use_qk_norm", "false", isFalse},
	{"n_key_value_heads", "null (one key and value per head)", func(v json.RawMessage, c Config) bool { return numIs(v, float64(c.NHeads)) }},
	{"num_experts", "null", func(json.RawMessage, Config) bool { return false }},
	{"attn_scores_soft_cap", "-1 (off)", func(v json.RawMessage, _ Config) bool { return numIs(v, -1) }},
	{"output_logits_soft_cap", "-1 (off)", func(v json.RawMessage, _ Config) bool { return numIs(v, -1) }},
	{"relative_attention_num_buckets", "null", func(json.RawMessage, Config) bool { return false }},
}

func isFalse(v json.RawMessage, _ Config) bool { return string(v) == "false" }

// numIs reports whether the JSON number v equals want (to 1e-9 relative).
func numIs(v json.RawMessage, want float64) bool {
	var x float64
	if json.Unmarshal(v, &x) != nil {
		return false
	}
	return math.Abs(x-want) <= 1e-9*math.Max(1, math.Abs(want))
}

// checkUnsupported refuses a config that asks for a TransformerLens option
// attnlab does not implement.
func checkUnsupported(data []byte, c Config) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return fmt.Errorf("config: not a JSON object: %v", err)
	}
	for _, u := range unsupported {
		v, ok := raw[u.key]
		if !ok || string(v) == "null" {
			continue
		}
		if !u.ok(v, c) {
			val := string(v)
			if len(val) > 40 {
				val = val[:37] + "..."
			}
			return fmt.Errorf("config: %s = %s is not supported: attnlab computes TransformerLens's default (%s)", u.key, val, u.dflt)
		}
	}
	return nil
}

// JSON encodes the config as TransformerLens config JSON, with null for
// fields that do not apply.
func (c Config) JSON() []byte {
	m := map[string]any{
		"n_layers": c.NLayers, "d_model": c.DModel, "n_heads": c.NHeads, "d_head": c.DHead,
		"d_vocab": c.DVocab, "d_vocab_out": c.DVocab, "n_ctx": c.NCtx,
		"attn_only": c.AttnOnly, "init_range": c.InitRange, "seed": c.Seed,
		"d_mlp": nil, "act_fn": nil, "normalization_type": nil, "rotary_dim": nil,
		"positional_embedding_type": c.PositionalEmbeddingType, "rotary_base": c.RotaryBase,
	}
	if c.HasMLP() {
		m["d_mlp"], m["act_fn"] = c.DMLP, c.ActFn
	}
	if c.NormalizationType != "" {
		m["normalization_type"] = c.NormalizationType
	}
	if c.Rotary() {
		m["rotary_dim"] = c.RotaryDim
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(err) // only plain values above
	}
	return b
}
