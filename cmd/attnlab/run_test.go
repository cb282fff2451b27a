package main

import (
	"encoding/json"
	"path/filepath"
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
