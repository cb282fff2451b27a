package train

import (
	"context"
	"encoding/json"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/tasks"
)

var smallCfg = model.Config{NLayers: 2, DModel: 16, NHeads: 2, DVocab: 16, NCtx: 24, AttnOnly: true,
	NormalizationType: "LN", PositionalEmbeddingType: "standard", Seed: 3}

func smallTask(t *testing.T) tasks.Task {
	cfg := tasks.DefaultInductionConfig()
	cfg.Vocab, cfg.MaxRep, cfg.MaxFiller = 16, 6, 4
	task, err := tasks.NewInduction(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return task
}

func trainSmall(t *testing.T, steps int, ckpt string) *Trainer {
	t.Helper()
	m, err := model.NewInit[float32](smallCfg)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := New(m, smallTask(t), Options{Steps: steps, Batch: 8, SeqLen: 24, Seed: 5, LR: 3e-3, EvalEvery: 10, CheckpointPath: ckpt, CheckpointEvery: 10})
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	return tr
}

func TestLossDecreases(t *testing.T) {
	tr := trainSmall(t, 60, "")
	first, last := tr.Log[0].Loss, tr.Log[len(tr.Log)-1].Loss
	if !(last < first-0.2) {
		t.Errorf("loss went from %.3f to %.3f in 60 steps; want a clear decrease", first, last)
	}
}

// TestDeterministicAcrossGOMAXPROCS trains the same recipe (the default
// decomposition: 8 units of one sequence) on 1, 2, 3 and 16 workers and
// wants bit-identical weights and losses.
func TestDeterministicAcrossGOMAXPROCS(t *testing.T) {
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	a := trainSmall(t, 50, "")
	if a.Opt.Units != 8 || a.pool.size != 1 {
		t.Fatalf("units %d on %d workers, want 8 on 1", a.Opt.Units, a.pool.size)
	}
	for _, procs := range []int{2, 3, 16} {
		runtime.GOMAXPROCS(procs)
		b := trainSmall(t, 50, "")
		if b.pool.size != min(8, procs) {
			t.Errorf("GOMAXPROCS %d: %d workers, want %d", procs, b.pool.size, min(8, procs))
		}
		if !slices.Equal(a.Model.Params.Data, b.Model.Params.Data) {
			t.Errorf("weights differ between GOMAXPROCS 1 and %d", procs)
		}
		for i := range a.Log {
			if a.Log[i].Loss != b.Log[i].Loss || a.Log[i].GradNorm != b.Log[i].GradNorm {
				t.Fatalf("GOMAXPROCS %d: step %d loss %v norm %v, want %v %v", procs, i+1, b.Log[i].Loss, b.Log[i].GradNorm, a.Log[i].Loss, a.Log[i].GradNorm)
			}
		}
	}
}

// TestResumeIsBitExact: 40 steps in one go equal 20 steps, a stop, and a
// resume from the checkpoint for the other 20.
func TestResumeIsBitExact(t *testing.T) {
	dir := t.TempDir()
	full := trainSmall(t, 40, filepath.Join(dir, "full.safetensors"))

	m, _ := model.NewInit[float32](smallCfg)
	ck := filepath.Join(dir, "half.safetensors")
	tr, err := New(m, smallTask(t), Options{Steps: 40, Batch: 8, SeqLen: 24, Seed: 5, LR: 3e-3, EvalEvery: 10, CheckpointPath: ck, CheckpointEvery: 10})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var evals []int // the caller's state, saved with the run (Options.Extra)
	tr.Opt.OnEval = func(step int, _ *model.Model) error {
		evals = append(evals, step)
		if step == 20 {
			cancel() // a kill after step 20
		}
		return nil
	}
	tr.Opt.Extra = func() (map[string]json.RawMessage, error) {
		b, err := json.Marshal(evals)
		return map[string]json.RawMessage{"evals": b}, err
	}
	if err := tr.Run(ctx); err == nil {
		t.Fatal("cancelled run returned no error")
	}
	if tr.Step != 20 {
		t.Fatalf("stopped at step %d, want 20", tr.Step)
	}
	res, err := Resume(ck, smallTask(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	// The checkpoint hands back the caller's state as of its step.
	if got := string(res.Extra["evals"]); got != "[10,20]" || len(res.Extra) != 1 {
		t.Errorf("the checkpoint's extra state %q, want evals [10,20]", res.Extra)
	}
	if again, err := Resume(filepath.Join(dir, "full.safetensors"), smallTask(t), Options{}); err != nil {
		t.Error(err)
	} else if again.Extra != nil {
		t.Errorf("a checkpoint saved without extra state has extra %q", again.Extra)
	}
	if err := res.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(full.Model.Params.Data, res.Model.Params.Data) {
		t.Error("resumed weights differ from the uninterrupted run")
	}
	if len(res.Log) != 40 || res.Log[39].Loss != full.Log[39].Loss {
		t.Errorf("resumed log has %d points, last loss %v; want 40 and %v", len(res.Log), res.Log[len(res.Log)-1].Loss, full.Log[39].Loss)
	}
	// The clock goes on across the resume: tokens per second are the run's.
	for i := 1; i < len(res.Log); i++ {
		if res.Log[i].Seconds < res.Log[i-1].Seconds {
			t.Fatalf("seconds fall from %v at step %d to %v at step %d", res.Log[i-1].Seconds, res.Log[i-1].Step, res.Log[i].Seconds, res.Log[i].Step)
		}
	}
	// The checkpoint is also a model file.
	if _, err := model.Load(ck, ""); err != nil {
		t.Errorf("checkpoint does not load as a model: %v", err)
	}
}

func TestNaNStopsWithTensorName(t *testing.T) {
	m, _ := model.NewInit[float32](smallCfg)
	m.Params.Blocks[1].WQ[3] = float32(1e38)
	m.Params.Blocks[1].WK[3] = float32(1e38)
	tr, err := New(m, smallTask(t), Options{Steps: 5, Batch: 8, SeqLen: 24, ClipNorm: -1})
	if err != nil {
		t.Fatal(err)
	}
	err = tr.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "step 1") {
		t.Fatalf("got %v, want an error naming step 1", err)
	}
	t.Log(err)
}

// TestDeterministicUnevenUnits: 13 sequences in 5 units (of 2 and 3
// sequences: each worker keeps a workspace of each size, the units' gradients
// their own buffers) give bit-identical weights, losses and validation
// losses on 1, 2, 3 and 5 workers, whichever worker runs which unit.
func TestDeterministicUnevenUnits(t *testing.T) {
	prev := runtime.GOMAXPROCS(8)
	defer runtime.GOMAXPROCS(prev)
	run := func(workers int) *Trainer {
		m, err := model.NewInit[float32](smallCfg)
		if err != nil {
			t.Fatal(err)
		}
		tr, err := New(m, smallTask(t), Options{Steps: 20, Batch: 13, Units: 5, SeqLen: 24, Seed: 7, LR: 3e-3, EvalEvery: 10, Workers: workers})
		if err != nil {
			t.Fatal(err)
		}
		if tr.pool.size != min(5, workers) || len(tr.ws[0]) != 2 {
			t.Fatalf("%d workers: pool of %d, %d workspaces per worker; want %d and 2", workers, tr.pool.size, len(tr.ws[0]), min(5, workers))
		}
		if err := tr.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		return tr
	}
	a := run(1)
	for _, w := range []int{2, 3, 5} {
		b := run(w)
		if !slices.Equal(a.Model.Params.Data, b.Model.Params.Data) {
			t.Errorf("weights differ between 1 and %d workers", w)
		}
		for i := range a.Log {
			pa, pb := a.Log[i], b.Log[i]
			if pa.Loss != pb.Loss || pa.GradNorm != pb.GradNorm || !(pa.ValLoss == pb.ValLoss || pa.ValLoss != pa.ValLoss && pb.ValLoss != pb.ValLoss) {
				t.Fatalf("%d workers, step %d: %+v, want %+v", w, i+1, pb, pa)
			}
		}
	}
}
