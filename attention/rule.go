package attention

import (
	"fmt"
	"slices"
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

// New returns the rule called kind ("" means softmax).
func New[F Float](kind string) (Rule[F], error) {
	if kind == "" {
		kind = "softmax"
	}
	c, ok := constructors[F]()[kind]
	if !ok {
		return nil, fmt.Errorf("unknown attention kind %q (known: %v)", kind, Kinds())
	}
	return c(), nil
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
