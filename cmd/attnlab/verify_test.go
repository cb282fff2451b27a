package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/attnlab/attnlab/safetensors"
)

// TestVerify: a model against its own saved cache passes; a cache with one
// element changed fails with exit 1 and names the tensor; the golden
// PyTorch reference passes at its tolerances; two caches compare directly.
func TestVerify(t *testing.T) {
	dir := t.TempDir()
	cache := filepath.Join(dir, "c.safetensors")
	if _, stderr, code := runCLI(t, "run", "--tokens", "0 5 9 13 5 9", "--hooks", "*", "--save-cache", cache); code != 0 {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	out := filepath.Join(dir, "out")
	stdout, stderr, code := runCLI(t, "verify", "--reference", cache, "--out", out)
	if code != 0 || !strings.Contains(stdout, "31 tensors: 0 failed") {
		t.Fatalf("own cache: exit %d, stderr %q, stdout %q", code, stderr, stdout)
	}

	// Perturb one element of blocks.1.attn.hook_z and one of the logits.
	f, err := safetensors.ReadFile(cache)
	if err != nil {
		t.Fatal(err)
	}
	var ts []safetensors.WriteTensor
	for _, tn := range f.Tensors {
		if tn.Name == "tokens" {
			ids, _ := tn.Int64()
			ts = append(ts, safetensors.WriteTensor{Name: tn.Name, Shape: tn.Shape, I64: ids})
			continue
		}
		d, _ := tn.Float32()
		if tn.Name == "blocks.1.attn.hook_z" {
			d[3*4*16+1*16+7] += 0.01 // [0, 3, 1, 7]
		}
		ts = append(ts, safetensors.WriteTensor{Name: tn.Name, Shape: tn.Shape, F32: d})
	}
	bad := filepath.Join(dir, "bad.safetensors")
	if err := safetensors.WriteFile(bad, ts, nil); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code = runCLI(t, "verify", "--reference", bad, "--out", out, "--json")
	if code != 1 || !strings.Contains(stderr, "1 of 31 tensors fail: blocks.1.attn.hook_z (FAIL)") || strings.Count(stderr, "\n") != 1 {
		t.Fatalf("perturbed: exit %d, stderr %q", code, stderr)
	}
	if !strings.Contains(stdout, `"worst_index": "[0 3 1 7]"`) {
		t.Errorf("the worst element is not located at [0 3 1 7]: %s", stdout)
	}
	// Two caches: the same comparison without a model.
	if _, stderr, code = runCLI(t, "verify", cache, bad, "--out", out, "-q"); code != 1 || !strings.Contains(stderr, "blocks.1.attn.hook_z") {
		t.Fatalf("two files: exit %d, stderr %q", code, stderr)
	}
	if _, stderr, code = runCLI(t, "verify", cache, cache, "--out", out, "-q"); code != 0 {
		t.Fatalf("a cache against itself: exit %d, stderr %q", code, stderr)
	}
	// Shapes that differ are reported, not crashed on: the one-layer model's
	// logits fit, its layer-1 tensors are a layer it does not have.
	stdout, _, code = runCLI(t, "verify", "--model", "embedded:induction-1l", "--reference", cache, "--out", out)
	if code != 1 || !strings.Contains(stdout, "missing") {
		t.Fatalf("another model: exit %d, stdout %q", code, stdout)
	}

	// The independent PyTorch float64 implementation, gradients included.
	g := "../../model/testdata/golden/rotary_mlp_relu_2l"
	if stdout, stderr, code = runCLI(t, "verify", "--model", g+".model.safetensors", "--reference", g+".expected.safetensors",
		"--rtol", "1e-4", "--atol", "1e-4", "--out", out); code != 0 {
		t.Fatalf("golden: exit %d: %s\n%s", code, stderr, stdout)
	}

	for _, c := range [][]string{
		{"verify"},
		{"verify", cache},
		{"verify", cache, cache, "--reference", cache},
		{"verify", "--reference", cache, "--rtol", "-1"},
		{"verify", "--reference", cache, "--atol", "NaN"},
		{"verify", "--reference", cache, "--atol", "Inf"},
	} {
		if _, stderr, code := runCLI(t, c...); code != 2 || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want usage exit 2 and one line", c, code, stderr)
		}
	}
}
