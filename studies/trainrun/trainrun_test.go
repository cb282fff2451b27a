package trainrun

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/attnlab/attnlab/internal/badinput"
	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/studies/mqar"
	"github.com/attnlab/attnlab/tasks"
	"github.com/attnlab/attnlab/train"
)

// tiny is a run of a few steps of a one-layer model.
func tiny(t *testing.T, task string) Options {
	dir := t.TempDir()
	out := filepath.Join(dir, "m.safetensors")
	return Options{Task: tasks.Options{Task: task, KVPairs: 2, SeqLen: 16},
		Model: model.Config{NLayers: 1, DModel: 16, NHeads: 2, NormalizationType: "LN", PositionalEmbeddingType: "standard", ActFn: "gelu"}, Attn: "softmax",
		Train: train.Options{Steps: 4, Batch: 2, LR: 1e-3, EvalEvery: 2, Seed: 3, CheckpointPath: filepath.Join(dir, "m.ckpt.safetensors"),
			Command: []string{"attnlab", "train", "--task", task}},
		Out: out, TrainedWith: "attnlab train --task " + task}
}

func TestRunSavesModelAndResults(t *testing.T) {
	t.Parallel()
	o := tiny(t, "mqar")
	r, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tb := range r.Tables {
		names = append(names, tb.Name)
	}
	if !slices.Equal(names, []string{"loss", "train_summary", "mqar_eval"}) {
		t.Errorf("tables %v, want loss, train_summary, mqar_eval", names)
	}
	if len(r.Tables[0].Rows) != 4 {
		t.Errorf("%d loss rows for 4 steps", len(r.Tables[0].Rows))
	}
	m, err := model.Load(o.Out, "")
	if err != nil {
		t.Fatal(err)
	}
	c := m.Config
	if m.Meta[model.MetaTrainedWith] != o.TrainedWith || m.Meta[model.MetaSteps] != "4" || m.Task() != "mqar" {
		t.Errorf("metadata %v", m.Meta)
	}
	// The architecture takes the task's vocabulary and the sequence length
	// as n_ctx; without an MLP the model is attention-only.
	if c.DVocab != tasks.DefaultMQARConfig().Vocab || c.NCtx != 16 || !c.AttnOnly || c.ActFn != "" || c.Seed != 3 {
		t.Errorf("config %+v", c)
	}
	// A resume of the finished run keeps its provenance and changes nothing.
	o.Resume, o.TrainedWith = o.Train.CheckpointPath, "other"
	o.Out = filepath.Join(filepath.Dir(o.Out), "again.safetensors")
	if _, err := Run(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	again, err := model.Load(o.Out, "")
	if err != nil {
		t.Fatal(err)
	}
	if again.Meta[model.MetaTrainedWith] != "attnlab train --task mqar" || !slices.Equal(again.Params.Tensors[0].Data, m.Params.Tensors[0].Data) {
		t.Errorf("the resumed run's provenance %q or weights differ", again.Meta[model.MetaTrainedWith])
	}
	cmd, err := RecordedCommand(o.Resume)
	if err != nil || !slices.Equal(cmd, []string{"attnlab", "train", "--task", "mqar"}) {
		t.Errorf("RecordedCommand = %v, %v", cmd, err)
	}
}

func TestRunErrors(t *testing.T) {
	t.Parallel()
	bad := tiny(t, "induction")
	bad.Model.NormalizationType = "RMS" // not a normalization attnlab has
	_, err := Run(context.Background(), bad)
	if !badinput.Is(err) {
		t.Errorf("a config that does not validate: %v, want bad input", err)
	}
	unknown := tiny(t, "nope")
	if _, err := Run(context.Background(), unknown); !badinput.Is(err) {
		t.Errorf("an unknown task: %v, want bad input", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var intr *Interrupted
	if _, err := Run(ctx, tiny(t, "induction")); !errors.As(err, &intr) || intr.Step != 0 {
		t.Errorf("a cancelled run: %v, want *Interrupted at step 0", err)
	}
	if _, err := RecordedCommand(filepath.Join(t.TempDir(), "none.safetensors")); err == nil {
		t.Error("RecordedCommand of a missing file succeeded")
	}
}

func TestTaskDefaults(t *testing.T) {
	t.Parallel()
	d, n := TaskDefaults("induction", 8, 0)
	if d["pos"] != "rotary" || d["lr"] != "3e-3" || n != 0 {
		t.Errorf("induction: %v, %d", d, n)
	}
	g, full := mqar.Quick(), mqar.Full()
	d, n = TaskDefaults("mqar", 8, 0)
	if n != g.SeqLenFor(8) || d["heads"] != strconv.Itoa(g.Heads) || d["steps"] != strconv.Itoa(g.Steps) || d["batch"] != strconv.Itoa(g.Batch) {
		t.Errorf("mqar, 8 pairs: %v, seq_len %d; want the quick grid's recipe", d, n)
	}
	// Sequences as long as the quick grid's vocabulary take the full grid's.
	for _, tc := range []struct{ seqLen, vocab int }{{g.Vocab - 2, g.Vocab}, {g.Vocab, full.Vocab}} {
		if d, _ := TaskDefaults("mqar", 8, tc.seqLen); d["vocab"] != strconv.Itoa(tc.vocab) {
			t.Errorf("mqar at seq_len %d: vocab %s, want %d", tc.seqLen, d["vocab"], tc.vocab)
		}
	}
	if d, _ := TaskDefaults("text", 8, 0); d != nil {
		t.Errorf("text has defaults %v", d)
	}
}
