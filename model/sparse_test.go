package model

import (
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// sparseModel returns a rotary attention-only model of the given kinds with
// randomised weights.
func sparseModel[F Float](t *testing.T, nctx int, kinds ...string) *Transformer[F] {
	t.Helper()
	cfg := Config{NLayers: len(kinds), DModel: 16, NHeads: 4, DVocab: 13, NCtx: nctx, AttnOnly: true,
		NormalizationType: "LN", PositionalEmbeddingType: "rotary", Seed: 9, InitRange: 0.5, Attention: kinds}
	m, err := NewInit[F](cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestSparseKindsSaveLoad: a model with sparse kinds (per-head dilations
// among them) loads back with its kinds and gives the same logits.
func TestSparseKindsSaveLoad(t *testing.T) {
	t.Parallel()
	m := sparseModel[float32](t, 20, "window:3:d1,2,4,8", "block-sparse:4:l1:g1:r1:s3")
	path := filepath.Join(t.TempDir(), "m.safetensors")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path, "")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Config.Attention, m.Config.Attention) {
		t.Fatalf("kinds %v loaded back as %v", m.Config.Attention, got.Config.Attention)
	}
	tokens := make([]int32, 20)
	for i := range tokens {
		tokens[i] = int32(i * 7 % 13)
	}
	a, _ := m.Run(tokens, 1, 20, RunOptions{CacheNames: []string{"blocks.0.attn.hook_pattern"}})
	b, _ := got.Run(tokens, 1, 20, RunOptions{CacheNames: []string{"blocks.0.attn.hook_pattern"}})
	if !slices.Equal(a.Logits.Data, b.Logits.Data) {
		t.Fatal("the loaded model gives different logits")
	}
	// Head 3 (dilation 8) sees positions 19, 11, 3 from query 19 only.
	p := a.Cache["blocks.0.attn.hook_pattern"].Data
	T := 20
	row := p[(3*T+19)*T : (3*T+20)*T]
	for j, v := range row {
		if want := j == 19 || j == 11 || j == 3; want != (v != 0) {
			t.Fatalf("L0H3 (dilation 8) attends %g to key %d from query 19", v, j)
		}
	}
	cfg := m.Config
	cfg.Attention = []string{"window:3:d1,2", "softmax"}
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "2 dilations for 4 heads") {
		t.Fatalf("2 dilations for 4 heads: %v", err)
	}
}

// TestSparseKindsGradients checks the float64 engine's gradients with
// sparse kinds against central finite differences.
func TestSparseKindsGradients(t *testing.T) {
	t.Parallel()
	m := sparseModel[float64](t, 9, "window:2:d1,1,2,3", "block-sparse:2:l1:g1:r1", "window:2:g2")
	r := rand.New(rand.NewPCG(4, 4))
	B, T := 2, 9
	tokens, targets := make([]int32, B*T), make([]int32, B*T)
	for i := range tokens {
		tokens[i], targets[i] = int32(r.IntN(13)), int32(r.IntN(13))
	}
	w, err := m.NewWorkspace(B, T)
	if err != nil {
		t.Fatal(err)
	}
	loss := func() float64 {
		l, err := w.ForwardLoss(tokens, targets, nil)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	loss()
	w.ZeroGrad()
	w.Backward()
	for ti, p := range m.Params.Tensors {
		if !strings.Contains(p.Name, "W_Q") && !strings.Contains(p.Name, "W_K") && !strings.Contains(p.Name, "W_V") {
			continue
		}
		g := w.Grads.Tensors[ti].Data
		for _, i := range r.Perm(len(p.Data))[:10] {
			const h = 1e-5
			old := p.Data[i]
			p.Data[i] = old + h
			lp := loss()
			p.Data[i] = old - h
			lm := loss()
			p.Data[i] = old
			fd := (lp - lm) / (2 * h)
			if math.Abs(fd-g[i]) > 1e-4*(math.Abs(fd)+1e-3) {
				t.Fatalf("%s[%d]: gradient %g, finite difference %g", p.Name, i, g[i], fd)
			}
		}
	}
}

// TestStreamingIsWindowWithGlobals: StreamingLLM's S attention sinks plus a
// rolling window, every token at its text position, equals the engine kind
// window:(C−S):gS (C cache slots), token by token; with cache positions it
// differs (by design: positions then stop at C).
func TestStreamingIsWindowWithGlobals(t *testing.T) {
	t.Parallel()
	const C, S, N = 7, 2, 30
	dense := sparseModel[float32](t, N, "softmax", "softmax")
	kinds := fmt.Sprintf("window:%d:g%d", C-S, S)
	sparse, err := New[float32](Config{NLayers: 2, DModel: 16, NHeads: 4, DVocab: 13, NCtx: N, AttnOnly: true,
		NormalizationType: "LN", PositionalEmbeddingType: "rotary", Attention: []string{kinds, kinds}})
	if err != nil {
		t.Fatal(err)
	}
	copy(sparse.Params.Data, dense.Params.Data)
	r := rand.New(rand.NewPCG(5, 5))
	tokens := make([]int32, N)
	for i := range tokens {
		tokens[i] = int32(r.IntN(13))
	}
	full, err := sparse.Run(tokens, 1, N, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range []PositionScheme{TextPositions, CachePositions} {
		d, err := dense.NewDecoder(C, sc)
		if err != nil {
			t.Fatal(err)
		}
		worst := 0.0
		for i, tok := range tokens {
			if d.Len() == C {
				keep := []int{}
				for s := range C {
					if s != S { // evict the oldest token after the sinks
						keep = append(keep, s)
					}
				}
				d.Keep(keep)
			}
			if err := d.Step(tok, i); err != nil {
				t.Fatal(err)
			}
			for v := range 13 {
				worst = max(worst, math.Abs(float64(d.Logits[v]-full.Logits.Data[i*13+v])))
			}
		}
		if sc == TextPositions && worst > 1e-5 {
			t.Errorf("sinks+window at text positions differs from %s by %.2e", kinds, worst)
		}
		if sc == CachePositions && worst < 1e-3 {
			t.Errorf("sinks+window at cache positions equals %s (%.2e): the test cannot tell them apart", kinds, worst)
		}
	}
	// The sparse model decodes too: the decoder masks by text position.
	d, err := sparse.NewDecoder(N, TextPositions)
	if err != nil {
		t.Fatal(err)
	}
	worst := 0.0
	for i, tok := range tokens {
		if err := d.Step(tok, i); err != nil {
			t.Fatal(err)
		}
		for v := range 13 {
			worst = max(worst, math.Abs(float64(d.Logits[v]-full.Logits.Data[i*13+v])))
		}
	}
	if worst > 1e-5 {
		t.Errorf("decoding the %s model differs from its forward by %.2e", kinds, worst)
	}
}

// TestCoveringWindowIsDense: a window (and a window with global tokens)
// at least as long as the sequence hides nothing, so a model with it gives
// the same loss and the same gradients as the same weights with dense
// softmax, on the training workspace: what the sparse kinds train is the
// dense model's function restricted to the keys they see, nothing else.
func TestCoveringWindowIsDense(t *testing.T) {
	t.Parallel()
	const T, B = 24, 2
	r := rand.New(rand.NewPCG(5, 5))
	tokens, targets := make([]int32, B*T), make([]int32, B*T)
	for i := range tokens {
		tokens[i], targets[i] = int32(r.IntN(13)), int32(r.IntN(13))
	}
	lossGrads := func(kinds ...string) (float64, []float32) {
		m := sparseModel[float32](t, T, kinds...)
		w, err := m.NewWorkspace(B, T)
		if err != nil {
			t.Fatal(err)
		}
		l, err := w.ForwardLoss(tokens, targets, nil)
		if err != nil {
			t.Fatal(err)
		}
		w.ZeroGrad()
		w.Backward()
		var g []float32
		for _, gt := range w.Grads.Tensors {
			g = append(g, gt.Data...)
		}
		return l, g
	}
	l0, g0 := lossGrads("softmax", "softmax")
	for _, kinds := range [][]string{{"window:24", "window:30"}, {"window:24:g3", "block-sparse:8:l2"}} {
		l, g := lossGrads(kinds...)
		if l != l0 {
			t.Errorf("%v: loss %v, dense %v", kinds, l, l0)
		}
		for i := range g {
			if math.Abs(float64(g[i]-g0[i])) > 1e-6*(1+math.Abs(float64(g0[i]))) {
				t.Fatalf("%v: gradient %d is %g, dense %g", kinds, i, g[i], g0[i])
			}
		}
	}
}
