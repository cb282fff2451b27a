package trainrun

import (
	"errors"
	"math"
	"slices"
	"strings"

	"github.com/attnlab/attnlab/internal/badinput"
	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/report"
	"github.com/attnlab/attnlab/studies/phase"
	"github.com/attnlab/attnlab/tasks"
)

// Validate checks the settings of o before any work: the sizes (positive,
// or 0 for a default), the optimiser's rates (finite, in range), the task
// and tracker names, d_model against the heads of a new model, and the
// output files (each absent or a regular file, not a folder or a device,
// and different from each other), the work units against the batch, and
// the fixed first token (a text task's). An empty checkpoint path becomes
// Out with .ckpt.safetensors; BOS and SinkToken set Task.BOS and
// Task.BOSToken, and a new run's Model gets Norm and Attn. Errors are
// *badinput.Setting, naming the settings in snake case (n_layers, min_lr,
// checkpoint, sink_token).
func (o *Options) Validate() error {
	m, t, k := &o.Model, &o.Train, &o.Task
	for _, f := range []struct {
		name string
		v    int
	}{{"steps", t.Steps}, {"batch", t.Batch}, {"n_layers", m.NLayers}, {"d_model", m.DModel},
		{"n_heads", m.NHeads}, {"kv_pairs", k.KVPairs}} {
		if f.v <= 0 {
			return badinput.Settingf("{"+f.name+"} must be a positive integer, got %d", f.v)
		}
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"seq_len", k.SeqLen}, {"vocab", k.Vocab}, {"n_ctx", m.NCtx}, {"d_head", m.DHead}, {"d_mlp", m.DMLP},
		{"warmup", t.Warmup}, {"eval_every", t.EvalEvery}, {"checkpoint_every", t.CheckpointEvery}, {"min_rep", k.MinRep},
		{"max_rep", k.MaxRep}, {"max_gap", k.MaxGap}, {"track_every", o.TrackEvery}, {"units", t.Units},
		{"min_facts", k.MinFacts}, {"max_facts", k.MaxFacts}} {
		if f.v < 0 {
			return badinput.Settingf("{"+f.name+"} must be 0 (the default) or positive, got %d", f.v)
		}
	}
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	switch {
	case !finite(t.LR) || t.LR <= 0:
		return badinput.Settingf("{lr} must be a positive number, got %v", t.LR)
	case !finite(t.MinLR) || t.MinLR < 0 || t.MinLR > t.LR:
		return badinput.Settingf("{min_lr} must be a number between 0 and {lr} (%v), got %v", t.LR, t.MinLR)
	case !finite(t.WeightDecay) || t.WeightDecay < 0:
		return badinput.Settingf("{weight_decay} must be a number ≥ 0, got %v", t.WeightDecay)
	case !finite(t.ClipNorm) || t.ClipNorm < 0:
		return badinput.Settingf("{clip_norm} must be a number ≥ 0 (0 disables clipping), got %v", t.ClipNorm)
	case !(t.Beta1 >= 0 && t.Beta1 < 1):
		return badinput.Settingf("{beta1} must be in [0, 1), got %v", t.Beta1)
	case !(t.Beta2 >= 0 && t.Beta2 < 1):
		return badinput.Settingf("{beta2} must be in [0, 1), got %v", t.Beta2)
	}
	switch {
	case !slices.Contains(tasks.Names, k.Task):
		return badinput.Settingf("{task} must be one of %s, got %q", strings.Join(tasks.Names, ", "), k.Task)
	case o.Track != "" && !slices.Contains(phase.Kinds, o.Track):
		return badinput.Settingf("{track} must be %s, got %q", strings.Join(phase.Kinds, " or "), o.Track)
	case o.Track == "induction" && k.Task != "induction":
		return badinput.Settingf("{track} induction needs {task} induction")
	case o.Resume == "" && m.DHead == 0 && m.DModel%m.NHeads != 0:
		return badinput.Settingf("{d_model} (%d) must be a multiple of {n_heads} (%d), or set {d_head}", m.DModel, m.NHeads)
	}
	if t.CheckpointPath == "" {
		t.CheckpointPath = strings.TrimSuffix(o.Out, ".safetensors") + ".ckpt.safetensors"
	}
	if err := report.CheckTarget(o.Out); err != nil {
		return badinput.Settingf("{out}: %v", strings.TrimPrefix(err.Error(), "report: "))
	}
	if err := report.CheckTarget(t.CheckpointPath); err != nil {
		return badinput.Settingf("{checkpoint}: %v", strings.TrimPrefix(err.Error(), "report: "))
	}
	if t.CheckpointPath == o.Out {
		return badinput.Settingf("{checkpoint} and {out} must be different files, both are %s", o.Out)
	}
	if err := o.firstToken(); err != nil {
		return err
	}
	if t.Units > t.Batch {
		return badinput.Settingf("{units} must be between 1 and {batch} (%d), got %d", t.Batch, t.Units)
	}
	if o.Resume != "" {
		return nil // the checkpoint holds the model
	}
	switch {
	case strings.EqualFold(o.Norm, "none"):
		m.NormalizationType = ""
	case o.Norm != "":
		m.NormalizationType = o.Norm
	}
	var err error
	if m.Attention, err = model.ParseAttention(o.Attn, m.NLayers); err != nil {
		var s *badinput.Setting
		if errors.As(err, &s) { // too many layers: the list is not at fault
			return err
		}
		return badinput.Settingf("{attn}: %v", err)
	}
	return nil
}

// firstToken sets the task's fixed first token from BOS and SinkToken.
func (o *Options) firstToken() error {
	bos, on, err := tasks.ParseBOS(o.BOS, 256)
	if err != nil {
		return err
	}
	if o.SinkToken {
		if on && bos != tasks.SinkTokenID {
			return badinput.Settingf("{sink_token} is {bos} %d; it cannot be combined with {bos} %d", tasks.SinkTokenID, bos)
		}
		bos, on = tasks.SinkTokenID, true
	}
	if on && o.Task.Task != "text" {
		return badinput.Settingf("{bos} and {sink_token} need {task} text, got %q", o.Task.Task)
	}
	o.Task.BOS, o.Task.BOSToken = on, bos
	return nil
}
