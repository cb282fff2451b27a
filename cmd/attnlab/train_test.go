package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/attnlab/attnlab/internal/cli"
	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/report"
	"github.com/attnlab/attnlab/studies/mqar"
)

// tinyTrain is a seconds-long version of the fixture recipe.
var tinyTrain = []string{"train", "--task", "induction", "--layers", "2", "--d-model", "16", "--heads", "2",
	"--pos", "rotary", "--n-ctx", "32", "--seq-len", "32", "--max-rep", "8", "--max-gap", "4", "--batch", "8",
	"--eval-every", "10", "--lr", "3e-3", "-q"}

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
// resumes from the checkpoint, and wants the same model and the same
// sink tracking (table and figure) as an uninterrupted run.
func TestTrainSurvivesKill(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	args := append(append([]string{}, tinyTrain...), "--steps", "600", "--checkpoint-every", "5", "--track", "sinks")
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
	if ee, ok := err.(*exec.ExitError); err == nil || !ok || ee.ExitCode() != 130 {
		t.Skipf("the run finished before the interrupt (err %v); machine too fast for this test's timing", err)
	}
	if !strings.Contains(stderr.String(), "--resume") || strings.Count(stderr.String(), "\n") != 1 {
		t.Errorf("interrupt message is not one line saying how to resume: %q", stderr.String())
	}
	// The loss curve of the steps done is kept (and the tracker's, with
	// --track); the model file is written only when the run ends.
	if b, err := os.ReadFile(filepath.Join(dir, "part", "loss.csv")); err != nil || strings.Count(string(b), "\n") < 2 {
		t.Errorf("the interrupted run left no loss curve: %v", err)
	}
	if _, err := os.Stat(part); err == nil {
		t.Error("the interrupted run wrote the model file")
	}
	// Its manifest says the run was interrupted, where, and how to go on;
	// it claims no model.
	if m, err := report.ReadManifest(filepath.Join(dir, "part")); err != nil {
		t.Errorf("the interrupted run's manifest: %v", err)
	} else if in := m.Interrupted; m.Model != "" || in == nil || in.Step < 1 || in.Steps != 600 || in.Checkpoint != ckpt ||
		in.Resume != "attnlab train --resume "+ckpt+" --out "+part {
		t.Errorf("the interrupted run's manifest claims model %q, interrupted %+v; want no model and the step, checkpoint and resume line", m.Model, in)
	}
	// The documented resume: the checkpoint and --out, nothing else; every
	// setting (the task's max-rep and max-gap included) comes from the
	// checkpoint (issue 9, item 4).
	if out, err := exec.Command(bin, "train", "-q", "--resume", ckpt, "--out", part).CombinedOutput(); err != nil {
		t.Fatalf("resume: %v\n%s", err, out)
	}
	a, _ := os.ReadFile(full)
	b, _ := os.ReadFile(part)
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Error("interrupted and resumed run differs from the uninterrupted one")
	}
	// The tracker goes on (the resume line does not repeat --track) from
	// the history the checkpoint holds: its outputs are the run's.
	for _, f := range []string{"sink_tracking.csv", "sink_tracking_summary.csv", "sink_tracking.png", "sink_tracking_loss.png"} {
		a, _ := os.ReadFile(filepath.Join(filepath.Dir(full), f))
		b, _ := os.ReadFile(filepath.Join(filepath.Dir(part), f))
		if len(a) == 0 || !bytes.Equal(a, b) {
			t.Errorf("the interrupted and resumed run's %s differs from the uninterrupted run's", f)
		}
	}
}

// TestTrainInterruptKeepsTracking: Ctrl-C during a run with --track writes
// the tracker's measurements so far beside the loss curve.
func TestTrainInterruptKeepsTracking(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "m.safetensors")
	cmd := exec.Command(bin, append(append([]string{}, tinyTrain...), "--steps", "100000", "--checkpoint-every", "5",
		"--track", "induction", "--every", "5", "--out", out)...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ckpt := filepath.Join(dir, "m.ckpt.safetensors")
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(ckpt); err == nil {
			break
		}
	}
	cmd.Process.Signal(syscall.SIGINT)
	if err := cmd.Wait(); err == nil {
		t.Fatal("a 100000-step run finished before the interrupt")
	}
	for _, f := range []string{"loss.csv", "tracking.csv", "phase_change.png", "manifest.json"} {
		if b, err := os.ReadFile(filepath.Join(dir, f)); err != nil || len(b) == 0 {
			t.Errorf("the interrupted run left no %s: %v", f, err)
		}
	}
}

