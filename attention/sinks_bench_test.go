package attention

import (
	"math/rand/v2"
	"testing"
)

// benchSinkRule times one head's forward and backward at T positions,
// E = 16, and reports query tokens/s.
func benchSinkRule(b *testing.B, kind string, T int) {
	const E = 16
	r := rand.New(rand.NewPCG(1, 1))
	q, k, ks := randn(r, T*E, 1), randn(r, T*E, 1), randn(r, E, 1)
	rule, err := New[float64](kind)
	if err != nil {
		b.Fatal(err)
	}
	p, dp := make([]float64, T*T), make([]float64, T*T)
	dq, dk, dks := make([]float64, T*E), make([]float64, T*E), make([]float64, E)
	hp, hasP := rule.(HeadParams[float64])
	b.ResetTimer()
	for range b.N {
		if hasP {
			hp.ForwardParams(ks, p, nil, q, k, E, T, E)
			copy(dp, p)
			hp.BackwardParams(dks, ks, dq, dk, E, dp, p, q, k, E, T, E)
		} else {
			rule.Forward(p, nil, q, k, E, T, E)
			copy(dp, p)
			rule.Backward(dq, dk, E, dp, p, q, k, E, T, E)
		}
	}
	b.ReportMetric(float64(b.N*T)/b.Elapsed().Seconds(), "tokens/s")
}

func BenchmarkSinkRuleSoftmaxT256(b *testing.B)     { benchSinkRule(b, "softmax", 256) }
func BenchmarkSinkRuleSoftmax1T256(b *testing.B)    { benchSinkRule(b, "softmax1", 256) }
func BenchmarkSinkRuleLearnedSinkT256(b *testing.B) { benchSinkRule(b, "learned-sink", 256) }
func BenchmarkSinkRuleSigmoidT256(b *testing.B)     { benchSinkRule(b, "sigmoid", 256) }
