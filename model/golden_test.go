package model

import (
	"math"
	"os"
	"strings"
	"testing"

	"github.com/attnlab/attnlab/safetensors"
)

// goldenModels are the four TransformerLens-layout models in
// testdata/golden, with PyTorch float64 reference outputs beside them.
var goldenModels = []string{"attn_only_2l", "ln_mlp_gelu_new_2l", "rotary_mlp_relu_2l", "lnpre_mlp_gelu_3l"}

// TestGolden runs each golden model on the reference tokens and compares
// logits, losses, residual streams, attention patterns and every parameter
// gradient with PyTorch (llm.c test_gpt2.c style), reporting the largest
// difference per tensor. Tolerances, float32 engine: values are O(1) and
// pass through ~10 float32 ops of 32-64 terms, so 1e-4 absolute on logits
// and residuals; patterns are in [0, 1] and come from a float64-statistics
// softmax, so 1e-5; gradients 1e-4 relative to the tensor's largest entry.
// The gradient of b_K is exactly zero in theory (softmax is invariant to a
// shift shared by all keys), so the relative scale has a floor: 1e-4 of
// the loss gradient's typical size.
func TestGolden(t *testing.T) {
	for _, name := range goldenModels {
		t.Run(name+"/f32", func(t *testing.T) { t.Parallel(); checkGolden[float32](t, name, 1e-4, 1e-5, 1e-4) })
		// The cache and logits are float32 tensors whatever the engine's
		// precision, so float64 activations agree to float32 rounding (1e-6);
		// float64 gradients stay float64 and agree to 1e-9.
		t.Run(name+"/f64", func(t *testing.T) { t.Parallel(); checkGolden[float64](t, name, 1e-6, 1e-6, 1e-9) })
	}
}

// sinkGoldenModels are the sink-rule models of model/testdata/make_golden.py
// (softmax1, learned sink with learned and rotary positions, sigmoid),
// checked like goldenModels once the script has written them.
var sinkGoldenModels = []string{"softmax1_2l", "learned_sink_2l", "learned_sink_rotary_2l", "sigmoid_2l"}

// TestSinkRuleGolden compares the sink rules' forward and backward with
// PyTorch float64 references, as TestGolden does. The references come from
// model/testdata/make_golden.py, which needs PyTorch; a model whose files
// are not there yet is skipped with a message saying how to make them.
func TestSinkRuleGolden(t *testing.T) {
	for _, name := range sinkGoldenModels {
		t.Run(name, func(t *testing.T) {
			if _, err := os.Stat("testdata/golden/" + name + ".expected.safetensors"); err != nil {
				t.Skipf("no PyTorch reference for %s yet: run python3 model/testdata/make_golden.py --only %s (needs torch and safetensors)", name, name)
			}
			t.Run("f32", func(t *testing.T) { t.Parallel(); checkGolden[float32](t, name, 1e-4, 1e-5, 1e-4) })
			t.Run("f64", func(t *testing.T) { t.Parallel(); checkGolden[float64](t, name, 1e-6, 1e-6, 1e-9) })
		})
	}
}

func checkGolden[F Float](t *testing.T, name string, tolAct, tolPattern, tolGrad float64) {
	m, err := LoadAs[F]("testdata/golden/"+name+".model.safetensors", "")
	if err != nil {
		t.Fatal(err)
	}
	exp, err := safetensors.ReadFile("testdata/golden/" + name + ".expected.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	get := func(key string) []float64 {
		st, ok := exp.Get(key)
		if !ok {
			t.Fatalf("expected file has no %q", key)
		}
		v, err := st.Float64()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tokSt, _ := exp.Get("tokens")
	tok64, _ := tokSt.Int64()
	B, T := tokSt.Shape[0], tokSt.Shape[1]
	tokens := make([]int32, len(tok64))
	for i, v := range tok64 {
		tokens[i] = int32(v)
	}
	compare := func(key string, got []float32, want []float64, tol float64, relative bool) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s: %d values, want %d", key, len(got), len(want))
		}
		maxDiff, maxRef := 0.0, 0.0
		for i := range got {
			maxDiff = max(maxDiff, math.Abs(float64(got[i])-want[i]))
			maxRef = max(maxRef, math.Abs(want[i]))
		}
		lim := tol
		if relative {
			lim = tol * max(maxRef, 1e-4)
		}
		t.Logf("%-34s max |diff| %.2e (limit %.1e)", key, maxDiff, lim)
		if !(maxDiff <= lim) {
			t.Errorf("%s: max |diff| %.3e exceeds %.1e", key, maxDiff, lim)
		}
	}

	var cacheNames []string
	for _, st := range exp.Tensors {
		if strings.HasPrefix(st.Name, "blocks.") {
			cacheNames = append(cacheNames, st.Name)
		}
	}
	out, err := m.Run(tokens, B, T, RunOptions{CacheNames: cacheNames})
	if err != nil {
		t.Fatal(err)
	}
	compare("logits", out.Logits.Data, get("logits"), tolAct, false)
	compare("loss_per_token", out.Losses.Data, get("loss_per_token"), tolAct, false)
	for _, n := range cacheNames {
		tol := tolAct
		if strings.HasSuffix(n, "hook_pattern") {
			tol = tolPattern
		}
		compare(n, out.Cache[n].Data, get(n), tol, false)
	}

	w, err := m.NewWorkspace(B, T)
	if err != nil {
		t.Fatal(err)
	}
	targets := make([]int32, B*T)
	for b := range B {
		for i := range T {
			targets[b*T+i] = -1
			if i+1 < T {
				targets[b*T+i] = tokens[b*T+i+1]
			}
		}
	}
	loss, err := w.ForwardLoss(tokens, targets, nil)
	if err != nil {
		t.Fatal(err)
	}
	compare("loss", []float32{float32(loss)}, get("loss"), tolAct, false)
	w.ZeroGrad()
	w.Backward()
	for _, g := range w.Grads.Tensors {
		got := make([]float32, len(g.Data))
		for i, v := range g.Data {
			got[i] = float32(v)
		}
		if _, ok := any(g.Data).([]float64); ok {
			// compare float64 gradients in float64
			compare64(t, "grad."+g.Name, any(g.Data).([]float64), get("grad."+g.Name), tolGrad)
			continue
		}
		compare("grad."+g.Name, got, get("grad."+g.Name), tolGrad, true)
	}
}

func compare64(t *testing.T, key string, got, want []float64, tol float64) {
	t.Helper()
	maxDiff, maxRef := 0.0, 0.0
	for i := range got {
		maxDiff = max(maxDiff, math.Abs(got[i]-want[i]))
		maxRef = max(maxRef, math.Abs(want[i]))
	}
	if !(maxDiff <= tol*max(maxRef, 1e-4)) {
		t.Errorf("%s: max |diff| %.3e exceeds %.1e relative to %.3e", key, maxDiff, tol, maxRef)
	}
}
