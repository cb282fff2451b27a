package model

import "github.com/attnlab/attnlab/attention"

// headParams returns the rule of kind as an attention.HeadParams when it
// owns per-head parameters (stored as blocks.{l}.attn.<ParamName> [H, P]).
func headParams[F Float](kind string) (attention.HeadParams[F], bool) {
	r, err := attention.New[F](kind)
	if err != nil {
		return nil, false
	}
	hp, ok := r.(attention.HeadParams[F])
	return hp, ok
}

// attnForward runs layer l's rule for head hd, with the head's row of
// Block.AttnP when the rule has parameters.
func (m *Transformer[F]) attnForward(l, hd int, pattern, scores, q, k []F, ld, T, E int) {
	if hp, ok := m.attn[l].(attention.HeadParams[F]); ok {
		n := hp.ParamSize(E)
		hp.ForwardParams(m.Params.Blocks[l].AttnP[hd*n:(hd+1)*n], pattern, scores, q, k, ld, T, E)
		return
	}
	m.rule(l, hd).Forward(pattern, scores, q, k, ld, T, E)
}

// attnBackward is attnForward's backward; it also accumulates the head's
// parameter gradient into w.Grads.
func (w *Workspace[F]) attnBackward(l, hd int, dq, dk []F, ldd int, dpattern, pattern, q, k []F, ld, T, E int) {
	m := w.m
	if hp, ok := m.attn[l].(attention.HeadParams[F]); ok {
		n := hp.ParamSize(E)
		hp.BackwardParams(w.Grads.Blocks[l].AttnP[hd*n:(hd+1)*n], m.Params.Blocks[l].AttnP[hd*n:(hd+1)*n],
			dq, dk, ldd, dpattern, pattern, q, k, ld, T, E)
		return
	}
	m.rule(l, hd).Backward(dq, dk, ldd, dpattern, pattern, q, k, ld, T, E)
}
