package attention

import (
	"fmt"
	"slices"
	"strings"
)

// Float is the element type of the numeric core.
type Float interface{ ~float32 | ~float64 }

// Rule is one attention rule.
type Rule[F Float] interface {
	// Name is the kind as written in configs and flags ("softmax").
	Name() string
	// Forward writes pattern [T, T] (query × key; zero above the diagonal)
	// for one sequence and head from q, k [T, E] (row stride ld). When
	// scores is non-nil it also receives the pre-normalisation scores
	// (TransformerLens hook_attn_scores: masked entries −Inf).
	Forward(pattern, scores []F, q, k []F, ld, T, E int)
	// Backward accumulates dq, dk [T, E] (row stride ldd) from dpattern
	// [T, T], which it may overwrite; pattern, q and k are the forward's.
	// Only the causal triangle of dpattern (j ≤ i) is defined: the engine
	// computes no more.
	Backward(dq, dk []F, ldd int, dpattern, pattern, q, k []F, ld, T, E int)
}

// constructors maps a kind name to its rule; later rules register here.
func constructors[F Float]() map[string]func() Rule[F] {
	return map[string]func() Rule[F]{
		"softmax": func() Rule[F] { return Softmax[F]{} },
		// attention sinks (issue 5)
		"softmax1":     func() Rule[F] { return Softmax1[F]{} },
		"learned-sink": func() Rule[F] { return LearnedSink[F]{} },
		"sigmoid":      func() Rule[F] { return Sigmoid[F]{} },
		"linear:elu":   linearRule[F]("elu"), "linear:relu": linearRule[F]("relu"), "linear:favor": linearRule[F]("favor"), "linear:taylor": linearRule[F]("taylor"), "linear:identity": linearRule[F]("identity"), // issue 6
	}
}

// ScoresBackward is implemented by rules whose Backward is a map from
// dpattern to dscores followed by the causal products
//
//	dq += dscores·k, dk += dscoresᵀ·q
//
// over the triangle j ≤ i: the model then takes that map from the rule and
// runs the products itself, for several heads at once
// (gemm.MatMulHeads16). BackwardScores overwrites dpattern [T, T] with
// dscores, zeros above the diagonal, exactly as Backward does before its
// products.
type ScoresBackward[F Float] interface {
	BackwardScores(dpattern, pattern []F, T, E int)
}

// PerHead is implemented by rules whose pattern differs between heads
// (Longformer's per-head dilations, BigBird's per-head random blocks): the
// model runs head h of H with Heads(H)[h]. The error says the kind does
// not fit H heads.
type PerHead[F Float] interface {
	Heads(H int) ([]Rule[F], error)
}

// SparseSyntax is the grammar of the parameterised kinds, for messages.
const SparseSyntax = "window:W[:dD|:dD1,…,DH][:gG|:atP1,…], block-sparse:b[:lL][:gG][:rR][:sSEED]"

// New returns the rule called kind ("" means softmax): one of Kinds, or a
// sparse kind (ParseSparse). This is the one place kinds are parsed.
func New[F Float](kind string) (Rule[F], error) {
	if kind == "" {
		kind = "softmax"
	}
	if IsSparseKind(kind) {
		k, err := ParseSparse(kind)
		if err != nil {
			return nil, err
		}
		return NewSparseRule[F](k), nil
	}
	c, ok := constructors[F]()[kind]
	if !ok {
		return nil, fmt.Errorf("unknown attention kind %q (known: %s, %s)", kind, strings.Join(Kinds(), ", "), SparseSyntax)
	}
	return c(), nil
}

// SplitKinds splits a comma-separated list of kinds, one per layer, where
// a kind may itself hold a comma list of numbers ("window:8:d1,2,4,8,softmax"
// is two kinds): a piece that starts with a digit continues the previous kind.
func SplitKinds(list string) []string {
	var out []string
	for _, p := range strings.Split(list, ",") {
		p = strings.TrimSpace(p)
		if len(out) > 0 && p != "" && p[0] >= '0' && p[0] <= '9' {
			out[len(out)-1] += "," + p
			continue
		}
		out = append(out, p)
	}
	return out
}

// Kinds lists the rules New knows, sorted.
func Kinds() []string {
	var k []string
	for n := range constructors[float32]() {
		k = append(k, n)
	}
	slices.Sort(k)
	return k
}
