package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// tinyTrain is a seconds-long version of the fixture recipe.
var tinyTrain = []string{"train", "--task", "induction", "--layers", "2", "--d-model", "16", "--heads", "2",
	"--pos", "rotary", "--n-ctx", "32", "--seq-len", "32", "--max-rep", "8", "--max-gap", "4", "--batch", "8",
	"--eval-every", "10", "--lr", "3e-3", "-q"}

func runCLI(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return o.String(), e.String(), code
}

// TestTrainDeterministic: the same command twice writes the same bytes.
func TestTrainDeterministic(t *testing.T) {
	dir := t.TempDir()
	var files [2][]byte
	for i := range files {
		out := filepath.Join(dir, []string{"a", "b"}[i], "m.safetensors")
		if _, stderr, code := runCLI(t, append(tinyTrain, "--steps", "30", "--out", out)...); code != 0 {
			t.Fatalf("train exited %d: %s", code, stderr)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		files[i] = b
		for _, f := range []string{"loss.csv", "loss.png", "manifest.json"} {
			if _, err := os.Stat(filepath.Join(filepath.Dir(out), f)); err != nil {
				t.Errorf("train did not write %s", f)
			}
		}
	}
	if !bytes.Equal(files[0], files[1]) {
		t.Error("two runs of the same train command wrote different model files")
	}
}

// TestTrainSurvivesKill interrupts the built binary with SIGINT mid-run,
// resumes from the checkpoint, and wants the same model as an
// uninterrupted run.
func TestTrainSurvivesKill(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	args := append(append([]string{}, tinyTrain...), "--steps", "600", "--checkpoint-every", "5")
	full := filepath.Join(dir, "full", "m.safetensors")
	if out, err := exec.Command(bin, append(args, "--out", full)...).CombinedOutput(); err != nil {
		t.Fatalf("uninterrupted run: %v\n%s", err, out)
	}
	part := filepath.Join(dir, "part", "m.safetensors")
	ckpt := filepath.Join(dir, "part", "m.ckpt.safetensors")
	cmd := exec.Command(bin, append(args, "--out", part)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(ckpt); err == nil {
			break
		}
	}
	cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); err == nil || !ok || ee.ExitCode() != 1 {
		t.Skipf("the run finished before the interrupt (err %v); machine too fast for this test's timing", err)
	}
	if !strings.Contains(stderr.String(), "--resume") {
		t.Errorf("interrupt message does not say how to resume: %q", stderr.String())
	}
	if out, err := exec.Command(bin, "train", "--task", "induction", "--max-rep", "8", "--max-gap", "4", "-q",
		"--resume", ckpt, "--out", part).CombinedOutput(); err != nil {
		t.Fatalf("resume: %v\n%s", err, out)
	}
	a, _ := os.ReadFile(full)
	b, _ := os.ReadFile(part)
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Error("interrupted and resumed run differs from the uninterrupted one")
	}
}
