package attention

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// refSinkPattern is the plain form of every sink rule: scores by loops,
// then the rule's formula row by row. ks is the learned sink's key (nil:
// score-0 slot for softmax1; sigmoid ignores it).
func refSinkPattern(kind string, q, k, ks []float64, ld, T, E int) []float64 {
	p := make([]float64, T*T)
	for i := range T {
		s := make([]float64, i+1)
		for j := range s {
			for e := range E {
				s[j] += q[i*ld+e] * k[j*ld+e]
			}
			s[j] /= math.Sqrt(float64(E))
		}
		switch kind {
		case "sigmoid":
			for j, v := range s {
				p[i*T+j] = 1 / (1 + math.Exp(-v))
			}
		default:
			sink := 0.0
			for e := range E {
				if ks != nil {
					sink += q[i*ld+e] * ks[e]
				}
			}
			z := math.Exp(sink / math.Sqrt(float64(E)))
			for _, v := range s {
				z += math.Exp(v)
			}
			for j, v := range s {
				p[i*T+j] = math.Exp(v) / z
			}
		}
	}
	return p
}

func randn(r *rand.Rand, n int, s float64) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = s * r.NormFloat64()
	}
	return x
}

func forwardAny(r Rule[float64], ks, pattern, scores, q, k []float64, ld, T, E int) {
	if hp, ok := r.(HeadParams[float64]); ok && ks != nil {
		hp.ForwardParams(ks, pattern, scores, q, k, ld, T, E)
		return
	}
	r.Forward(pattern, scores, q, k, ld, T, E)
}

// TestSinkRulesMatchReference compares each rule with the plain formula on
// odd sizes, with a row stride wider than E, and checks that the inputs are
// not changed.
func TestSinkRulesMatchReference(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{"softmax1", "learned-sink", "sigmoid"} {
		for _, sz := range [][2]int{{1, 3}, {5, 4}, {17, 7}, {33, 16}} {
			T, E := sz[0], sz[1]
			r := rand.New(rand.NewPCG(1, uint64(T)))
			ld := E + 3
			q, k, ks := randn(r, T*ld, 1.5), randn(r, T*ld, 1.5), randn(r, E, 2)
			if kind != "learned-sink" {
				ks = nil
			}
			q0, k0, ks0 := slices.Clone(q), slices.Clone(k), slices.Clone(ks)
			rule, err := New[float64](kind)
			if err != nil {
				t.Fatal(err)
			}
			got, scores := make([]float64, T*T), make([]float64, T*T)
			forwardAny(rule, ks, got, scores, q, k, ld, T, E)
			want := refSinkPattern(kind, q, k, ks, ld, T, E)
			for i := range got {
				if math.Abs(got[i]-want[i]) > 1e-12 {
					t.Fatalf("%s T=%d E=%d: pattern[%d] = %v, want %v", kind, T, E, i, got[i], want[i])
				}
			}
			if !math.IsInf(scores[T-1], -1) && T > 1 {
				t.Errorf("%s: masked score = %v, want -Inf", kind, scores[T-1])
			}
			if !slices.Equal(q, q0) || !slices.Equal(k, k0) || !slices.Equal(ks, ks0) {
				t.Errorf("%s: Forward changed its inputs", kind)
			}
		}
	}
}

// TestSoftmax1KnownValues: a single key with score 0 gets 1/2 (the other
// half goes to the null slot); with k_s = 0 the learned sink is softmax1.
func TestSoftmax1KnownValues(t *testing.T) {
	t.Parallel()
	q, k := []float64{0, 0}, []float64{5, 5}
	p := make([]float64, 1)
	Softmax1[float64]{}.Forward(p, nil, q, k, 2, 1, 2)
	if p[0] != 0.5 {
		t.Errorf("softmax1 of one zero score = %v, want 0.5", p[0])
	}
	Sigmoid[float64]{}.Forward(p, nil, q, k, 2, 1, 2)
	if p[0] != 0.5 {
		t.Errorf("sigmoid(0) = %v, want 0.5", p[0])
	}
	r := rand.New(rand.NewPCG(2, 2))
	T, E := 6, 4
	qq, kk := randn(r, T*E, 1), randn(r, T*E, 1)
	a, b := make([]float64, T*T), make([]float64, T*T)
	Softmax1[float64]{}.Forward(a, nil, qq, kk, E, T, E)
	LearnedSink[float64]{}.ForwardParams(make([]float64, E), b, nil, qq, kk, E, T, E)
	if !slices.Equal(a, b) {
		t.Errorf("learned sink with k_s = 0 differs from softmax1")
	}
}

// TestSinkRulesGradient checks dq, dk (and dk_s) against central finite
// differences of L = Σ G ⊙ pattern for a fixed random G, in float64.
func TestSinkRulesGradient(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{"softmax1", "learned-sink", "sigmoid"} {
		T, E := 7, 5
		ld := E + 2
		r := rand.New(rand.NewPCG(3, 5))
		q, k, ks, G := randn(r, T*ld, 1), randn(r, T*ld, 1), randn(r, E, 1), randn(r, T*T, 1)
		rule, _ := New[float64](kind)
		hp, hasP := rule.(HeadParams[float64])
		if !hasP {
			ks = nil
		}
		loss := func() float64 {
			p := make([]float64, T*T)
			forwardAny(rule, ks, p, nil, q, k, ld, T, E)
			s := 0.0
			for i := range p {
				s += G[i] * p[i]
			}
			return s
		}
		p := make([]float64, T*T)
		forwardAny(rule, ks, p, nil, q, k, ld, T, E)
		dq, dk, dks := make([]float64, T*ld), make([]float64, T*ld), make([]float64, E)
		if hasP {
			hp.BackwardParams(dks, ks, dq, dk, ld, slices.Clone(G), p, q, k, ld, T, E)
		} else {
			rule.Backward(dq, dk, ld, slices.Clone(G), p, q, k, ld, T, E)
		}
		check := func(name string, x, g []float64) {
			const h = 1e-6
			for i := range x {
				if i%ld >= E && name != "k_s" {
					continue
				}
				old := x[i]
				x[i] = old + h
				lp := loss()
				x[i] = old - h
				lm := loss()
				x[i] = old
				fd := (lp - lm) / (2 * h)
				if math.Abs(fd-g[i]) > 1e-6*math.Max(1, math.Abs(fd)) {
					t.Errorf("%s: d%s[%d] = %.8f, finite difference %.8f", kind, name, i, g[i], fd)
				}
			}
		}
		check("q", q, dq)
		check("k", k, dk)
		if hasP {
			check("k_s", ks, dks)
		}
	}
}
