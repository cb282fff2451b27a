package model

import (
	"fmt"

	"github.com/attnlab/attnlab/attention"
	"github.com/attnlab/attnlab/internal/badinput"
)

// Attention is one layer's attention rule (see package attention).
type Attention[F Float] = attention.Rule[F]

func newAttention[F Float](kind string) (Attention[F], error) { return attention.New[F](kind) }

// AttentionKinds lists the attention rules the engine knows.
func AttentionKinds() []string { return attention.Kinds() }

// headRules returns one rule per head for rules whose pattern differs
// between heads (attention.PerHead), else nil.
func headRules[F Float](a Attention[F], H int) ([]Attention[F], error) {
	ph, ok := a.(attention.PerHead[F])
	if !ok {
		return nil, nil
	}
	return ph.Heads(H)
}

// rule returns the rule head hd of layer l runs.
func (m *Transformer[F]) rule(l, hd int) Attention[F] {
	if m.heads[l] != nil {
		return m.heads[l][hd]
	}
	return m.attn[l]
}

// sparse returns the sparse pattern head hd of layer l runs, or nil when
// the layer's kind is not sparse.
func (m *Transformer[F]) sparse(l, hd int) *attention.Sparse {
	if r, ok := m.rule(l, hd).(attention.SparseRule[F]); ok {
		s := r.Pattern()
		return &s
	}
	return nil
}

// CheckAttentionKind returns an error naming kind when the engine has no
// attention rule of that name ("" is softmax).
func CheckAttentionKind(kind string) error {
	if _, err := newAttention[float32](kind); err != nil {
		return fmt.Errorf("model: %w", err)
	}
	return nil
}

// AttentionList reads a comma-separated list of attention kinds (a kind
// may hold its own comma list of numbers, as attention.SplitKinds reads
// it) and checks that the engine knows each.
func AttentionList(s string) ([]string, error) {
	kinds := attention.SplitKinds(s)
	for _, k := range kinds {
		if k == "" {
			return nil, fmt.Errorf("model: %q has an empty attention kind; list kinds such as softmax,linear:elu", s)
		}
		if err := CheckAttentionKind(k); err != nil {
			return nil, err
		}
	}
	return kinds, nil
}

// ParseAttention reads the attention kinds of a model with layers layers
// (Config.Attention): one kind for every layer, or a list (AttentionList)
// with one kind per layer.
func ParseAttention(s string, layers int) ([]string, error) {
	kinds, err := AttentionList(s)
	if err != nil {
		return nil, err
	}
	if layers > len(names) { // before the per-layer list is allocated
		return nil, badinput.Settingf("config: {n_layers} = %d is more than attnlab supports (%d)", layers, len(names))
	}
	if len(kinds) > 1 && len(kinds) != layers {
		return nil, fmt.Errorf("model: %d attention kinds listed for %d layers", len(kinds), layers)
	}
	out := make([]string, layers)
	for l := range out {
		out[l] = kinds[min(l, len(kinds)-1)]
	}
	return out, nil
}
