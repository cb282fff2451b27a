package main

import (
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/attnlab/attnlab/fixtures"
	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/safetensors"
)

// TestWindowKindModels (issue 11's acceptance): a model trained with a
// window kind loads back with its kind, and induction, run and
// sink-analysis work on it. The embedded reach-window model answers
// induction and run (its cached pattern is zero beyond the window); a
// byte-level text model trained for a few steps with a window with
// global tokens answers sink-analysis.
func TestWindowKindModels(t *testing.T) {
	dir := t.TempDir()
	m, err := fixtures.Model("reach-window")
	if err != nil {
		t.Fatal(err)
	}
	for l := range m.Config.NLayers {
		if k := m.Config.AttentionKind(l); k != "window:16" {
			t.Fatalf("embedded:reach-window layer %d has kind %q, want window:16", l, k)
		}
	}
	if code, out, errs := runLine(t, "inspect embedded:reach-window"); code != 0 || !strings.Contains(out, "window:16,window:16") {
		t.Errorf("inspect: exit %d, %s; want the kinds window:16,window:16 shown:\n%s", code, errs, out)
	}
	code, out, errs := runLine(t, "induction --model embedded:reach-window --no-ablation --batch 4 --out "+filepath.Join(dir, "ind"))
	if code != 0 || !strings.Contains(out, "loss_second_repeat") {
		t.Fatalf("induction: exit %d: %s\n%s", code, errs, out)
	}

	// run: 40 tokens, the pattern cached; keys 16 or more back get nothing.
	var toks []string
	for i := range 40 {
		toks = append(toks, fmt.Sprint(1+i%31))
	}
	cache := filepath.Join(dir, "c.safetensors")
	code, _, errs = runLine(t, "run --model embedded:reach-window --hooks blocks.1.attn.hook_pattern --save-cache "+cache+
		" --tokens "+strings.Join(toks, ","))
	if code != 0 {
		t.Fatalf("run: exit %d: %s", code, errs)
	}
	f, err := safetensors.ReadFile(cache)
	if err != nil {
		t.Fatal(err)
	}
	pt, ok := f.Get("blocks.1.attn.hook_pattern")
	if !ok || fmt.Sprint(pt.Shape) != "[1 4 40 40]" {
		t.Fatalf("cached pattern %v", pt)
	}
	p, err := pt.Float32()
	if err != nil {
		t.Fatal(err)
	}
	for h := range 4 {
		for i := range 40 {
			sum := 0.0
			for j := range 40 {
				v := float64(p[(h*40+i)*40+j])
				sum += v
				if (j > i || i-j >= 16) && v != 0 {
					t.Fatalf("head %d: query %d attends to key %d (%g), outside window:16", h, i, j, v)
				}
			}
			if math.Abs(sum-1) > 1e-5 {
				t.Fatalf("head %d query %d: row sums to %g", h, i, sum)
			}
		}
	}

	// sink-analysis on a byte-level model trained with a window kind.
	const kind = "window:8:g2"
	w := filepath.Join(dir, "w", "m.safetensors")
	code, _, errs = runLine(t, "train -q --task text --pos rotary --layers 1 --d-model 16 --heads 2 --seq-len 32 --batch 4 --steps 3 --attn "+kind+" --out "+w)
	if code != 0 {
		t.Fatalf("train --attn %s: exit %d: %s", kind, code, errs)
	}
	tm, err := model.Load(w, "")
	if err != nil {
		t.Fatal(err)
	}
	if k := tm.Config.AttentionKind(0); k != kind {
		t.Fatalf("trained with %s, loads back as %q", kind, k)
	}
	code, out, errs = runLine(t, "sink-analysis --model "+w+" --batch 2 --out "+filepath.Join(dir, "sa"))
	if code != 0 || !strings.Contains(out, "L0H1") {
		t.Fatalf("sink-analysis: exit %d: %s\n%s", code, errs, out)
	}
}
