package attention_test

import (
	"context"
	"testing"

	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/tasks"
	"github.com/attnlab/attnlab/train"
)

// TestLinearTrains: a one-layer model with linear:elu attention trains
// through the engine (the quadratic form's backward drives AdamW): the
// training loss falls well below its starting value.
func TestLinearTrains(t *testing.T) {
	t.Parallel()
	task, err := tasks.NewMQAR(tasks.MQARConfig{Vocab: 32, NumKVPairs: 2, SeqLen: 16, PowerA: 0.01, RandomNonQueries: true})
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.NewInit[float32](model.Config{NLayers: 1, DModel: 32, NHeads: 2, DVocab: 32, NCtx: 16,
		NormalizationType: "LN", AttnOnly: true, Seed: 1, Attention: []string{"linear:elu"}})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := train.New(m, task, train.Options{Steps: 60, Batch: 16, LR: 3e-3, Seed: 1, Units: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	first, last := tr.Log[0].Loss, tr.Log[len(tr.Log)-1].Loss
	if !(last < 0.75*first) {
		t.Errorf("loss went from %.3f to %.3f, want a fall of at least 25%%", first, last)
	}
	t.Logf("loss %.3f → %.3f", first, last)
}
