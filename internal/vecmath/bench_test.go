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

// benchCausal times one causal softmax of a [T, T] matrix of scores
// (forward: kernel on x; backward: kernel on d given a pattern p),
// reported per live row element and per row.
func benchCausal(b *testing.B, T int, backward bool, kernel func(x, p []float32, T int)) {
	r := rand.New(rand.NewPCG(1, 1))
	src, x, p := make([]float32, T*T), make([]float32, T*T), make([]float32, T*T)
	for i := range src {
		src[i] = float32(r.NormFloat64() * 3)
	}
	if backward {
		copy(p, src)
		SoftmaxCausal(p, T, 0.25)
	}
	b.ResetTimer()
	for range b.N {
		copy(x, src)
		kernel(x, p, T)
	}
	sec := b.Elapsed().Seconds()
	b.ReportMetric(float64(T*(T+1)/2)*float64(b.N)/sec/1e6, "Melem/s")
	b.ReportMetric(sec*1e9/float64(b.N)/float64(T), "ns/row")
}

func causalFwd(x, _ []float32, T int) { SoftmaxCausal(x, T, 0.25) }

// causalFwdPairs is the previous kernel: rows in pairs only.
func causalFwdPairs(x, _ []float32, T int) { softmaxCausalAsm(&x[0], T, 0.25, 0) }

func causalFwdRows(x, _ []float32, T int) {
	for i := range T {
		SoftmaxRow(x[i*T:(i+1)*T], i+1, 0.25)
	}
}

func causalBwd(d, p []float32, T int) { SoftmaxCausalBackward(d, p, T, 0.25) }

func needAsm(b *testing.B) {
	if !haveAsm {
		b.Skip("vecmath: no assembly kernels in this build or on this CPU")
	}
}

func BenchmarkSoftmaxCausal65(b *testing.B) { benchCausal(b, 65, false, causalFwd) }
func BenchmarkSoftmaxCausalPairs65(b *testing.B) {
	needAsm(b)
	benchCausal(b, 65, false, causalFwdPairs)
}
func BenchmarkSoftmaxCausalRows65(b *testing.B) { benchCausal(b, 65, false, causalFwdRows) }
func BenchmarkSoftmaxCausalBackward65(b *testing.B) {
	benchCausal(b, 65, true, causalBwd)
}
