package parity

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/safetensors"
)

// Outputs beside the hook points that a run produces and a reference may hold.
const (
	NameTokens = "tokens"         // [B, T] integer input ids
	NameLogits = "logits"         // [B, T, d_vocab]
	NameLosses = "loss_per_token" // [B, T−1] next-token cross-entropy, nats
	NameLoss   = "loss"           // [1] or []: the mean of loss_per_token
	GradPrefix = "grad."          // grad.<state-dict key>: d loss / d parameter
)

// FromFile returns every floating-point tensor of f by name, in float64.
// Integer tensors (the input tokens) are returned too when ints is true.
func FromFile(f *safetensors.File, ints bool) (map[string]Tensor, error) {
	out := make(map[string]Tensor, len(f.Tensors))
	for _, t := range f.Tensors {
		if !ints && !isFloat(t.DType) {
			continue
		}
		d, err := t.Float64()
		if err != nil {
			return nil, fmt.Errorf("parity: tensor %q: %w", t.Name, err)
		}
		out[t.Name] = Tensor{Shape: slices.Clone(t.Shape), Data: d}
	}
	return out, nil
}

// Tokens returns the reference's input ids, "tokens" [B, T], checked against
// the model's vocabulary and context.
func Tokens(f *safetensors.File, cfg model.Config) (tokens []int32, B, T int, err error) {
	t, ok := f.Get(NameTokens)
	if !ok {
		return nil, 0, 0, fmt.Errorf("parity: the reference has no %q tensor [batch, pos] of input ids", NameTokens)
	}
	if isFloat(t.DType) {
		return nil, 0, 0, fmt.Errorf("parity: %q is %s; want an integer dtype", NameTokens, t.DType)
	}
	switch len(t.Shape) {
	case 1:
		B, T = 1, t.Shape[0]
	case 2:
		B, T = t.Shape[0], t.Shape[1]
	default:
		return nil, 0, 0, fmt.Errorf("parity: %q has shape %v; want [batch, pos]", NameTokens, t.Shape)
	}
	if B < 1 || T < 1 {
		return nil, 0, 0, fmt.Errorf("parity: %q has shape %v: no tokens", NameTokens, t.Shape)
	}
	if T > cfg.NCtx {
		return nil, 0, 0, fmt.Errorf("parity: %q has %d positions; the model's context is %d", NameTokens, T, cfg.NCtx)
	}
	ids, err := t.Int64()
	if err != nil {
		return nil, 0, 0, fmt.Errorf("parity: %q: %w", NameTokens, err)
	}
	tokens = make([]int32, len(ids))
	for i, v := range ids {
		if v < 0 || v >= int64(cfg.DVocab) {
			return nil, 0, 0, fmt.Errorf("parity: token %d at index %v is outside the vocabulary (d_vocab %d)", v, unravel(i, t.Shape), cfg.DVocab)
		}
		tokens[i] = int32(v)
	}
	return tokens, B, T, nil
}

var blockName = regexp.MustCompile(`^blocks\.(\d+)\.`)

// tlTopLevel are TransformerLens hook points outside the blocks; one the
// model lacks (hook_pos_embed of a rotary model, hook_tokens) is not a
// failure.
var tlTopLevel = map[string]bool{"hook_embed": true, "hook_pos_embed": true, "hook_tokens": true,
	"ln_final.hook_scale": true, "ln_final.hook_normalized": true}

// Against runs m on the reference's tokens, caching exactly the hook points
// the reference holds, and compares every floating-point tensor of the
// reference with the model's. Beside hook points, the reference may hold
// "logits", "loss_per_token", "loss" (their mean) and "grad.<parameter>",
// the gradient of that mean loss with respect to a parameter (named by its
// TransformerLens state-dict key): any grad tensor makes Against run the
// backward pass too. A TransformerLens hook point that attnlab does not
// have (hook_attn_in, hook_result, …) is NotComputed; a name for a layer the
// model does not have, or no known name at all, is Missing.
func Against[F model.Float](ctx context.Context, m *model.Transformer[F], ref *safetensors.File, tol Tolerance) ([]Result, error) {
	tokens, B, T, err := Tokens(ref, m.Config)
	if err != nil {
		return nil, err
	}
	want, err := FromFile(ref, false)
	if err != nil {
		return nil, err
	}
	known := m.HookNames()
	var names []string
	for n := range want {
		if slices.Contains(known, n) {
			names = append(names, n)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out, err := m.Run(tokens, B, T, model.RunOptions{CacheNames: names})
	if err != nil {
		return nil, err
	}
	got := map[string]Tensor{NameLogits: of(out.Logits), NameLosses: of(out.Losses)}
	for n, t := range out.Cache {
		got[n] = of(t)
	}
	if l, ok := want[NameLoss]; ok && len(l.Data) == 1 {
		got[NameLoss] = Tensor{Shape: l.Shape, Data: []float64{mean(got[NameLosses].Data)}}
	}
	if wantsGrads(want) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := grads(m, tokens, B, T, got); err != nil {
			return nil, err
		}
	}
	unavailable := func(name string) bool {
		if mm := blockName.FindStringSubmatch(name); mm != nil {
			l, err := strconv.Atoi(mm[1])
			return err == nil && l < m.Config.NLayers
		}
		if strings.HasPrefix(name, GradPrefix) {
			return false // every parameter has a gradient: a missing one is a different model
		}
		return tlTopLevel[name]
	}
	return CompareAll(got, want, tol, unavailable), nil
}

// Files compares two saved caches: every tensor of ref (integer ones
// included, so differing tokens are found) against the one of the same name
// in got.
func Files(got, ref *safetensors.File, tol Tolerance) ([]Result, error) {
	g, err := FromFile(got, true)
	if err != nil {
		return nil, err
	}
	r, err := FromFile(ref, true)
	if err != nil {
		return nil, err
	}
	return CompareAll(g, r, tol, nil), nil
}

func of(t *model.Tensor) Tensor {
	d := make([]float64, len(t.Data))
	for i, v := range t.Data {
		d[i] = float64(v)
	}
	return Tensor{Shape: slices.Clone(t.Shape), Data: d}
}

func isFloat(d safetensors.DType) bool {
	switch d {
	case safetensors.F16, safetensors.BF16, safetensors.F32, safetensors.F64:
		return true
	}
	return false
}

func wantsGrads(want map[string]Tensor) bool {
	for n := range want {
		if strings.HasPrefix(n, GradPrefix) {
			return true
		}
	}
	return false
}

// grads adds grad.<parameter> of the mean next-token loss over all
// B·(T−1) predictions to got.
func grads[F model.Float](m *model.Transformer[F], tokens []int32, B, T int, got map[string]Tensor) error {
	w, err := m.NewWorkspace(B, T)
	if err != nil {
		return err
	}
	targets := make([]int32, B*T)
	for i := range targets {
		targets[i] = -1 // no target for the last position
		if (i+1)%T != 0 {
			targets[i] = tokens[i+1]
		}
	}
	if _, err := w.ForwardLoss(tokens, targets, nil); err != nil {
		return err
	}
	w.ZeroGrad()
	w.Backward()
	for _, g := range w.Grads.Tensors {
		d := make([]float64, len(g.Data))
		for i, v := range g.Data {
			d[i] = float64(v)
		}
		got[GradPrefix+g.Name] = Tensor{Shape: slices.Clone(g.Shape), Data: d}
	}
	return nil
}

func mean(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s / float64(max(len(x), 1))
}
