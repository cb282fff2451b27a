package train

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/attnlab/attnlab/internal/membudget"
	"github.com/attnlab/attnlab/safetensors"
	"github.com/attnlab/attnlab/tasks"
)

// editCheckpoint rewrites a checkpoint's state with edit and returns the
// new file's path.
func editCheckpoint(t *testing.T, src string, edit func(st map[string]any)) string {
	t.Helper()
	f, err := safetensors.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	var st map[string]any
	if err := json.Unmarshal([]byte(f.Metadata[metaCheckpoint]), &st); err != nil {
		t.Fatal(err)
	}
	edit(st)
	js, _ := json.Marshal(st)
	md := map[string]string{}
	for k, v := range f.Metadata {
		md[k] = v
	}
	md[metaCheckpoint] = string(js)
	var ts []safetensors.WriteTensor
	for _, tn := range f.Tensors {
		v, err := tn.Float32()
		if err != nil {
			t.Fatal(err)
		}
		ts = append(ts, safetensors.WriteTensor{Name: tn.Name, Shape: tn.Shape, F32: v})
	}
	out := filepath.Join(t.TempDir(), "edited.ckpt.safetensors")
	if err := safetensors.WriteFile(out, ts, md); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestResumeRefusesInconsistentState: a checkpoint state that
// SaveCheckpoint could not have written is refused before anything is
// trained or written (issue 9, item 5: step 500 with an empty log indexed
// the log at −1 after the model was written), and one that asks for more
// memory than the budget is refused with the estimate.
func TestResumeRefusesInconsistentState(t *testing.T) {
	dir := t.TempDir()
	ck := filepath.Join(dir, "ck.safetensors")
	trainSmall(t, 20, ck)
	cases := []struct {
		edit func(st map[string]any)
		want string
	}{
		{func(st map[string]any) { st["step"], st["log"] = 20, []any{} }, "the checkpoint is at step 20 but its log has 0 entries, want one per step"},
		{func(st map[string]any) { st["step"] = 500 }, "the checkpoint is at step 500 of a 20-step run"},
		{func(st map[string]any) { st["step"] = -1 }, "the checkpoint is at step -1"},
		{func(st map[string]any) { st["options"].(map[string]any)["Batch"] = 100_000_000 }, "train: training with batches of 100000000 sequences"},
	}
	membudget.SetLimit(1<<30, "a test")
	defer membudget.SetLimit(0, "")
	for _, c := range cases {
		p := editCheckpoint(t, ck, c.edit)
		tr, err := Resume(p, smallTask(t), Options{CheckpointPath: filepath.Join(dir, "new.ckpt")})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v (trainer %v), want an error containing %q", err, tr != nil, c.want)
		}
		if _, err := os.Stat(filepath.Join(dir, "new.ckpt")); err == nil {
			t.Error("a refused resume wrote a checkpoint")
		}
	}
	// The info a command rebuilds its settings from.
	info, err := ReadCheckpointInfo(ck)
	if err != nil {
		t.Fatal(err)
	}
	if info.Step != 20 || info.Options.Steps != 20 || info.Task != "induction" || info.TaskSpec["max_rep"] != 6.0 {
		t.Errorf("info %+v", info)
	}
	if _, err := Resume(ck, smallTask(t), Options{Steps: 30}); err == nil || !strings.Contains(err.Error(), "has 20 steps, not 30") {
		t.Errorf("a different step count: %v", err)
	}
	cfg := tasks.DefaultInductionConfig()
	cfg.Vocab, cfg.MaxRep, cfg.MaxFiller, cfg.MaxGap = 16, 6, 4, 3
	other, err := tasks.NewInduction(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Resume(ck, other, Options{}); err == nil || !strings.Contains(err.Error(), "other task settings: max_gap (") {
		t.Errorf("another task's settings: %v, want the differing field named", err)
	}
}
