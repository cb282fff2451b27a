package phase

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/tasks"
	"github.com/attnlab/attnlab/train"
)

func TestNewAndAttach(t *testing.T) {
	t.Parallel()
	ind, err := tasks.NewInduction(tasks.DefaultInductionConfig())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.go"), []byte(strings.Repeat("package main // sinks\n", 80)), 0o644); err != nil {
		t.Fatal(err)
	}
	text, err := tasks.LoadText(filepath.Join(dir, "a.go"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New("induction", text, 16, 1); err == nil || !strings.Contains(err.Error(), "induction task") {
		t.Errorf("induction tracker on text: %v", err)
	}
	if _, err := New("phases", ind, 16, 1); err == nil {
		t.Error("unknown tracker accepted")
	}
	if _, err := New("sinks", text, 1<<20, 1); err == nil {
		t.Error("sink tracker accepted windows longer than the text")
	}
	tk, err := New("sinks", text, 16, 1)
	if err != nil {
		t.Fatal(err)
	}
	var opt train.Options
	Attach(&opt, tk, 7)
	if opt.OnEval == nil || opt.EvalEvery != 7 {
		t.Fatalf("Attach: OnEval set %v, EvalEvery %d", opt.OnEval != nil, opt.EvalEvery)
	}
	m, err := model.NewInit[float32](model.Config{NLayers: 1, DModel: 16, NHeads: 2, DVocab: 256, NCtx: 16, AttnOnly: true,
		NormalizationType: "LN", PositionalEmbeddingType: "rotary", Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := opt.OnEval(7, m); err != nil {
		t.Fatal(err)
	}
	if r := tk.Results(); len(r.Tables) != 2 || len(r.Tables[1].Rows) != 2 {
		t.Errorf("sink tracker results after one measurement: %+v", r.Tables)
	}
	if _, err := New("induction", ind, 64, 1); err != nil {
		t.Errorf("induction tracker: %v", err)
	}
}
