package model

import (
	"testing"

	"github.com/attnlab/attnlab/internal/cputime"
)

// BenchmarkUnitRef times one work unit of the reference training step
// (train.ReferenceConfig: 2 layers, attention-only, d_model 64, 4 heads ×
// 16, d_vocab 64, LayerNorm, learned positions; 2 sequences of 65 tokens)
// as the step runs it: ForwardLoss and BackwardSet on a workspace sharing
// a packed QKV, on one goroutine. It reports CPU µs per unit (robust on a
// shared machine): the passes outside the step's orchestration, without
// its hand-offs, for profiling them (-cpuprofile).
func BenchmarkUnitRef(b *testing.B) {
	cfg := Config{NLayers: 2, DModel: 64, NHeads: 4, DVocab: 64, NCtx: 65, AttnOnly: true,
		NormalizationType: "LN", PositionalEmbeddingType: "standard", Seed: 1}
	w, tokens, targets := benchWorkspace(b, cfg, 2, 65)
	w.ShareQKV(w.m.NewQKVPack())
	b.ResetTimer()
	c0 := cputime.Process()
	for range b.N {
		if _, err := w.ForwardLoss(tokens, targets, nil); err != nil {
			b.Fatal(err)
		}
		w.BackwardSet()
	}
	b.ReportMetric(float64((cputime.Process()-c0).Microseconds())/float64(b.N), "cpu-µs/op")
}
