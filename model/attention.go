package model

import "github.com/attnlab/attnlab/attention"

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