// TestTrainBOS: --bos ID starts every window with ID and records it in the
// model; --sink-token is --bos 0 (same weights); an explicit --warmup 0
// starts at the peak learning rate and --beta2 reaches AdamW.
func TestTrainBOS(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "text.txt")
	if err := os.WriteFile(data, bytes.Repeat([]byte("func main() { fmt.Println(\"hello, world\") }\n"), 400), 0o644); err != nil {
		t.Fatal(err)
	}
	tiny := []string{"train", "--task", "text", "--data", data, "--layers", "1", "--d-model", "16", "--heads", "2",
		"--seq-len", "16", "--batch", "4", "--steps", "6", "--eval-every", "3", "-q"}
	weights := func(name string, extra ...string) *model.Model {
		out := filepath.Join(dir, name, "m.safetensors")
		if _, stderr, code := runCLI(t, append(append(append([]string{}, tiny...), extra...), "--out", out)...); code != 0 {
			t.Fatalf("train %v exited %d: %s", extra, code, stderr)
		}
		m, err := model.Load(out, "")
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	bos7 := weights("bos7", "--bos", "7")
	if tok, ok := bos7.SinkToken(); !ok || tok != 7 {
		t.Errorf("--bos 7: the model records BOS %d (%v), want 7", tok, ok)
	}
	a, b := weights("bos0", "--bos", "0"), weights("sinktoken", "--sink-token")
	if !slices.Equal(a.Params.Data, b.Params.Data) {
		t.Error("--sink-token and --bos 0 trained different weights")
	}
	if tok, ok := b.SinkToken(); !ok || tok != 0 {
		t.Errorf("--sink-token: the model records BOS %d (%v), want 0", tok, ok)
	}
	if slices.Equal(a.Params.Data, bos7.Params.Data) {
		t.Error("--bos 7 trained the same weights as --bos 0")
	}
	none := weights("none")
	if _, ok := none.SinkToken(); ok {
		t.Error("a model trained without --bos records one")
	}
	if slices.Equal(none.Params.Data, weights("b95", "--beta2", "0.95").Params.Data) {
		t.Error("--beta2 0.95 trained the same weights as the default 0.999")
	}
	c := weights("nowarm", "--warmup", "0", "--lr", "2e-3", "--beta2", "0.95")
	if slices.Equal(c.Params.Data, weights("warm", "--warmup", "3", "--lr", "2e-3", "--beta2", "0.95").Params.Data) {
		t.Error("--warmup 0 trained the same weights as --warmup 3")
	}
	csv, err := os.ReadFile(filepath.Join(dir, "nowarm", "loss.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(string(csv), "\n"); len(lines) < 2 || !strings.HasPrefix(lines[1], "1,0.002,") {
		t.Errorf("--warmup 0: first step's learning rate is not the peak: %q", lines[1])
	}
}

// TestTrainMQARDefaults: train --task mqar takes the retrieval grid's
// recipe (vocabulary, heads, sequence length for the pairs) and reports
// held-out recall accuracy beside the loss.
func TestTrainMQARDefaults(t *testing.T) {
	out := filepath.Join(t.TempDir(), "m.safetensors")
	stdout, stderr, code := runCLI(t, "train", "--task", "mqar", "--steps", "3", "--batch", "4", "--d-model", "16", "--kv-pairs", "32", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	m, err := model.Load(out, "")
	if err != nil {
		t.Fatal(err)
	}
	g := mqar.Quick()
	// 32 pairs need 128 positions: the full grid's vocabulary.
	if m.Config.DVocab != mqar.Full().Vocab || m.Config.NHeads != g.Heads || m.Config.NCtx != g.SeqLenFor(32) {
		t.Errorf("d_vocab %d, heads %d, n_ctx %d; want the grid's %d, %d, %d", m.Config.DVocab, m.Config.NHeads, m.Config.NCtx, mqar.Full().Vocab, g.Heads, g.SeqLenFor(32))
	}
	// 8 pairs: the quick grid's.
	out8 := filepath.Join(t.TempDir(), "m.safetensors")
	if _, stderr, code := runCLI(t, "train", "--task", "mqar", "--steps", "2", "--batch", "4", "--d-model", "16", "-q", "--out", out8); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if m8, err := model.Load(out8, ""); err != nil || m8.Config.DVocab != g.Vocab || m8.Config.NCtx != g.SeqLenFor(8) {
		t.Errorf("8 pairs: %v, config %+v; want d_vocab %d, n_ctx %d", err, m8.Config, g.Vocab, g.SeqLenFor(8))
	}
	if !strings.Contains(stdout, "MQAR held-out accuracy") || !strings.Contains(stdout, "accuracy") {
		t.Errorf("the summary lacks the recall accuracy:\n%s", stdout)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(out), "mqar_eval.csv")); err != nil {
		t.Errorf("mqar_eval.csv: %v", err)
	}
}

// TestTrainResumesAfterKill9: the reproduction. The default task
// (whose max-gap default used to be lost on resume), killed with SIGKILL
// after a checkpoint, resumed with the README's command line alone, gives
// the bytes of an uninterrupted run; a stale temporary file left by the
// kill is cleaned up.
func TestTrainResumesAfterKill9(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	args := []string{"train", "--layers", "1", "--d-model", "16", "--heads", "2", "--n-ctx", "32", "--seq-len", "32",
		"--batch", "8", "--steps", "400", "--checkpoint-every", "5", "--eval-every", "50", "-q"}
	full := filepath.Join(dir, "full", "m.safetensors")
	if out, err := exec.Command(bin, append(args, "--out", full)...).CombinedOutput(); err != nil {
		t.Fatalf("uninterrupted run: %v\n%s", err, out)
	}
	part := filepath.Join(dir, "k", "m.safetensors")
	ckpt := filepath.Join(dir, "k", "m.ckpt.safetensors")
	cmd := exec.Command(bin, append(args, "--out", part)...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(ckpt); err == nil {
			break
		}
	}
	cmd.Process.Kill()
	if err := cmd.Wait(); err == nil {
		t.Skip("the run finished before the kill; machine too fast for this test's timing")
	}
	stale := filepath.Join(dir, "k", ".m.ckpt.safetensors.tmp-123")
	os.WriteFile(stale, []byte("half a checkpoint"), 0o644)
	if out, err := exec.Command(bin, "train", "--resume", ckpt, "--out", part).CombinedOutput(); err != nil {
		t.Fatalf("resume: %v\n%s", err, out)
	}
	a, _ := os.ReadFile(full)
	b, _ := os.ReadFile(part)
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Error("killed and resumed run differs from the uninterrupted one")
	}
	if _, err := os.Stat(stale); err == nil {
		t.Error("the stale temporary file of the killed run is still there")
	}
}

