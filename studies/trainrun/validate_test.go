package trainrun

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/attnlab/attnlab/internal/badinput"
	"github.com/attnlab/attnlab/tasks"
)

// TestValidate: each bad setting is a *badinput.Setting naming it; a good
// recipe passes and gets its default checkpoint path beside Out.
func TestValidate(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		edit func(o *Options)
		want string
	}{
		{func(o *Options) { o.Train.Steps = 0 }, "steps must be a positive integer, got 0"},
		{func(o *Options) { o.Model.NHeads = -1 }, "n_heads must be a positive integer, got -1"},
		{func(o *Options) { o.TrackEvery = -2 }, "track_every must be 0 (the default) or positive, got -2"},
		{func(o *Options) { o.Train.LR = math.Inf(1) }, "lr must be a positive number, got +Inf"},
		{func(o *Options) { o.Train.MinLR = 1 }, "min_lr must be a number between 0 and lr (0.001), got 1"},
		{func(o *Options) { o.Train.ClipNorm = math.NaN() }, "clip_norm must be a number ≥ 0 (0 disables clipping), got NaN"},
		{func(o *Options) { o.Train.Beta2 = 1 }, "beta2 must be in [0, 1), got 1"},
		{func(o *Options) { o.Out = t.TempDir() }, "out: "},
		{func(o *Options) { o.Task.Task = "poetry" }, "task must be one of induction, "},
		{func(o *Options) { o.Task.Task = "mqar"; o.Track = "induction" }, "track induction needs task induction"},
		{func(o *Options) { o.Track = "loss" }, "track must be induction or sinks, got \"loss\""},
		{func(o *Options) { o.Model.DModel = 15 }, "d_model (15) must be a multiple of n_heads (2), or set d_head"},
		{func(o *Options) { o.Train.CheckpointPath = o.Out }, "checkpoint and out must be different files, both are "},
		{func(o *Options) { o.Train.Units = 3 }, "units must be between 1 and batch (2), got 3"},
		{func(o *Options) { o.BOS = "3" }, `bos and sink_token need task text, got "induction"`},
		{func(o *Options) { o.Task.Task, o.BOS = "text", "256" }, `bos must be a token id in [0, 256) or none, got "256"`},
		{func(o *Options) { o.Task.Task, o.BOS, o.SinkToken = "text", "3", true }, "sink_token is bos 0; it cannot be combined with bos 3"},
		{func(o *Options) { o.Attn = "flash" }, "attn: "},
		{func(o *Options) { o.Attn = "softmax,linear:elu" }, "attn: model: 2 attention kinds listed for 1 layers"},
	} {
		o := tiny(t, "induction")
		c.edit(&o)
		err := o.Validate()
		if !badinput.Is(err) || len(err.Error()) < len(c.want) || err.Error()[:len(c.want)] != c.want {
			t.Errorf("got %v, want bad input %q…", err, c.want)
		}
	}
	o := tiny(t, "text")
	o.Train.CheckpointPath, o.Norm, o.Attn, o.SinkToken = "", "none", "linear:elu", true
	if err := o.Validate(); err != nil || o.Model.NormalizationType != "" || o.Model.Attention[0] != "linear:elu" || !o.Task.BOS || o.Task.BOSToken != tasks.SinkTokenID {
		t.Errorf("text recipe: %v, norm %q, attention %q, BOS %v %d", err, o.Model.NormalizationType, o.Model.Attention, o.Task.BOS, o.Task.BOSToken)
	}
	o = tiny(t, "induction")
	o.Train.CheckpointPath = ""
	if err := o.Validate(); err != nil || o.Train.CheckpointPath != filepath.Join(filepath.Dir(o.Out), "m.ckpt.safetensors") {
		t.Errorf("good recipe: %v, checkpoint %q", err, o.Train.CheckpointPath)
	}
}
