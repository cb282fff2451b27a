package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/attnlab/attnlab/fixtures"
	"github.com/attnlab/attnlab/internal/cli"
	"github.com/attnlab/attnlab/report"
	"github.com/attnlab/attnlab/studies/s2a"
)

func TestS2ACommandWritesEverything(t *testing.T) {
	dir := t.TempDir()
	stdout, stderr, code := runCLI(t, "s2a", "--out", dir, "--examples", "40", "--rates", "0,0.5")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, f := range []string{"s2a.csv", "attention_mass.csv", "regenerator.csv", "retrieval_heads.csv", "manifest.json",
		"s2a_accuracy.png", "attention_mass.png"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s missing or empty", f)
		}
	}
	for _, line := range strings.Split(stdout, "\n") {
		if n := utf8.RuneCountInString(line); n > 100 {
			t.Errorf("terminal line of %d columns (> 100): %s", n, line)
		}
	}
	for _, want := range []string{"baseline", "oracle", "s2a-keeporig", "instructed-notoken", "opinions kept"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("terminal output lacks %q:\n%s", want, stdout)
		}
	}
	f, err := os.Open(filepath.Join(dir, "s2a.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tab, err := report.ReadCSV(f)
	if err != nil {
		t.Fatal(err)
	}
	// 2 rates × 6 conditions (the instructed model is a model of its own).
	if len(tab.Rows) != 12 || tab.Column("ci_lo") < 0 || tab.Column("flops_vs_baseline") < 0 {
		t.Errorf("s2a.csv: %d rows, columns %v", len(tab.Rows), tab.Columns)
	}
}

func TestS2ABadInput(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--rates", "0.3"}, 2, "not a whole number"},
		{[]string{"--rates", "1"}, 2, "--rates"},
		{[]string{"--rates", "0,NaN"}, 2, "--rates"},
		{[]string{"--rates", ""}, 2, "--rates"},
		{[]string{"--examples", "0"}, 2, "--examples"},
		{[]string{"--examples", "100000000"}, 2, "--examples"},
		{[]string{"--examples", "60000", "--rates", manyRates(8)}, 2, "contexts"},
		{[]string{"--rates", manyRates(101)}, 2, "at most 64"},
		{[]string{"--facts", "0"}, 2, "--facts"},
		{[]string{"--facts", "30"}, 2, "distinct values"},
		{[]string{"--facts", "30", "--rates", "0"}, 2, "n_ctx"},
		{[]string{"--threshold", "0"}, 2, "--threshold"},
		{[]string{"--workers", "0"}, 2, "--workers"},
		{[]string{"--train", "--answerer", "x.safetensors"}, 2, "--train"},
		{[]string{"--answerer", filepath.Join(dir, "missing.safetensors")}, 1, "--answerer"},
		{[]string{"--regenerator", "/dev/zero"}, 1, "--regenerator"},
		{[]string{"--regenerator", dir}, 1, "--regenerator"},
		{[]string{"--answerer", "embedded:induction-2l"}, 2, "shape"},
		{[]string{"--answerer", "embedded:induction-2l", "--instructed", "embedded:induction-2l"}, 2, "d_vocab"},
		{[]string{"--out", "/dev/null", "--examples", "2"}, 2, "/dev/null"},
	} {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			_, stderr, code := runCLI(t, append([]string{"s2a", "--out", filepath.Join(dir, "out")}, c.args...)...)
			if code != c.code || !strings.Contains(stderr, c.want) || strings.Count(stderr, "\n") != 1 {
				t.Errorf("exit %d, stderr %q; want exit %d and one line mentioning %q", code, stderr, c.code, c.want)
			}
		})
	}
}

// TestS2ARecipesAreTheTrainCommand: each study recipe and the attnlab train
// command it prints train the same model, byte for byte (a 12-step
// version), and the embedded models record exactly the recipes' commands,
// which fixtures/README.md lists.
func TestS2ARecipesAreTheTrainCommand(t *testing.T) {
	dir := t.TempDir()
	readme := fixtureCommands(t)
	for _, r := range s2a.Recipes() {
		m, err := fixtures.Model(r.Name)
		if err != nil {
			t.Fatal(err)
		}
		if got := m.Meta["trained_with"]; got != r.Command() {
			t.Errorf("%s was trained with\n  %s\nthe recipe says\n  %s", r.Name, got, r.Command())
		}
		if got := strings.Join(cli.WithoutFlags(append([]string{"attnlab"}, readme[r.Name]...), "--out"), " "); got != r.Command() {
			t.Errorf("fixtures/README.md gives %s\n  %s\nthe recipe says\n  %s", r.Name, got, r.Command())
		}
		short := r
		short.Steps = 12
		cli := filepath.Join(dir, r.Name, "cli.safetensors")
		args := append(strings.Fields(short.Command())[1:], "-q", "--out", cli)
		if _, stderr, code := runCLI(t, args...); code != 0 {
			t.Fatalf("%s: exit %d: %s", short.Command(), code, stderr)
		}
		lib, err := s2a.Train(context.Background(), short, nil)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, r.Name, "lib.safetensors")
		if err := lib.Save(path); err != nil {
			t.Fatal(err)
		}
		a, _ := os.ReadFile(cli)
		b, _ := os.ReadFile(path)
		if len(a) == 0 || !bytes.Equal(a, b) {
			t.Errorf("%s: the study's training and `%s` differ", r.Name, short.Command())
		}
	}
}

// TestS2AFixturesRegenerate runs each recipe's full command, with
// ATTNLAB_REGEN_FIXTURES=1, and compares the result with the embedded file
// byte for byte (minutes).
func TestS2AFixturesRegenerate(t *testing.T) {
	if os.Getenv("ATTNLAB_REGEN_FIXTURES") == "" {
		t.Skip("set ATTNLAB_REGEN_FIXTURES=1 to retrain the s2a models in full and compare bytes")
	}
	dir := t.TempDir()
	for _, r := range s2a.Recipes() {
		out := filepath.Join(dir, r.Name+".safetensors")
		if _, stderr, code := runCLI(t, append(strings.Fields(r.Command())[1:], "-q", "--out", out)...); code != 0 {
			t.Fatalf("%s: exit %d: %s", r.Name, code, stderr)
		}
		regen, _ := os.ReadFile(out)
		embedded, _ := os.ReadFile(filepath.Join("../../fixtures", r.Name+".safetensors"))
		if !bytes.Equal(regen, embedded) {
			t.Errorf("%s: the recorded command did not regenerate fixtures/%s.safetensors byte for byte", r.Name, r.Name)
		}
	}
}

// manyRates is n distinct rates: 0.001,0.002,…
func manyRates(n int) string {
	r := make([]string, n)
	for i := range r {
		r[i] = strconv.FormatFloat(float64(i+1)/1000, 'g', -1, 64)
	}
	return strings.Join(r, ",")
}
