package attention

import (
	"math"

	"github.com/attnlab/attnlab/internal/vecmath"
)

// RowRule is a rule with a per-query form, for decoding one token at a time
// with a key/value cache (model.Decoder): Row turns one query's raw products
// q·k with the keys it sees (in place; a key the rule hides is −Inf) into its
// attention weights, exactly as row i of Forward turns them. q is the query
// [E] and params the head's parameters (HeadParams: the learned sink's key
// k_s [E]; nil for rules without).
type RowRule[F Float] interface {
	Rule[F]
	Row(row []F, q, params []F, E int)
}

// Row is Forward's row: softmax(row/√E) (vecmath.SoftmaxRow in float32).
func (Softmax[F]) Row(row []F, _, _ []F, E int) {
	scale := 1 / math.Sqrt(float64(E))
	if r, ok := asF32(row); ok {
		vecmath.SoftmaxRow(r, len(r), float32(scale))
		return
	}
	softmaxRow(row, scale, math.Inf(-1))
}

// Row is Forward's row: softmax over the keys and a null slot of score 0.
func (Softmax1[F]) Row(row []F, _, _ []F, E int) {
	softmaxRow(row, 1/math.Sqrt(float64(E)), 0)
}

// Row is ForwardParams' row: softmax over the keys and the sink slot of
// score q·k_s/√E (k_s = params).
func (LearnedSink[F]) Row(row []F, q, params []F, E int) {
	scale := 1 / math.Sqrt(float64(E))
	s := 0.0
	for e, v := range q[:E] {
		s += float64(v) * float64(params[e])
	}
	softmaxRow(row, scale, s*scale)
}

// Row is Forward's row: σ(row/√E), each key on its own.
func (Sigmoid[F]) Row(row []F, _, _ []F, E int) {
	scale := 1 / math.Sqrt(float64(E))
	for j, v := range row {
		row[j] = F(sigmoid(float64(v) * scale))
	}
}

// Row is Softmax's row: the keys the pattern hides come in as −Inf and get
// weight 0 (the caller masks them: it knows the keys' text positions).
func (r SparseRule[F]) Row(row []F, q, params []F, E int) { Softmax[F]{}.Row(row, q, params, E) }
