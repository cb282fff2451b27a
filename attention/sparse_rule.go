package attention

import (
	"math"

	"github.com/attnlab/attnlab/internal/gemm"
	"github.com/attnlab/attnlab/internal/vecmath"
)

// SparseRule is a sparse kind as an engine rule: the head's pattern as the
// engine's dense [T, T] pattern (so hook_pattern, hook_attn_scores, pattern
// interventions and every analysis work unchanged), with the keys the
// pattern hides at score −Inf and probability exactly 0:
//
//	scores = q·kᵀ/√E, scores[i,j] = −Inf unless Sparse.Visible(i, j)
//	pattern = softmax(scores) over keys
//
// The products cover the causal triangle, O(T²) at the model's n_ctx; the
// O(T·w) kernels (Sparse.Forward) serve long sequences. Its backward is
// Softmax's: a masked entry has pattern 0, so its score gradient
// pattern·(dpattern − Σ pattern·dpattern) is 0 too.
type SparseRule[F Float] struct {
	Kind SparseKind
	head Sparse // the head this rule runs (Heads); head 0's for the layer-wide rule
}

// NewSparseRule returns the layer-wide rule of kind (head 0's pattern until
// Heads gives each head its own).
func NewSparseRule[F Float](kind SparseKind) SparseRule[F] {
	s := kind.Sparse
	if len(kind.Dilations) > 0 {
		s.Dilation = kind.Dilations[0]
	}
	return SparseRule[F]{Kind: kind, head: s}
}

func (r SparseRule[F]) Name() string { return r.Kind.String() }

// Pattern is the sparse pattern this rule runs.
func (r SparseRule[F]) Pattern() Sparse { return r.head }

// Heads returns one rule per head: per-head dilations and BigBird's
// per-head random blocks.
func (r SparseRule[F]) Heads(H int) ([]Rule[F], error) {
	rs := make([]Rule[F], H)
	for h := range H {
		s, err := r.Kind.Head(h, H)
		if err != nil {
			return nil, err
		}
		rs[h] = SparseRule[F]{Kind: r.Kind, head: s}
	}
	return rs, nil
}

func (r SparseRule[F]) Forward(pattern, scores []F, q, k []F, ld, T, E int) {
	gemm.MatMulTri(gemm.LowerC, false, true, T, T, E, q, ld, k, ld, pattern, T, false)
	mask(pattern, r.head, T)
	scale := 1 / math.Sqrt(float64(E))
	if scores != nil {
		writeScores(scores, pattern, T, scale)
	}
	if p, ok := asF32(pattern); ok {
		vecmath.SoftmaxCausal(p, T, float32(scale)) // e^(−Inf) is exactly 0
		return
	}
	softmaxRows(pattern, T, scale, nil)
}

func (r SparseRule[F]) Backward(dq, dk []F, ldd int, dpattern, pattern, q, k []F, ld, T, E int) {
	Softmax[F]{}.Backward(dq, dk, ldd, dpattern, pattern, q, k, ld, T, E)
}

// mask sets the hidden causal entries (j ≤ i, not visible) of the [T, T]
// score matrix x to −Inf.
func mask[F Float](x []F, s Sparse, T int) {
	ninf := F(math.Inf(-1))
	prev, row := 0, 0
	fill := func(i, lo, hi int) {
		for j := lo; j < hi; j++ {
			x[i*T+j] = ninf
		}
	}
	s.EachRow(T, func(i, lo, hi int) {
		if i != row {
			fill(row, prev, row+1)
			row, prev = i, 0
		}
		fill(i, prev, lo)
		prev = hi
	})
	fill(row, prev, row+1)
}
