package sinkvariants

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/sinks"
	"github.com/attnlab/attnlab/tasks"
	"github.com/attnlab/attnlab/train"
)

// TestRunAndReload trains two variants for a few steps on a small text
// file, checks the study's rows and reloads them from the directory.
func TestRunAndReload(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	txt := strings.Repeat("package main\n\nfunc main() { println(\"hello, sinks\") }\n", 60)
	if err := os.WriteFile(filepath.Join(dir, "a.go"), []byte(txt), 0o644); err != nil {
		t.Fatal(err)
	}
	corpus, err := tasks.LoadText(filepath.Join(dir, "a.go"))
	if err != nil {
		t.Fatal(err)
	}
	base := model.Config{NLayers: 1, DModel: 16, NHeads: 2, DVocab: 256, NCtx: 12, AttnOnly: true, NormalizationType: "LN",
		PositionalEmbeddingType: "rotary", Seed: 1}
	opt := Options{Base: base, Train: train.Options{Steps: 3, Batch: 4, Seed: 1}, Dir: filepath.Join(dir, "v"), Batch: 4,
		Sinks: sinks.Options{GuLen: 12}}
	vs := []Variant{Variants()[2], Variants()[4]}
	rs, err := Run(context.Background(), corpus, vs, opt)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 || !rs[0].Trained || rs[1].Variant.Name != "sink-token" || math.IsNaN(rs[0].ValLoss) {
		t.Fatalf("results %+v", rs)
	}
	if got := rs[0].Model.Config.AttentionKind(0); got != "learned-sink" {
		t.Errorf("variant trained with %q", got)
	}
	again, err := Run(context.Background(), corpus, vs, opt)
	if err != nil {
		t.Fatal(err)
	}
	if again[0].Trained || again[0].MeanAlpha != rs[0].MeanAlpha {
		t.Errorf("second run retrained or differs: %+v", again[0])
	}
	if tb := Table(rs); len(tb.Rows) != 2 {
		t.Errorf("table rows %d", len(tb.Rows))
	}
	if r := Results(rs); len(r.Tables) != 1 || len(r.Figures) != 1 {
		t.Errorf("results: %d tables, %d figures", len(r.Tables), len(r.Figures))
	}

	// A file's name does not make it a variant (issue 9, item 12): the
	// learned-sink model copied to softmax1.safetensors, or the sink-token
	// one (softmax) to softmax.safetensors, is refused by what it records.
	b, err := os.ReadFile(filepath.Join(opt.Dir, "learned-sink.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(opt.Dir, "softmax1.safetensors"), b, 0o644)
	if _, err := Run(context.Background(), corpus, []Variant{Variants()[1]}, opt); err == nil ||
		!strings.Contains(err.Error(), `softmax1.safetensors records attention "learned-sink" in layer 0, not the softmax1 variant's "softmax1"`) {
		t.Errorf("a learned-sink model named softmax1: %v", err)
	}
	b, _ = os.ReadFile(filepath.Join(opt.Dir, "sink-token.safetensors"))
	os.WriteFile(filepath.Join(opt.Dir, "softmax.safetensors"), b, 0o644)
	if _, err := Run(context.Background(), corpus, []Variant{Variants()[0]}, opt); err == nil ||
		!strings.Contains(err.Error(), "holds a model trained with a sink token; the softmax variant is a model trained without a sink token") {
		t.Errorf("a sink-token model named softmax: %v", err)
	}
}
