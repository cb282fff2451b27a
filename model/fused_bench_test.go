package model

import (
	"math/rand/v2"
	"testing"

	"github.com/attnlab/attnlab/internal/cputime"
)

// benchAttentionPath times a training step (forward + backward) of a
// two-layer attention-only model (d_model 64, 4 heads × 16, rotary) on
// 8192 tokens per step in sequences of T, on the pattern path or the
// blockwise one, and reports tokens/s and tokens per CPU-second (the
// latter robust on a shared machine; run with -cpu 1): where the blockwise
// path pays decides FusedMinT.
func benchAttentionPath(b *testing.B, T int, blockwise bool) {
	benchAttentionPathKind(b, "softmax", T, blockwise)
}

// benchAttentionPathKind is benchAttentionPath for attention kind.
func benchAttentionPathKind(b *testing.B, kind string, T int, blockwise bool) {
	old := fusedMinT
	fusedMinT = 1 << 30
	if blockwise {
		fusedMinT = 1
	}
	defer func() { fusedMinT = old }()
	cfg := Config{NLayers: 2, DModel: 64, NHeads: 4, DVocab: 64, NCtx: T, AttnOnly: true, NormalizationType: "LN",
		PositionalEmbeddingType: "rotary", Seed: 1, Attention: []string{kind, kind}}
	B := max(8192/T, 1)
	w, tokens, targets := benchWorkspace(b, cfg, B, T)
	b.ResetTimer()
	c0 := cputime.Process()
	for range b.N {
		if _, err := w.ForwardLoss(tokens, targets, nil); err != nil {
			b.Fatal(err)
		}
		w.Backward()
	}
	b.ReportMetric(float64(b.N*B*T)/b.Elapsed().Seconds(), "tokens/s")
	b.ReportMetric(float64(b.N*B*T)/(cputime.Process()-c0).Seconds(), "tokens/cpu-s")
}

func BenchmarkAttentionPathPatternT64(b *testing.B)     { benchAttentionPath(b, 64, false) }
func BenchmarkAttentionPathBlockwiseT64(b *testing.B)   { benchAttentionPath(b, 64, true) }
func BenchmarkAttentionPathPatternT128(b *testing.B)    { benchAttentionPath(b, 128, false) }
func BenchmarkAttentionPathBlockwiseT128(b *testing.B)  { benchAttentionPath(b, 128, true) }
func BenchmarkAttentionPathPatternT512(b *testing.B)    { benchAttentionPath(b, 512, false) }
func BenchmarkAttentionPathBlockwiseT512(b *testing.B)  { benchAttentionPath(b, 512, true) }
func BenchmarkAttentionPathPatternT1024(b *testing.B)   { benchAttentionPath(b, 1024, false) }
func BenchmarkAttentionPathBlockwiseT1024(b *testing.B) { benchAttentionPath(b, 1024, true) }

// Linear attention: the pattern path runs the masked quadratic form
// (Linear), the blockwise path the chunked form (LinearChunked).
func BenchmarkAttentionPathLinearPatternT64(b *testing.B) {
	benchAttentionPathKind(b, "linear:elu", 64, false)
}
func BenchmarkAttentionPathLinearChunkedT64(b *testing.B) {
	benchAttentionPathKind(b, "linear:elu", 64, true)
}
func BenchmarkAttentionPathLinearPatternT256(b *testing.B) {
	benchAttentionPathKind(b, "linear:elu", 256, false)
}
func BenchmarkAttentionPathLinearChunkedT256(b *testing.B) {
	benchAttentionPathKind(b, "linear:elu", 256, true)
}

// benchWorkspace returns a workspace of a freshly initialised float32 model
// for B sequences of T tokens, and random tokens and targets (vocab 64).
func benchWorkspace(b *testing.B, cfg Config, B, T int) (w *Workspace[float32], tokens, targets []int32) {
	m, err := NewInit[float32](cfg)
	if err != nil {
		b.Fatal(err)
	}
	if w, err = m.NewWorkspace(B, T); err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 1))
	tokens, targets = make([]int32, B*T), make([]int32, B*T)
	for i := range tokens {
		tokens[i], targets[i] = int32(r.IntN(64)), int32(r.IntN(64))
	}
	return w, tokens, targets
}
