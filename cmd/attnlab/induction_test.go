package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/attnlab/attnlab/report"
)

func TestInductionCommandWritesEverything(t *testing.T) {
	dir := t.TempDir()
	stdout, stderr, code := runCLI(t, "induction", "--out", dir, "--batch", "8")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, f := range []string{"heads.csv", "composition.csv", "summary.csv", "loss_by_position.csv", "manifest.json",
		"induction_scores.png", "prefix_matching.png", "composition_k.png", "loss_by_position.png", "ablation_zero.png"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s missing or empty", f)
		}
	}
	if !strings.Contains(stdout, "L1H") || !strings.Contains(stdout, "loss_second_repeat") {
		t.Errorf("terminal output lacks the heads table or summary:\n%s", stdout)
	}
	f, _ := os.Open(filepath.Join(dir, "heads.csv"))
	defer f.Close()
	heads, err := report.ReadCSV(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(heads.Rows) != 8 || heads.Column("prefix_matching") < 0 {
		t.Errorf("heads.csv has %d rows, want 8 with a prefix_matching column", len(heads.Rows))
	}
	var man report.Manifest
	b, _ := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err := json.Unmarshal(b, &man); err != nil || man.Model != "embedded:induction-2l" || len(man.Files) < 15 {
		t.Errorf("manifest: %+v (%v)", man, err)
	}
}

func TestInductionOnAnyModel(t *testing.T) {
	// A three-layer MLP model with 2 heads and n_ctx 24 (L at most 11).
	dir := t.TempDir()
	stdout, stderr, code := runCLI(t, "induction", "--model", "../../model/testdata/golden/lnpre_mlp_gelu_3l.model.safetensors", "--out", dir, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var out struct {
		Tables []struct {
			Name string           `json:"name"`
			Rows []map[string]any `json:"rows"`
		} `json:"tables"`
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("--json output is not JSON: %v", err)
	}
	rows := map[string]int{}
	for _, tb := range out.Tables {
		rows[tb.Name] = len(tb.Rows)
	}
	// 6 heads; 2×2 (L0→L1) + 2×2 (L0→L2) + 2×2 (L1→L2) composition pairs;
	// L = 11, so T = 23 and 22 predicted positions.
	if rows["heads"] != 6 || rows["composition"] != 12 || rows["loss_by_position"] != 22 {
		t.Errorf("table sizes %v", rows)
	}
}
