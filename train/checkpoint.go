package train

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"

	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/safetensors"
	"github.com/attnlab/attnlab/tasks"
)

// A checkpoint is a safetensors file: the model's weights under their
// TransformerLens keys (so any checkpoint loads as a model), AdamW's moments
// as "optim.exp_avg" and "optim.exp_avg_sq" [n_params], and the rest of the
// state — step, generator state, recipe, log — as JSON in the metadata under
// "attnlab.checkpoint". It is written atomically, so a kill at any moment
// leaves the previous checkpoint or the new one, never a torn file.
const metaCheckpoint = "attnlab.checkpoint"

type checkpointState struct {
	Step      int       `json:"step"`
	AdamStep  int       `json:"adam_step"`
	RNG       []byte    `json:"rng"` // PCG state (MarshalBinary)
	Tokens    int64     `json:"tokens"`
	Options   Options   `json:"options"`
	Task      string    `json:"task"`
	TaskSpec  string    `json:"task_spec"`
	Log       []logJSON `json:"log"`
	ParamsLen int       `json:"n_params"`
}

type logJSON struct {
	Step     int      `json:"step"`
	LR       float64  `json:"lr"`
	Loss     float64  `json:"loss"`
	GradNorm float64  `json:"grad_norm"`
	ValLoss  *float64 `json:"val_loss,omitempty"`
	Tokens   int64    `json:"tokens"`
	Seconds  float64  `json:"seconds"`
}

// SaveCheckpoint writes the full training state to path.
func (tr *Trainer) SaveCheckpoint(path string) error {
	rng, err := tr.rng.MarshalBinary()
	if err != nil {
		return fmt.Errorf("train: saving the data generator state: %w", err)
	}
	st := checkpointState{Step: tr.Step, AdamStep: tr.adam.Step, RNG: rng, Tokens: tr.tokens,
		Options: tr.Opt, Task: tr.Task.Name(), TaskSpec: taskSpec(tr.Task), ParamsLen: len(tr.grads)}
	st.Options.Progress, st.Options.OnEval = nil, nil
	for _, p := range tr.Log {
		l := logJSON{Step: p.Step, LR: p.LR, Loss: p.Loss, GradNorm: p.GradNorm, Tokens: p.Tokens, Seconds: p.Seconds}
		if !math.IsNaN(p.ValLoss) {
			v := p.ValLoss
			l.ValLoss = &v
		}
		st.Log = append(st.Log, l)
	}
	js, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("train: encoding checkpoint state: %w", err)
	}
	m := tr.Model
	md := m.Metadata()
	md[metaCheckpoint] = string(js)
	var ts []safetensors.WriteTensor
	for _, t := range m.Params.Tensors {
		ts = append(ts, safetensors.WriteTensor{Name: t.Name, Shape: t.Shape, F32: t.Data})
	}
	n := len(tr.grads)
	ts = append(ts,
		safetensors.WriteTensor{Name: model.TrainingStatePrefix + "exp_avg", Shape: []int{n}, F32: tr.adam.M},
		safetensors.WriteTensor{Name: model.TrainingStatePrefix + "exp_avg_sq", Shape: []int{n}, F32: tr.adam.V})
	return safetensors.WriteFile(path, ts, md)
}

// Resume loads a checkpoint written by SaveCheckpoint and returns a trainer
// that continues it: the same batches, learning rates and updates as if the
// run had never stopped. opt may change only Progress, OnEval, Quiet and
// the checkpoint path; the recipe comes from the checkpoint.
func Resume(path string, task tasks.Task, opt Options) (*Trainer, error) {
	f, err := safetensors.ReadFile(path)
	if err != nil {
		return nil, err
	}
	js, ok := f.Metadata[metaCheckpoint]
	if !ok {
		return nil, fmt.Errorf("train: %s is a model file, not a training checkpoint (no %q metadata)", path, metaCheckpoint)
	}
	var st checkpointState
	if err := json.Unmarshal([]byte(js), &st); err != nil {
		return nil, fmt.Errorf("train: %s: checkpoint state is not valid JSON: %v", path, err)
	}
	if st.Task != task.Name() {
		return nil, fmt.Errorf("train: %s was trained on task %q, not %q", path, st.Task, task.Name())
	}
	if spec := taskSpec(task); st.TaskSpec != "" && spec != st.TaskSpec {
		return nil, fmt.Errorf("train: %s was trained on different task settings; resume with the same task flags (checkpoint: %s)", path, st.TaskSpec)
	}
	m, err := model.FromSafetensors[float32](f, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	ro := st.Options
	ro.Progress, ro.OnEval, ro.Quiet = opt.Progress, opt.OnEval, opt.Quiet
	if opt.CheckpointPath != "" {
		ro.CheckpointPath = opt.CheckpointPath
	}
	if opt.Steps > ro.Steps {
		return nil, fmt.Errorf("train: cannot extend a run from %d to %d steps: the learning-rate schedule is fixed by the original step count", ro.Steps, opt.Steps)
	}
	tr, err := New(m, task, ro)
	if err != nil {
		return nil, err
	}
	if st.ParamsLen != len(tr.grads) {
		return nil, fmt.Errorf("train: %s: checkpoint has %d parameters, the model %d", path, st.ParamsLen, len(tr.grads))
	}
	for i, name := range []string{"exp_avg", "exp_avg_sq"} {
		t, ok := f.Get(model.TrainingStatePrefix + name)
		if !ok || !slices.Equal(t.Shape, []int{len(tr.grads)}) {
			return nil, fmt.Errorf("train: %s: optimizer tensor %q missing or misshapen", path, model.TrainingStatePrefix+name)
		}
		v, err := t.Float32()
		if err != nil {
			return nil, err
		}
		copy([][]float32{tr.adam.M, tr.adam.V}[i], v)
	}
	tr.adam.Step = st.AdamStep
	if err := tr.rng.UnmarshalBinary(st.RNG); err != nil {
		return nil, fmt.Errorf("train: %s: bad generator state: %v", path, err)
	}
	tr.Step, tr.tokens = st.Step, st.Tokens
	for _, l := range st.Log {
		p := Point{Step: l.Step, LR: l.LR, Loss: l.Loss, GradNorm: l.GradNorm, ValLoss: math.NaN(), Tokens: l.Tokens, Seconds: l.Seconds}
		if l.ValLoss != nil {
			p.ValLoss = *l.ValLoss
		}
		tr.Log = append(tr.Log, p)
	}
	return tr, nil
}

// taskSpec is the task's generator spec as canonical JSON.
func taskSpec(t tasks.Task) string {
	b, err := json.Marshal(t.Spec())
	if err != nil {
		return ""
	}
	return string(b)
}
