package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/attnlab/attnlab/fixtures"
	"github.com/attnlab/attnlab/report"
	"github.com/olekukonko/tablewriter/pkg/twwidth"
)

// TestTablesFitTheTerminal runs every command that prints tables with its
// output not a terminal (so 100 columns), and some at COLUMNS=80, and
// checks that no line is wider.
func TestTablesFitTheTerminal(t *testing.T) {
	dir := t.TempDir()
	mqarModel := filepath.Join(dir, "mqar", "m.safetensors")
	lines := [][]string{
		{"induction", "--batch", "4"},
		{"induction", "--batch", "4", "--model", "embedded:induction-1l"},
		{"sink-analysis", "--batch", "4"},
		{"sink-analysis", "--batch", "4", "--model", "embedded:text-rotary", "--streaming", "--streams", "1", "--stream-len", "160", "--windows", "16,64"},
		{"retrieval", "--parts", "analytic,scaling", "--dims", "16", "--maps", "elu,taylor", "--scaling-n", "64,128"},
		{"retrieval", "--parts", "mqar", "--kinds", "softmax,linear:elu", "--d-models", "16", "--kv-pairs", "2", "--steps", "4", "--batch", "4", "--eval-seqs", "8", "--seeds", "1"},
		append(append([]string{}, tinyTrain[:len(tinyTrain)-1]...), "--steps", "4", "--track", "induction", "--every", "2"),
		{"train", "--task", "mqar", "--steps", "4", "--batch", "4", "--layers", "1", "--d-model", "16", "--heads", "2", "--out", mqarModel},
		{"retrieval", "--eval-only", "--model", mqarModel, "--eval-seqs", "8"},
		{"run", "--model", "embedded:text-sink", "--text", "func main() { return }"},
		{"run", "--tokens", "0 5 9 13 5 9 13"},
		{"run", "--tokens", "0 5 9 13 5 9 13", "--pattern", "L1H2"},
		{"merge", filepath.Join(dir, "out", "", "f", "mqar.csv")}, // the retrieval --parts mqar run above
		{"verify", "--model", "../../model/testdata/golden/rotary_mlp_relu_2l.model.safetensors",
			"--reference", "../../model/testdata/golden/rotary_mlp_relu_2l.expected.safetensors"},
		{"bench", "--min-n", "256", "--max-n", "512", "--repeats", "1"},
		{"ring", "--n", "256", "--hosts", "2", "--no-sweeps"},
	}
	for _, name := range fixtures.Names() {
		lines = append(lines, []string{"inspect", "embedded:" + name})
	}
	for _, cols := range []string{"", "80"} {
		t.Setenv("COLUMNS", cols)
		width := 100
		if cols != "" {
			width = 80
		}
		for i, line := range lines {
			if cols != "" && !slices.Contains([]string{"induction", "sink-analysis", "run"}, line[0]) {
				continue
			}
			args := append([]string{}, line...)
			if slices.Contains([]string{"induction", "sink-analysis", "retrieval", "run", "verify", "bench", "ring"}, args[0]) {
				args = append(args, "--out", filepath.Join(dir, "out", cols, string(rune('a'+i))))
			}
			if args[0] == "merge" {
				args = append(args, "--out", filepath.Join(dir, "merged", cols, "mqar.csv"))
			}
			if args[0] == "train" && !slices.Contains(args, "--out") {
				args = append(args, "--out", filepath.Join(dir, "train", cols, "m.safetensors"))
			}
			stdout, stderr, code := runCLI(t, args...)
			if code != 0 {
				t.Errorf("%v: exit %d: %s", args, code, stderr)
				continue
			}
			if !strings.Contains(stdout, "┌") {
				t.Errorf("%v: no table printed:\n%s", args, stdout)
			}
			for _, l := range strings.Split(stdout, "\n") {
				if w := twwidth.Width(l); w > width {
					t.Errorf("COLUMNS=%q %v: a line is %d columns wide (limit %d):\n%s", cols, args, w, width, l)
				}
			}
		}
	}
}

// TestWideShowsEveryColumn: --wide prints the full heads table.
func TestWideShowsEveryColumn(t *testing.T) {
	t.Setenv("COLUMNS", "")
	stdout, stderr, code := runCLI(t, "induction", "--batch", "4", "--no-ablation", "--wide", "--out", t.TempDir())
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, col := range []string{"previous_token_ceiling", "duplicate_token_std", "mean_ablation_dloss_std", "induction_head"} {
		if !strings.Contains(stdout, col) {
			t.Errorf("--wide lacks column %s", col)
		}
	}
	if strings.Contains(stdout, "not shown") {
		t.Errorf("--wide left columns off:\n%s", stdout)
	}
}

// TestOutputFolderHoldsOneRun runs induction twice into one folder, the
// two-layer model and then the one-layer model: the folder holds exactly
// the second run's files, and the removal is reported in one line.
func TestOutputFolderHoldsOneRun(t *testing.T) {
	dir := t.TempDir()
	mine := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(mine, []byte("not attnlab's"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, stderr, code := runCLI(t, "induction", "--batch", "4", "--out", dir); code != 0 {
		t.Fatalf("first run: exit %d: %s", code, stderr)
	}
	first := manifestFiles(t, dir)
	_, stderr, code := runCLI(t, "induction", "--batch", "4", "--model", "embedded:induction-1l", "--out", dir)
	if code != 0 {
		t.Fatalf("second run: exit %d: %s", code, stderr)
	}
	second := manifestFiles(t, dir)
	want := append(append([]string{}, second...), "manifest.json", "notes.txt")
	slices.Sort(want)
	var got []string
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		got = append(got, e.Name())
	}
	if !slices.Equal(got, want) {
		t.Errorf("folder holds %v\nwant the second run's files %v", got, want)
	}
	var gone []string
	for _, f := range first {
		if !slices.Contains(second, f) {
			gone = append(gone, f)
		}
	}
	if len(gone) == 0 || !slices.Contains(gone, "composition_k.png") {
		t.Fatalf("the two runs should differ (composition figures need two layers); first %v, second %v", first, second)
	}
	if n := strings.Count(stderr, "\n"); n != 1 || !strings.Contains(stderr, "removed the previous run's") || !strings.Contains(stderr, gone[0]) {
		t.Errorf("stderr should say in one line what was removed (%v), got:\n%s", gone, stderr)
	}
}

func manifestFiles(t *testing.T, dir string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m report.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m.Files
}
