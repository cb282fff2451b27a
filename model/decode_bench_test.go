package model_test

import (
	"testing"

	"github.com/attnlab/attnlab/fixtures"
	"github.com/attnlab/attnlab/model"
)

// BenchmarkDecoderStepW128 times one streaming step of the embedded
// text-sink model (6 layers) with a full 128-token cache in StreamingLLM's
// rolling form: evict the oldest non-sink token, then step.
func BenchmarkDecoderStepW128(b *testing.B) {
	m, err := fixtures.Model("text-sink")
	if err != nil {
		b.Fatal(err)
	}
	const W = 128
	d, err := m.NewDecoder(W, model.CachePositions)
	if err != nil {
		b.Fatal(err)
	}
	keep := make([]int, W-1)
	keep[0] = 0
	for i := 1; i < W-1; i++ {
		keep[i] = i + 1
	}
	for i := range W {
		if err := d.Step(int32(i%200+32), i); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := range b.N {
		d.Keep(keep)
		if err := d.Step(int32(i%200+32), W+i); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
}
