package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/attnlab/attnlab/fixtures"
	"github.com/attnlab/attnlab/internal/cli"
	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/report"
	"github.com/attnlab/attnlab/tasks"
)

func TestSinkAnalysisEmbedded(t *testing.T) {
	dir := t.TempDir()
	code, out, errs := runLine(t, "sink-analysis --model embedded:text-sink --batch 4 --streaming --streams 1 --stream-len 160 --windows 8,32 --out "+dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"Attention sinks", "first_token", "sinks4+window", "recompute"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	for _, f := range []string{"sink_summary.csv", "sink_mass.csv", "sink_by_position.csv", "residual_norms.csv", "first_token.csv",
		"sink_heatmap.png", "sink_by_position.png", "streaming.csv", "streaming_sweep.csv", "streaming_loss.png", "streaming_sweep.png", "manifest.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("missing %s", f)
		}
	}
	f, err := os.Open(filepath.Join(dir, "sink_mass.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tb, err := report.ReadCSV(f)
	if err != nil {
		t.Fatal(err)
	}
	def, err := fixtures.Model("text-sink")
	if err != nil {
		t.Fatal(err)
	}
	if n := def.Config.NLayers * def.Config.NHeads; len(tb.Rows) != n {
		t.Errorf("sink_mass.csv: %d rows, want %d heads", len(tb.Rows), n)
	}
	if !strings.Contains(out, "sinks1+recompute") {
		t.Error("the embedded sink-token model has no sinks1+recompute row")
	}
	ai, prev := tb.Column("alpha"), 2.0
	for _, r := range tb.Rows {
		a, ok := report.Float(r[ai])
		if !ok || a < 0 || a > 1 {
			t.Errorf("alpha %v outside [0, 1]", r[ai])
		}
		if a > prev {
			t.Errorf("sink_mass.csv is not sorted by alpha: %v after %v", a, prev)
		}
		prev = a
	}
}

func TestSinkAnalysisCompareAndTrack(t *testing.T) {
	dir := t.TempDir()
	code, out, errs := runLine(t, "sink-analysis -q --compare --steps 2 --batch 2 --compare-dir "+filepath.Join(dir, "v")+" --out "+dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if out != "" {
		t.Errorf("--quiet printed %q", out)
	}
	for _, v := range []string{"softmax", "softmax1", "learned-sink", "sigmoid", "sink-token"} {
		if _, err := os.Stat(filepath.Join(dir, "v", v+".safetensors")); err != nil {
			t.Errorf("variant %s not saved", v)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "variants.png")); err != nil {
		t.Error("variants.png missing")
	}
	tdir := t.TempDir()
	code, _, errs = runLine(t, "train -q --task text --pos rotary --layers 1 --d-model 16 --heads 2 --seq-len 16 --batch 4 --steps 4 --track sinks --every 2 --out "+filepath.Join(tdir, "m.safetensors"))
	if code != 0 {
		t.Fatalf("train --track sinks: exit %d: %s", code, errs)
	}
	for _, f := range []string{"sink_tracking.csv", "sink_tracking_summary.csv", "sink_tracking.png", "sink_tracking_loss.png"} {
		if _, err := os.Stat(filepath.Join(tdir, f)); err != nil {
			t.Errorf("missing %s", f)
		}
	}
}

// TestSinkAnalysisDefault: without --model, sink-analysis measures the
// embedded natural-sink model with its own BOS and streams it by
// re-computation (learned positions).
func TestSinkAnalysisDefault(t *testing.T) {
	dir := t.TempDir()
	code, out, errs := runLine(t, "sink-analysis --batch 2 --streaming --streams 1 --stream-len 300 --window 16 --windows 16 --out "+dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	man, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(man), `"model": "embedded:text-bos-learned"`) || !strings.Contains(errs, "first token: BOS 0, the model's own") {
		t.Errorf("default model or BOS: manifest\n%s\nstderr\n%s", man, errs)
	}
	if !strings.Contains(out, "sinks1+recompute") || strings.Contains(out, "sinks4+window") {
		t.Errorf("a learned-position model streams by re-computation only:\n%s", out)
	}
}

func TestSinkAnalysisBadInput(t *testing.T) {
	for _, c := range []struct {
		line, msg string
		code      int
	}{
		{"sink-analysis --epsilon 2", "attnlab: --epsilon must be between 0 and 1, got 2\n", 2},
		{"sink-analysis --k 0", "attnlab: --k must be at least 1 (one-based), got 0\n", 2},
		{"sink-analysis --seq-len 1000", "attnlab: --seq-len must be between 2 and the model's n_ctx (256), got 1000\n", 2},
		{"sink-analysis --streaming --windows 8,x", "attnlab: --windows must list cache sizes between 5 (four sinks and a recent token) and n_ctx (256), got \"x\"\n", 2},
		{"sink-analysis --model embedded:induction-2l", "attnlab: sink-analysis needs a byte-level text model (d_vocab ≥ 256); embedded:induction-2l has d_vocab ", 2},
		{"sink-analysis --model /nonexistent.safetensors", "", 1},
	} {
		code, _, errs := runLine(t, c.line)
		// msg is the exact line, or its beginning when it does not end the line.
		if code != c.code || !strings.HasPrefix(errs, c.msg) || (strings.HasSuffix(c.msg, "\n") && errs != c.msg) || strings.Count(errs, "\n") != 1 {
			t.Errorf("%s: exit %d, stderr %q; want %d, %q", c.line, code, errs, c.code, c.msg)
		}
	}
}

// TestTrainSinkToken: --sink-token trains on windows that start with byte 0,
// records it in the model, and sink-analysis then keeps the sink token in
// front of its windows and streams (sinks1+recompute).
func TestTrainSinkToken(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "m.safetensors")
	code, _, errs := runLine(t, "train -q --task text --sink-token --pos rotary --layers 1 --d-model 16 --heads 2 --seq-len 16 --batch 4 --steps 4 --track sinks --every 2 --out "+out)
	if code != 0 {
		t.Fatalf("train --sink-token: exit %d: %s", code, errs)
	}
	m, err := model.Load(out, "")
	if err != nil {
		t.Fatal(err)
	}
	if m.Meta["task"] != "text+sink" || m.Meta["tokenizer"] != "bytes" || !strings.Contains(m.Meta["task_spec"], `"sink_token":0`) {
		t.Errorf("metadata task %q tokenizer %q spec %s", m.Meta["task"], m.Meta["tokenizer"], m.Meta["task_spec"])
	}
	if tasks.SinkTokenID != 0 {
		t.Errorf("sink token %d, want byte 0", tasks.SinkTokenID)
	}
	code, stdout, errs := runLine(t, "sink-analysis --model "+out+" --batch 2 --streaming --streams 1 --stream-len 40 --windows 8 --out "+filepath.Join(dir, "sa"))
	if code != 0 {
		t.Fatalf("sink-analysis: exit %d: %s", code, errs)
	}
	if !strings.Contains(stdout, "sinks1+recompute") {
		t.Errorf("no sinks1+recompute row for a sink-token model:\n%s", stdout)
	}
	code, _, errs = runLine(t, "train -q --task induction --sink-token --steps 1 --out "+filepath.Join(dir, "i.safetensors"))
	if code != 2 || !strings.Contains(errs, "--sink-token need --task text") {
		t.Errorf("--sink-token with induction: exit %d, %q", code, errs)
	}
}

// TestSinkFixtureRecordsItsCommand: the embedded default of sink-analysis
// was trained with exactly the command in fixtures/README.md.
func TestSinkFixtureRecordsItsCommand(t *testing.T) {
	m, err := fixtures.Model("text-sink")
	if err != nil {
		t.Fatal(err)
	}
	cmd := fixtureCommands(t)["text-sink"]
	if cmd == nil {
		t.Fatal("fixtures/README.md has no attnlab train command under text-sink.safetensors")
	}
	want := strings.Join(cli.WithoutFlags(append([]string{"attnlab"}, cmd...), "--out"), " ")
	if got := m.Meta["trained_with"]; got != want {
		t.Errorf("text-sink was trained with\n  %s\nbut fixtures/README.md says\n  %s", got, want)
	}
	if m.Meta["task"] != "text+sink" {
		t.Errorf("text-sink task %q, want text+sink", m.Meta["task"])
	}
}