// TestTrainResumeToOtherSteps: a run with a constant learning rate
// (--warmup given, --min-lr = --lr) resumed with another --steps is the run
// that command line with that --steps trains from scratch, byte for byte,
// and records that command line; it can also stop where the checkpoint is
// (the model a checkpoint holds, saved with its own command). A run whose
// rate decays over its steps is refused.
func TestTrainResumeToOtherSteps(t *testing.T) {
	dir := t.TempDir()
	base := []string{"train", "--task", "induction", "--layers", "1", "--d-model", "16", "--heads", "2", "--seq-len", "16",
		"--batch", "4", "--lr", "3e-3", "--min-lr", "3e-3", "--warmup", "2", "--eval-every", "3", "-q"}
	train := func(args ...string) []byte {
		t.Helper()
		if _, stderr, code := runCLI(t, args...); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		b, err := os.ReadFile(args[len(args)-1])
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	p := func(name string) string { return filepath.Join(dir, name) }
	six := train(append(slices.Clone(base), "--steps", "6", "--out", p("six.safetensors"))...)
	ten := train(append(slices.Clone(base), "--steps", "10", "--out", p("ten.safetensors"))...)
	// Further: 6 → 10 steps.
	if got := train("train", "-q", "--resume", p("six.ckpt.safetensors"), "--steps", "10", "--checkpoint", p("b.ckpt.safetensors"), "--out", p("b.safetensors")); !bytes.Equal(got, ten) {
		t.Error("a 6-step checkpoint resumed to --steps 10 differs from the 10-step run")
	}
	m, err := model.Load(p("b.safetensors"), "")
	if err != nil {
		t.Fatal(err)
	}
	if want := "attnlab " + strings.Join(base[:len(base)-1], " ") + " --steps 10"; m.Meta[model.MetaTrainedWith] != want {
		t.Errorf("records %q, want %q", m.Meta[model.MetaTrainedWith], want)
	}
	// The tracker's schedule is the run's evaluations, part of the recipe.
	if code, _, stderr := runLine(t, "train -q --resume "+p("six.ckpt.safetensors")+" --every 2 --out "+p("f.safetensors")); code != 2 || !strings.Contains(stderr, "--every 2 (the checkpoint's run has 0) contradicts it") {
		t.Errorf("a resume with another --every: exit %d, %q", code, stderr)
	}
	// Back: a step count before the checkpoint's step is refused; the
	// checkpoint's own step saves the model it holds.
	if code, _, stderr := runLine(t, "train -q --resume "+p("ten.ckpt.safetensors")+" --steps 6 --out "+p("c.safetensors")); code == 0 || !strings.Contains(stderr, "the checkpoint is at step 10, past a 6-step run") {
		t.Errorf("resume past the end: exit %d, %q", code, stderr)
	}
	if got := train("train", "-q", "--resume", p("six.ckpt.safetensors"), "--steps", "6", "--checkpoint", p("d.ckpt.safetensors"), "--out", p("d.safetensors")); !bytes.Equal(got, six) {
		t.Error("a 6-step checkpoint saved at --steps 6 differs from the 6-step run")
	}
	// A decaying rate (the default --min-lr) depends on the step count.
	cos := append(cli.WithoutFlags(slices.Clone(base), "--min-lr"), "--steps", "6", "--out", p("cos.safetensors"))
	train(cos...)
	code, _, stderr := runLine(t, "train -q --resume "+p("cos.ckpt.safetensors")+" --steps 10 --out "+p("e.safetensors"))
	if code != 2 || !strings.Contains(stderr, "--steps 10: the checkpoint's run has 6 steps and a learning rate that depends on them") {
		t.Errorf("a decaying rate resumed to another step count: exit %d, %q", code, stderr)
	}
}
