package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/attnlab/attnlab/internal/cli"
	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/report"
)

// TestSparseCommand runs the masks and a small cost table; bad flags exit
// 2 with one sentence naming the flag.
func TestSparseCommand(t *testing.T) {
	dir := t.TempDir()
	stdout, stderr, code := runCLI(t, "sparse", "--no-reach", "--n", "256", "--d-head", "16", "--repeats", "1",
		"--kinds", "window:16,window:8:d2,block-sparse:16", "--out", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "Exactness and cost at N = 256") {
		t.Errorf("no cost table on the terminal:\n%s", stdout)
	}
	for _, f := range []string{"sparse_cost.csv", "mask_window8.png", "mask_window4_d1_2_4_8_h3.png", "mask_block-sparse4_l1_g1_r1.png", "manifest.json"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s missing or empty", f)
		}
	}
	f, _ := os.Open(filepath.Join(dir, "sparse_cost.csv"))
	defer f.Close()
	tb, err := report.ReadCSV(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(tb.Rows) != 5 {
		t.Fatalf("sparse_cost.csv has %d rows, want 5", len(tb.Rows))
	}
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"sparse", "--kinds", "window:0"}, "--kinds"},
		{[]string{"sparse", "--mask-kinds", "dense"}, "--mask-kinds"},
		{[]string{"sparse", "--n", "100000000"}, "--n"},
		{[]string{"sparse", "--batch", "0"}, "--batch"},
		{[]string{"sparse", "--mask-len", "1000"}, "--mask-len"},
	} {
		_, stderr, code := runCLI(t, append(c.args, "--out", dir)...)
		if code != 2 || !strings.Contains(stderr, c.msg) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want 2 and one line naming %s", c.args, code, stderr, c.msg)
		}
	}
}

// TestTrainRecorded: a recorded train command run in process gives the
// model that command records, and the same bytes as the command typed.
func TestTrainRecorded(t *testing.T) {
	dir := t.TempDir()
	args := append(append([]string{}, tinyTrain...), "--steps", "10", "--attn", "window:4:d1,2")
	args = cli.WithoutFlags(args, "-q")
	e := &env{stdout: io.Discard, stderr: io.Discard, ctx: context.Background(), width: 100}
	m, err := e.trainRecorded(args, filepath.Join(dir, "a", "m.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := m.Meta[model.MetaTrainedWith], "attnlab "+strings.Join(args, " "); got != want {
		t.Fatalf("trained_with %q, want %q", got, want)
	}
	if m.Config.AttentionKind(1) != "window:4:d1,2" {
		t.Fatalf("kind %q", m.Config.AttentionKind(1))
	}
	if _, stderr, code := runCLI(t, append(args, "-q", "--out", filepath.Join(dir, "b", "m.safetensors"))...); code != 0 {
		t.Fatal(stderr)
	}
	a, _ := os.ReadFile(filepath.Join(dir, "a", "m.safetensors"))
	b, _ := os.ReadFile(filepath.Join(dir, "b", "m.safetensors"))
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Fatal("the in-process run and the typed command wrote different files")
	}
}
