package vecmath

import (
	"math/rand/v2"
	"testing"
)

func benchSoftmax(b *testing.B, fast bool, n int) {
	r := rand.New(rand.NewPCG(1, 1))
	src := make([]float32, n)
	for i := range src {
		src[i] = float32(r.NormFloat64() * 3)
	}
	row := make([]float32, n)
	b.ResetTimer()
	for range b.N {
		copy(row, src)
		if fast {
			SoftmaxRow(row, n, 0.25)
		} else {
			SoftmaxRowRef(row, 0.25)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Melem/s")
}

func BenchmarkSoftmaxRow65(b *testing.B)    { benchSoftmax(b, true, 65) }
func BenchmarkSoftmaxRowRef65(b *testing.B) { benchSoftmax(b, false, 65) }

func benchCausal(b *testing.B, fast bool, T int) {
	r := rand.New(rand.NewPCG(1, 1))
	src := make([]float32, T*T)
	for i := range src {
		src[i] = float32(r.NormFloat64() * 3)
	}
	x := make([]float32, T*T)
	b.ResetTimer()
	for range b.N {
		copy(x, src)
		if fast {
			SoftmaxCausal(x, T, 0.25)
		} else {
			for i := range T {
				SoftmaxRow(x[i*T:(i+1)*T], i+1, 0.25)
			}
		}
	}
	b.ReportMetric(float64(T*(T+1)/2)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Melem/s")
}

func BenchmarkSoftmaxCausal65(b *testing.B)     { benchCausal(b, true, 65) }
func BenchmarkSoftmaxCausalRows65(b *testing.B) { benchCausal(b, false, 65) }

func BenchmarkSoftmaxCausalBackward65(b *testing.B) {
	const T = 65
	r := rand.New(rand.NewPCG(1, 1))
	p, src, d := make([]float32, T*T), make([]float32, T*T), make([]float32, T*T)
	for i := range p {
		p[i], src[i] = float32(r.Float64()), float32(r.NormFloat64())
	}
	b.ResetTimer()
	for range b.N {
		copy(d, src)
		SoftmaxCausalBackward(d, p, T, 0.25)
	}
	b.ReportMetric(float64(T*(T+1)/2)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Melem/s")
}
