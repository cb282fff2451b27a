package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/attnlab/attnlab/report"
)

func runLine(t *testing.T, line string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(strings.Fields(line), &o, &e)
	return code, o.String(), e.String()
}

func TestSinkAnalysisEmbedded(t *testing.T) {
	dir := t.TempDir()
	code, out, errs := runLine(t, "sink-analysis --batch 4 --streaming --streams 1 --stream-len 160 --windows 8,32 --out "+dir)
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
	if len(tb.Rows) != 2*4 || tb.Rows[5][0] != "L1H1" {
		t.Errorf("sink_mass.csv: %d rows, row 5 %v; want 8 heads L0H0..L1H3", len(tb.Rows), tb.Rows[5])
	}
	ai := tb.Column("alpha")
	for _, r := range tb.Rows {
		if a, ok := report.Float(r[ai]); !ok || a < 0 || a > 1 {
			t.Errorf("alpha %v outside [0, 1]", r[ai])
		}
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

func TestSinkAnalysisBadInput(t *testing.T) {
	for _, c := range []struct {
		line, msg string
		code      int
	}{
		{"sink-analysis --epsilon 2", "attnlab: --epsilon must be between 0 and 1, got 2\n", 2},
		{"sink-analysis --k 0", "attnlab: --k must be at least 1 (one-based), got 0\n", 2},
		{"sink-analysis --seq-len 1000", "attnlab: --seq-len must be between 2 and the model's n_ctx (64), got 1000\n", 2},
		{"sink-analysis --streaming --windows 8,x", "attnlab: --windows must list cache sizes between 2 and n_ctx (64), got \"x\"\n", 2},
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
