package model

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/attnlab/attnlab/internal/list"
)

// Hook names are TransformerLens's (blocks.1.attn.hook_pattern, …). Build
// them with these constructors, which read the same table as the forward
// pass, rather than with Sprintf; Transformer.HookNames lists a model's.

// Hook points outside the blocks.
const (
	HookEmbed           = "hook_embed"               // [B, T, D] token embedding
	HookPosEmbed        = "hook_pos_embed"           // [B, T, D] learned positional embedding
	HookFinalScale      = "ln_final.hook_scale"      // [B, T, 1] final LayerNorm scale
	HookFinalNormalized = "ln_final.hook_normalized" // [B, T, D]
)

func blockNames(l int) hookNames {
	if l >= 0 && l < len(names) {
		return names[l]
	}
	return makeHookNames(l)
}

// HookResidPre is blocks.{l}.hook_resid_pre [B, T, D], the residual stream
// entering block l.
func HookResidPre(l int) string { return blockNames(l).residPre }

// HookResidMid is blocks.{l}.hook_resid_mid [B, T, D] (models with an MLP).
func HookResidMid(l int) string { return blockNames(l).residMid }

// HookResidPost is blocks.{l}.hook_resid_post [B, T, D], the residual stream
// leaving block l (for the last block, the final stream).
func HookResidPost(l int) string { return blockNames(l).residPost }

// HookQ is blocks.{l}.attn.hook_q [B, T, H, E].
func HookQ(l int) string { return blockNames(l).q }

// HookK is blocks.{l}.attn.hook_k [B, T, H, E].
func HookK(l int) string { return blockNames(l).k }

// HookRotQ is blocks.{l}.attn.hook_rot_q [B, T, H, E], the queries after
// rotary embedding (rotary models only).
func HookRotQ(l int) string { return blockNames(l).rotQ }

// HookRotK is blocks.{l}.attn.hook_rot_k [B, T, H, E] (rotary models only).
func HookRotK(l int) string { return blockNames(l).rotK }

// HookV is blocks.{l}.attn.hook_v [B, T, H, E].
func HookV(l int) string { return blockNames(l).v }

// HookAttnScores is blocks.{l}.attn.hook_attn_scores [B, H, T, T].
func HookAttnScores(l int) string { return blockNames(l).scores }

// HookPattern is blocks.{l}.attn.hook_pattern [B, H, T, T].
func HookPattern(l int) string { return blockNames(l).pattern }

// HookZ is blocks.{l}.attn.hook_z [B, T, H, E], each head's output before
// W_O.
func HookZ(l int) string { return blockNames(l).z }

// HookAttnOut is blocks.{l}.hook_attn_out [B, T, D].
func HookAttnOut(l int) string { return blockNames(l).attnOut }

// HookMLPOut is blocks.{l}.hook_mlp_out [B, T, D].
func HookMLPOut(l int) string { return blockNames(l).mlpOut }

// HeadID names one attention head by layer and head index, zero-based, as
// in TransformerLens. It prints as L{layer}H{head}: "L1H3".
type HeadID struct{ Layer, Head int }

// String is the head's name, "L1H3".
func (h HeadID) String() string { return fmt.Sprintf("L%dH%d", h.Layer, h.Head) }

// ParseHeadID reads a head name "L{layer}H{head}" (non-negative decimal
// numbers, nothing else: "L1H3").
func ParseHeadID(s string) (HeadID, error) {
	bad := fmt.Errorf("model: %q is not a head name L{layer}H{head}, e.g. L1H3", s)
	rest, ok := strings.CutPrefix(s, "L")
	if !ok {
		return HeadID{}, bad
	}
	ls, hs, ok := strings.Cut(rest, "H")
	if !ok {
		return HeadID{}, bad
	}
	l, err1 := parseIndex(ls)
	h, err2 := parseIndex(hs)
	if err1 != nil || err2 != nil {
		return HeadID{}, bad
	}
	return HeadID{Layer: l, Head: h}, nil
}

// ParseHeads reads a comma-separated list of distinct head names
// ("L1H3,L0H1"; a head named twice is a *list.Repeat); "" (or only
// spaces) is none. The error is unprefixed, for the caller to
// name the setting it read.
func ParseHeads(s string) ([]HeadID, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	return list.Parse(s, func(f string) (HeadID, error) {
		h, err := ParseHeadID(f)
		if err != nil {
			return h, fmt.Errorf("%q is not a head: write L{layer}H{head}, e.g. L1H3", f)
		}
		return h, nil
	})
}

// parseIndex reads a non-negative decimal index without sign or spaces.
func parseIndex(s string) (int, error) {
	if s == "" || s[0] < '0' || s[0] > '9' {
		return 0, fmt.Errorf("not an index: %q", s)
	}
	return strconv.Atoi(s)
}

// Heads lists every head of the config, layer-major.
func (c Config) Heads() []HeadID {
	hs := make([]HeadID, 0, c.NLayers*c.NHeads)
	for l := range c.NLayers {
		for h := range c.NHeads {
			hs = append(hs, HeadID{l, h})
		}
	}
	return hs
}

// CheckHeads checks that c has each of heads. The error, for the first it
// lacks, is unprefixed: "the model has no head L5H0 (2 layers of 4 heads)".
func (c Config) CheckHeads(heads []HeadID) error {
	for _, h := range heads {
		if h.Layer < 0 || h.Layer >= c.NLayers || h.Head < 0 || h.Head >= c.NHeads {
			return fmt.Errorf("the model has no head %s (%d layers of %d heads)", h, c.NLayers, c.NHeads)
		}
	}
	return nil
}

// CheckPattern checks that pattern holds one layer's attention pattern
// [B, H, T, T] (hook_pattern, batch × head × query × key) with B, H, T ≥ 1.
// The error is unprefixed, for the calling package to prefix with its name.
func CheckPattern(pattern []float32, B, H, T int) error {
	if B < 1 || H < 1 || T < 1 {
		return fmt.Errorf("a pattern needs B, H, T ≥ 1, got B=%d, H=%d, T=%d", B, H, T)
	}
	if len(pattern) != B*H*T*T {
		return fmt.Errorf("pattern has %d values, [B=%d, H=%d, T=%d, T] wants %d", len(pattern), B, H, T, B*H*T*T)
	}
	return nil
}
