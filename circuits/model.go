package circuits

import (
	"fmt"

	"github.com/attnlab/attnlab/model"
)

// HeadWeights are one head's weights with the LayerNorm weight in front of
// them folded in (TransformerLens fold_ln, without centring): a head reading
// LN(x)·W_Q sees x̂·diag(w)·W_Q, so W_Q, W_K and W_V are scaled row by row by
// the block's ln1.w. Biases are left out: circuits are the bilinear parts.
type HeadWeights struct {
	Layer, Head    int
	WQ, WK, WV, WO []float32 // [D, E], [D, E], [D, E], [E, D]
}

// Folded returns every head's folded weights in layer-major order, and W_E
// [V, D] and W_U [D, V] with ln_final.w folded into W_U's rows.
func Folded(m *model.Model) (heads []HeadWeights, wE, wU []float32) {
	c, p := m.Config, m.Params
	D, H, E, V := c.DModel, c.NHeads, c.DHead, c.DVocab
	scaleRows := func(w []float32, rows, cols int, s []float32) []float32 {
		out := make([]float32, rows*cols)
		for r := range rows {
			f := float32(1)
			if s != nil {
				f = s[r]
			}
			for j := range cols {
				out[r*cols+j] = w[r*cols+j] * f
			}
		}
		return out
	}
	for l, b := range p.Blocks {
		for h := range H {
			cut := func(w []float32, rows, cols int) []float32 { return w[h*rows*cols : (h+1)*rows*cols] }
			heads = append(heads, HeadWeights{Layer: l, Head: h,
				WQ: scaleRows(cut(b.WQ, D, E), D, E, b.Ln1W),
				WK: scaleRows(cut(b.WK, D, E), D, E, b.Ln1W),
				WV: scaleRows(cut(b.WV, D, E), D, E, b.Ln1W),
				WO: append([]float32(nil), cut(b.WO, E, D)...),
			})
		}
	}
	return heads, p.WE, scaleRows(p.WU, D, V, p.LnFW)
}

// Composition is the Q-, K- and V-composition of a writing head (Src, in an
// earlier layer) into a reading head (Dst).
type Composition struct {
	Src, Dst HeadWeights
	Q, K, V  float64
}

// Compositions scores every pair of heads in layers l1 < l2 with
// QComposition, KComposition and VComposition on the folded weights.
func Compositions(m *model.Model) ([]Composition, error) {
	heads, _, _ := Folded(m)
	D, E := m.Config.DModel, m.Config.DHead
	var out []Composition
	for _, a := range heads {
		for _, b := range heads {
			if a.Layer >= b.Layer {
				continue
			}
			q, err := QComposition(a.WV, a.WO, b.WQ, b.WK, D, E)
			if err != nil {
				return nil, err
			}
			k, err := KComposition(a.WV, a.WO, b.WQ, b.WK, D, E)
			if err != nil {
				return nil, err
			}
			v, err := VComposition(a.WV, a.WO, b.WV, b.WO, D, E)
			if err != nil {
				return nil, err
			}
			out = append(out, Composition{Src: a, Dst: b, Q: q, K: k, V: v})
		}
	}
	return out, nil
}

// OVCopyingScores returns OVCopyingScore of every head on the folded
// weights, [layer][head].
func OVCopyingScores(m *model.Model) ([][]float64, error) {
	heads, wE, wU := Folded(m)
	c := m.Config
	out := make([][]float64, c.NLayers)
	for i := range out {
		out[i] = make([]float64, c.NHeads)
	}
	for _, h := range heads {
		s, err := OVCopyingScore(wE, h.WV, h.WO, wU, c.DVocab, c.DModel, c.DHead)
		if err != nil {
			return nil, fmt.Errorf("circuits: L%dH%d: %w", h.Layer, h.Head, err)
		}
		out[h.Layer][h.Head] = s
	}
	return out, nil
}
