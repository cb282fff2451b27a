package train

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"

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
	// Extra is Options.Extra's state (absent from checkpoints written
	// before it existed, and from runs without it).
	Extra map[string]json.RawMessage `json:"extra,omitempty"`
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
	st.Options.Progress, st.Options.OnEval, st.Options.Extra = nil, nil, nil
	if tr.Opt.Extra != nil {
		if st.Extra, err = tr.Opt.Extra(); err != nil {
			return fmt.Errorf("train: saving the run's extra state: %w", err)
		}
	}
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

// CheckpointInfo is what a checkpoint says about its run, read from the
// header alone.
type CheckpointInfo struct {
	Step     int               // steps taken
	Options  Options           // the recipe (Options.Command: the command line that started it)
	Task     string            // the task's name
	TaskSpec map[string]any    // the task generator's spec
	Meta     map[string]string // the model's attnlab metadata (task, trained_with, ...)
}

// ReadCheckpointInfo reads a checkpoint's state from its header, without
// its tensors.
func ReadCheckpointInfo(path string) (*CheckpointInfo, error) {
	f, err := safetensors.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := readState(path, f.Metadata)
	if err != nil {
		return nil, err
	}
	info := &CheckpointInfo{Step: st.Step, Options: st.Options, Task: st.Task, Meta: map[string]string{}}
	if st.TaskSpec != "" {
		if err := json.Unmarshal([]byte(st.TaskSpec), &info.TaskSpec); err != nil {
			return nil, fmt.Errorf("train: %s: the task spec is not valid JSON: %v", path, err)
		}
	}
	for k, v := range f.Metadata {
		if name, ok := strings.CutPrefix(k, "attnlab."); ok && k != metaCheckpoint {
			info.Meta[name] = v
		}
	}
	return info, nil
}

// readState decodes and checks the checkpoint state in a file's metadata:
// a state that could not have been written by SaveCheckpoint (a step
// beyond the run, a log that does not have one entry per step) is refused
// before anything is trained or written.
func readState(path string, md map[string]string) (*checkpointState, error) {
	js, ok := md[metaCheckpoint]
	if !ok {
		return nil, fmt.Errorf("train: %s is a model file, not a training checkpoint (no %q metadata)", path, metaCheckpoint)
	}
	var st checkpointState
	if err := json.Unmarshal([]byte(js), &st); err != nil {
		return nil, fmt.Errorf("train: %s: checkpoint state is not valid JSON: %v", path, err)
	}
	switch {
	case st.Step < 0 || st.Options.Steps < 1 || st.Step > st.Options.Steps:
		return nil, fmt.Errorf("train: %s: the checkpoint is at step %d of a %d-step run", path, st.Step, st.Options.Steps)
	case len(st.Log) != st.Step:
		return nil, fmt.Errorf("train: %s: the checkpoint is at step %d but its log has %d entries, want one per step", path, st.Step, len(st.Log))
	case st.AdamStep < 0 || st.AdamStep > st.Step || st.Tokens < 0 || st.ParamsLen < 0:
		return nil, fmt.Errorf("train: %s: the checkpoint's optimizer state (AdamW step %d, %d tokens) does not fit step %d", path, st.AdamStep, st.Tokens, st.Step)
	}
	for i, l := range st.Log {
		if l.Step != i+1 {
			return nil, fmt.Errorf("train: %s: log entry %d is for step %d, want %d", path, i, l.Step, i+1)
		}
	}
	return &st, nil
}

// specDiff names the first setting in which two task specs differ.
func specDiff(old, cur string) string {
	var a, b map[string]any
	if json.Unmarshal([]byte(old), &a) != nil || json.Unmarshal([]byte(cur), &b) != nil {
		return "its spec"
	}
	keys := make([]string, 0, len(a)+len(b))
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		x, _ := json.Marshal(a[k])
		y, _ := json.Marshal(b[k])
		if string(x) != string(y) {
			return fmt.Sprintf("%s (%s in the checkpoint, %s now)", k, x, y)
		}
	}
	return "its spec"
}

// Resume loads a checkpoint written by SaveCheckpoint and returns a trainer
// that continues it: the same batches, learning rates and updates as if the
// run had never stopped, and the state the checkpoint's Options.Extra
// saved in Trainer.Extra. opt may change only Progress, OnEval, Extra,
// Quiet and the checkpoint path; the recipe comes from the checkpoint. opt.Steps, if
// set, must equal the checkpoint's step count, unless the run's learning
// rate does not depend on it (Retargetable): then the run stops at
// opt.Steps instead, earlier or later, as a run of opt.Steps would (the
// log keeps no evaluation at the checkpoint's last step unless the longer
// run evaluates there too), and opt.Command, if set, becomes the command
// line recorded for it.
func Resume(path string, task tasks.Task, opt Options) (*Trainer, error) {
	info, err := safetensors.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := readState(path, info.Metadata)
	info.Close()
	if err != nil {
		return nil, err
	}
	if st.Task != task.Name() {
		return nil, fmt.Errorf("train: %s was trained on task %q, not %q", path, st.Task, task.Name())
	}
	if spec := taskSpec(task); st.TaskSpec != "" && spec != st.TaskSpec {
		return nil, fmt.Errorf("train: %s was trained on other task settings: %s", path, specDiff(st.TaskSpec, spec))
	}
	retarget := opt.Steps != 0 && opt.Steps != st.Options.Steps
	if retarget {
		if !Retargetable(st.Options) {
			return nil, fmt.Errorf("train: the checkpoint's run has %d steps, not %d: its learning rate decays over the original step count", st.Options.Steps, opt.Steps)
		}
		if opt.Steps < st.Step {
			return nil, fmt.Errorf("train: the checkpoint is at step %d, past a %d-step run", st.Step, opt.Steps)
		}
	}
	f, err := safetensors.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m, err := model.FromSafetensors[float32](f, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	ro := st.Options
	ro.Progress, ro.OnEval, ro.Extra, ro.Quiet = opt.Progress, opt.OnEval, opt.Extra, opt.Quiet
	if retarget {
		ro.Steps = opt.Steps
		if opt.Command != nil {
			ro.Command = opt.Command
		}
	}
	if opt.CheckpointPath != "" {
		ro.CheckpointPath = opt.CheckpointPath
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
	tr.Step, tr.tokens, tr.Extra = st.Step, st.Tokens, st.Extra
	for _, l := range st.Log {
		p := Point{Step: l.Step, LR: l.LR, Loss: l.Loss, GradNorm: l.GradNorm, ValLoss: math.NaN(), Tokens: l.Tokens, Seconds: l.Seconds}
		// A run taken past its last step did not evaluate there: the
		// evaluation is not the longer run's.
		if l.ValLoss != nil && tr.Opt.Evaluates(l.Step) {
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

// Retargetable reports whether the learning rate of every step of a run
// with (defaulted) options o is independent of o.Steps: a constant rate
// after the warmup (MinLR = LR), so that the run's first k steps are the
// same for any step count ≥ k, and a checkpoint can continue to another one.
func Retargetable(o Options) bool { return o.MinLR == o.LR }
