package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/attnlab/attnlab/safetensors"
)

func TestRunSavesCacheAndShowsBytes(t *testing.T) {
	cache := filepath.Join(t.TempDir(), "c.safetensors")
	stdout, stderr, code := runCLI(t, "run", "--model", "embedded:text-sink", "--text", "func", "--json",
		"--hooks", "blocks.0.attn.hook_pattern,hook_embed", "--save-cache", cache)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var out struct {
		Tables []struct {
			Rows []map[string]any `json:"rows"`
		} `json:"tables"`
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatal(err)
	}
	rows := out.Tables[0].Rows
	// The sink token the model was trained with is prepended: 5 positions.
	if len(rows) != 5 || rows[0]["token"] != `'\x00'` || rows[1]["token"] != "'f'" {
		t.Errorf("rows %v", rows)
	}
	f, err := safetensors.ReadFile(cache)
	if err != nil {
		t.Fatal(err)
	}
	for name, shape := range map[string][]int{"tokens": {1, 5}, "logits": {1, 5, 256}, "loss_per_token": {1, 4},
		"blocks.0.attn.hook_pattern": {1, 4, 5, 5}, "hook_embed": {1, 5, 64}} {
		tn, ok := f.Get(name)
		if !ok || len(tn.Shape) != len(shape) {
			t.Errorf("%s: %v, want shape %v", name, tn, shape)
			continue
		}
		for i := range shape {
			if tn.Shape[i] != shape[i] {
				t.Errorf("%s: shape %v, want %v", name, tn.Shape, shape)
			}
		}
	}
}

// TestPatternFlags: run --pattern and induction --pattern draw the chosen
// heads' patterns (on the given tokens, or a chosen sequence of the
// canonical batch) and refuse heads the model does not have.
func TestPatternFlags(t *testing.T) {
	dir := t.TempDir()
	_, stderr, code := runCLI(t, "run", "--tokens", "0 5 9 13 5 9 13", "--pattern", "L1H2,L0H1", "--out", dir)
	if code != 0 {
		t.Fatalf("run --pattern: exit %d: %s", code, stderr)
	}
	for _, f := range []string{"pattern_L1H2.png", "pattern_L0H1.png", "tokens.csv", "manifest.json"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("run --pattern: %s missing or empty", f)
		}
	}
	ind := t.TempDir()
	if _, stderr, code := runCLI(t, "induction", "--batch", "4", "--no-ablation", "--pattern", "L0H0", "--pattern-seq", "3", "--out", ind); code != 0 {
		t.Fatalf("induction --pattern: exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(ind, "pattern_L0H0.png")); err != nil {
		t.Errorf("induction --pattern L0H0: %v", err)
	}
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"run", "--tokens", "1 2", "--pattern", "L2H0"}, "no head L2H0"},
		{[]string{"run", "--tokens", "1 2", "--pattern", "L1"}, `"L1" is not a head`},
		{[]string{"induction", "--pattern", "L0H9"}, "no head L0H9"},
		{[]string{"induction", "--pattern-seq", "40"}, "--pattern-seq must be between 0 and"},
	} {
		_, stderr, code := runCLI(t, append(c.args, "--out", t.TempDir())...)
		if code != 2 || !strings.Contains(stderr, c.msg) {
			t.Errorf("%v: exit %d, %q; want 2 and %q", c.args, code, stderr, c.msg)
		}
	}
}

// TestQuietEverywhere: every command that computes something has -q/--quiet
// (run had none); run -q prints nothing, with or without --pattern, and
// still writes its files.
func TestQuietEverywhere(t *testing.T) {
	root := newRootCmd(&env{})
	for _, c := range root.Commands() {
		// inspect prints and writes nothing else: quiet would leave it nothing to do.
		if c.Name() == "help" || c.Name() == "completion" || c.Name() == "inspect" {
			continue
		}
		if f := c.Flags().ShorthandLookup("q"); f == nil || f.Name != "quiet" {
			t.Errorf("%s has no -q/--quiet", c.Name())
		}
	}
	dir := t.TempDir()
	cache := filepath.Join(dir, "c.safetensors")
	stdout, stderr, code := runCLI(t, "run", "-q", "--model", "embedded:text-sink", "--text", "func", "--save-cache", cache)
	if code != 0 || stdout != "" || stderr != "" {
		t.Errorf("run -q: exit %d, stdout %q, stderr %q; want 0 and nothing printed", code, stdout, stderr)
	}
	if _, err := os.Stat(cache); err != nil {
		t.Errorf("run -q wrote no cache: %v", err)
	}
	out := filepath.Join(dir, "p")
	stdout, stderr, code = runCLI(t, "run", "--quiet", "--tokens", "0 5 9 5 9", "--pattern", "L1H2", "--out", out)
	if code != 0 || stdout != "" || stderr != "" {
		t.Errorf("run --quiet --pattern: exit %d, stdout %q, stderr %q; want 0 and nothing printed", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "pattern_L1H2.png")); err != nil {
		t.Errorf("run --quiet --pattern wrote no figure: %v", err)
	}
}
