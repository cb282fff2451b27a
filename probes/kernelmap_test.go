package probes

import (
	"math"
	"testing"

	"github.com/attnlab/attnlab/model"
)

// TestKernelMaps: with the queries of the linear layer zeroed, softmax is
// uniform over the causal keys, while elu+1 gives φ(q) = 1, so the linear
// weight of key j is S_j / Σ_{j'≤i} S_j' with S_j = Σ_e (elu(k_je) + 1): the
// kernel map weighs keys by their own size where softmax cannot. A softmax
// layer is refused.
func TestKernelMaps(t *testing.T) {
	cfg := model.Config{NLayers: 2, DModel: 16, NHeads: 2, DVocab: 8, NCtx: 12, NormalizationType: "LN",
		PositionalEmbeddingType: "standard", AttnOnly: true, Attention: []string{"softmax", "linear:elu"}, Seed: 3}
	m, err := model.NewInit[float32](cfg)
	if err != nil {
		t.Fatal(err)
	}
	tokens := []int32{1, 5, 2, 7, 3, 3, 0, 6}
	head := model.HeadID{Layer: 1, Head: 1}
	km, err := KernelMaps(m, tokens, head)
	if err != nil {
		t.Fatal(err)
	}
	if km.MeanAbs < 1e-3 {
		t.Errorf("random queries: mean |Δ| %.2g; elu+1 and softmax should differ", km.MeanAbs)
	}
	for i := range km.T {
		s := 0.0
		for j := 0; j <= i; j++ {
			s += km.Softmax[i*km.T+j]
		}
		if math.Abs(s-1) > 1e-12 {
			t.Fatalf("softmax row %d sums to %v", i, s)
		}
	}
	wq, _ := m.Params.Tensor("blocks.1.attn.W_Q")
	bq, _ := m.Params.Tensor("blocks.1.attn.b_Q")
	clear(wq.Data)
	clear(bq.Data)
	if km, err = KernelMaps(m, tokens, head); err != nil {
		t.Fatal(err)
	}
	out, err := m.Run(tokens, 1, len(tokens), model.RunOptions{CacheNames: []string{model.HookK(1)}})
	if err != nil {
		t.Fatal(err)
	}
	k := out.Cache[model.HookK(1)].Data // [1, T, H, E]
	S := make([]float64, km.T)
	for j := range S {
		for _, x := range k[(j*2+1)*8:][:8] {
			v := float64(x)
			if v < 0 {
				v = math.Exp(v) - 1
			}
			S[j] += v + 1
		}
	}
	wantMax := 0.0
	for i := range km.T {
		z := 0.0
		for j := 0; j <= i; j++ {
			z += S[j]
		}
		for j := 0; j <= i; j++ {
			lin, sm := S[j]/z, 1/float64(i+1)
			if math.Abs(km.Linear[i*km.T+j]-lin) > 1e-5 || math.Abs(km.Softmax[i*km.T+j]-sm) > 1e-12 {
				t.Fatalf("q = 0: [%d,%d] linear %v softmax %v, want %v and %v", i, j, km.Linear[i*km.T+j], km.Softmax[i*km.T+j], lin, sm)
			}
			wantMax = max(wantMax, math.Abs(lin-sm))
		}
	}
	if math.Abs(km.MaxAbs-wantMax) > 1e-5 {
		t.Errorf("q = 0: max |Δ| %v, want %v", km.MaxAbs, wantMax)
	}
	if _, err := KernelMaps(m, tokens, model.HeadID{Layer: 0, Head: 0}); err == nil {
		t.Error("a softmax layer accepted")
	}
	if _, err := KernelMaps(m, tokens, model.HeadID{Layer: 1, Head: 2}); err == nil {
		t.Error("head 2 of a 2-head layer accepted")
	}
	var buf testWriter
	if err := km.Figure("kernel_map.png").Fig.Render(&buf, "png"); err != nil || buf.n == 0 {
		t.Errorf("figure: %v (%d bytes)", err, buf.n)
	}
}

type testWriter struct{ n int }

func (w *testWriter) Write(p []byte) (int, error) { w.n += len(p); return len(p), nil }
