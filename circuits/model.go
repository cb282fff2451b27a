package circuits

import (
	"fmt"

	"github.com/attnlab/attnlab/model"
)

// Processing says how a model's weights are prepared before its circuits
// are read. Circuits are bilinear forms of the weights, so a scale or a
// direction that the forward pass removes changes the scores: the two
// conventions give different numbers for the same model.
type Processing int

const (
	// FoldLN folds each LayerNorm's weight into the matrices that read its
	// output: a head reading LN(x)·W_Q sees x̂·diag(w)·W_Q, so the rows of
	// W_Q, W_K and W_V are scaled by the block's ln1.w, and the rows of
	// W_U by ln_final.w (TransformerLens fold_ln with center_weights=False).
	// Nothing is centred. attnlab's default.
	FoldLN Processing = iota
	// TLDefault is TransformerLens's default weight processing, what
	// HookedTransformer.from_pretrained does (fold_ln, center_writing_weights,
	// center_unembed):
	//
	//	W_Q, W_K, W_V ← P_D · diag(ln1.w) · W      (fold, then centre each column over d_model)
	//	W_U           ← P_D · diag(ln_final.w) · W_U · P_V
	//	W_E, W_O      ← W · P_D                     (centre each row over d_model)
	//
	// with P_n = I − 11ᵀ/n. LayerNorm subtracts the mean of its input, so the
	// all-ones direction of d_model is invisible to every reader: removing it
	// from the readers and writers, and the vocabulary mean from the logits
	// (softmax ignores it), leaves the forward pass unchanged. Models
	// without LayerNorm are only unembed-centred, as in TransformerLens.
	TLDefault
)

// String names the convention as ParseProcessing reads it.
func (p Processing) String() string {
	switch p {
	case FoldLN:
		return "fold-ln"
	case TLDefault:
		return "tl-default"
	}
	return fmt.Sprintf("Processing(%d)", int(p))
}

// ParseProcessing reads "fold-ln" or "tl-default".
func ParseProcessing(s string) (Processing, error) {
	for _, p := range []Processing{FoldLN, TLDefault} {
		if s == p.String() {
			return p, nil
		}
	}
	return 0, fmt.Errorf("circuits: weight processing %q is not fold-ln or tl-default", s)
}

// HeadWeights are one head's weights prepared by a Processing (see
// FoldedWith). Biases are left out: circuits are the bilinear parts.
type HeadWeights struct {
	model.HeadID             // the head: Layer, Head; prints as L1H3
	WQ, WK, WV, WO []float32 // [D, E], [D, E], [D, E], [E, D]
}

// Folded returns every head's weights in layer-major order, and W_E [V, D]
// and W_U [D, V], processed by FoldLN.
func Folded(m *model.Model) (heads []HeadWeights, wE, wU []float32) {
	return FoldedWith(m, FoldLN)
}

// FoldedWith returns every head's weights in layer-major order, and W_E
// [V, D] and W_U [D, V], processed by p. The model is not modified.
func FoldedWith(m *model.Model, p Processing) (heads []HeadWeights, wE, wU []float32) {
	c, prm := m.Config, m.Params
	D, H, E, V := c.DModel, c.NHeads, c.DHead, c.DVocab
	centre := p == TLDefault && c.HasNorm()
	for l, b := range prm.Blocks {
		for h := range H {
			cut := func(w []float32, rows, cols int) []float32 { return w[h*rows*cols : (h+1)*rows*cols] }
			read := func(w []float32) []float32 {
				out := scaleRows(cut(w, D, E), D, E, b.Ln1W)
				if centre {
					centreColumns(out, D, E)
				}
				return out
			}
			wO := append([]float32(nil), cut(b.WO, E, D)...)
			if centre {
				centreRows(wO, E, D)
			}
			heads = append(heads, HeadWeights{HeadID: model.HeadID{Layer: l, Head: h}, WQ: read(b.WQ), WK: read(b.WK), WV: read(b.WV), WO: wO})
		}
	}
	wE = prm.WE
	wU = scaleRows(prm.WU, D, V, prm.LnFW)
	if centre {
		wE = append([]float32(nil), prm.WE...)
		centreRows(wE, V, D)
		centreColumns(wU, D, V)
	}
	if p == TLDefault {
		centreRows(wU, D, V) // center_unembed: the logits' mean over the vocabulary
	}
	return heads, wE, wU
}

// scaleRows returns w [rows, cols] with row r multiplied by s[r] (a copy;
// s nil: unscaled).
func scaleRows(w []float32, rows, cols int, s []float32) []float32 {
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

// centreColumns subtracts from each column of w [rows, cols] its mean
// (computed in float64), in place.
func centreColumns(w []float32, rows, cols int) {
	for j := range cols {
		var s float64
		for r := range rows {
			s += float64(w[r*cols+j])
		}
		mean := s / float64(rows)
		for r := range rows {
			w[r*cols+j] = float32(float64(w[r*cols+j]) - mean)
		}
	}
}

// centreRows subtracts from each row of w [rows, cols] its mean, in place.
func centreRows(w []float32, rows, cols int) {
	for r := range rows {
		row := w[r*cols : (r+1)*cols]
		var s float64
		for _, v := range row {
			s += float64(v)
		}
		mean := s / float64(cols)
		for j, v := range row {
			row[j] = float32(float64(v) - mean)
		}
	}
}

// Composition is the Q-, K- and V-composition of a writing head (Src, in an
// earlier layer) into a reading head (Dst).
type Composition struct {
	Src, Dst HeadWeights
	Q, K, V  float64
}

// Compositions scores every pair of heads in layers l1 < l2 with
// QComposition, KComposition and VComposition on the FoldLN weights.
func Compositions(m *model.Model) ([]Composition, error) {
	return CompositionsWith(m, FoldLN)
}

// CompositionsWith is Compositions on the weights processed by p.
func CompositionsWith(m *model.Model, p Processing) ([]Composition, error) {
	heads, _, _ := FoldedWith(m, p)
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

// OVCopyingScores returns OVCopyingScore of every head on the FoldLN
// weights, [layer][head].
func OVCopyingScores(m *model.Model) ([][]float64, error) {
	return OVCopyingScoresWith(m, FoldLN)
}

// OVCopyingScoresWith is OVCopyingScores on the weights processed by p.
func OVCopyingScoresWith(m *model.Model, p Processing) ([][]float64, error) {
	heads, wE, wU := FoldedWith(m, p)
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
