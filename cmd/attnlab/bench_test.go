package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBenchCommand runs a small benchmark: every file written, the summary
// on the terminal; bad flags exit 2 with one sentence naming the flag.
func TestBenchCommand(t *testing.T) {
	dir := t.TempDir()
	stdout, stderr, code := runCLI(t, "bench", "--min-n", "64", "--max-n", "128", "--d-head", "16", "--window", "16",
		"--repeats", "1", "--ring-hosts", "2", "--out", dir, "-q")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	_ = stdout
	for _, f := range []string{"bench.csv", "summary.csv", "matmul.csv", "bench_time.png", "bench_memory.png", "bench_gflops.png", "manifest.json"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s missing or empty", f)
		}
	}
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"bench", "--max-n", "100000000"}, "--max-n"},
		{[]string{"bench", "--min-n", "0"}, "--min-n"},
		{[]string{"bench", "--kernels", "flash9"}, "--kernels: unknown kernel"},
		{[]string{"bench", "--max-mem", "NaN"}, "--max-mem"},
		{[]string{"bench", "--repeats", "0"}, "--repeats"},
	} {
		_, stderr, code := runCLI(t, append(c.args, "--out", dir)...)
		if code != 2 || !strings.Contains(stderr, c.msg) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want 2 and one line naming %s", c.args, code, stderr, c.msg)
		}
	}
}

// TestBenchTrainStep: bench --train-step writes train_step.csv with a row
// per core count; bad flags exit 2 naming the flag.
func TestBenchTrainStep(t *testing.T) {
	dir := t.TempDir()
	_, stderr, code := runCLI(t, "bench", "--train-step", "--cores", "1", "--repeats", "1", "--seconds", "0.01", "--out", dir, "-q")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, err := os.ReadFile(filepath.Join(dir, "train_step.csv"))
	if err != nil || !strings.HasPrefix(string(b), "cores,units,tokens_per_s,tokens_per_cpu_s,") || strings.Count(string(b), "\n") != 2 {
		t.Errorf("train_step.csv: %q, %v", b, err)
	}
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"bench", "--train-step", "--cores", "0"}, "--cores"},
		{[]string{"bench", "--train-step", "--cores", "100000"}, "--cores"},
		{[]string{"bench", "--train-step", "--cores", "x"}, "--cores"},
		{[]string{"bench", "--train-step", "--seconds", "NaN"}, "--seconds"},
		{[]string{"bench", "--train-step", "--repeats", "0"}, "--repeats"},
	} {
		_, stderr, code := runCLI(t, append(c.args, "--out", dir)...)
		if code != 2 || !strings.Contains(stderr, c.msg) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want 2 and one line naming %s", c.args, code, stderr, c.msg)
		}
	}
}
