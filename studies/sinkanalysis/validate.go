package sinkanalysis

import (
	"path/filepath"

	"github.com/attnlab/attnlab/internal/badinput"
	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/report"
	"github.com/attnlab/attnlab/sinks"
	"github.com/attnlab/attnlab/tasks"
)

// Validate checks o against model m (called name) before anything runs,
// and fills in what depends on the model: SeqLen 0 is n_ctx; Sinks.GuLen
// 0 is min(64, SeqLen), more than SeqLen is refused (Compare.GuLen is cut
// to the variants' n_ctx when they run);
// a streaming Window 0 is n_ctx, Len 0 is 8 × n_ctx and Sweep nil is
// sinks.DefaultSweep; a nil Corpus is tasks.DefaultCorpus. A setting the
// model cannot take is a *badinput.Setting (seq_len, k, gu_len, streaming,
// window, windows, stream_len, streams), a model that is not a byte-level
// text model or a comparison folder that cannot hold models a
// *badinput.Error.
func (o *Options) Validate(m *model.Model, name string) error {
	c := m.Config
	if c.DVocab < 256 {
		return badinput.Errorf("sink-analysis needs a byte-level text model (d_vocab ≥ 256); %s has d_vocab %d", name, c.DVocab)
	}
	if o.SeqLen == 0 {
		o.SeqLen = c.NCtx
	}
	T := o.SeqLen
	if T < 2 || T > c.NCtx {
		return badinput.Settingf("{seq_len} must be between 2 and the model's n_ctx (%d), got %d", c.NCtx, T)
	}
	switch g := &o.Sinks.GuLen; {
	case *g == 0:
		*g = min(64, T)
	case *g < 0 || *g > T:
		return badinput.Settingf("{gu_len} must be between 1 and {seq_len} (%d), got %d", T, *g)
	}
	if o.Sinks.K > o.Sinks.GuLen {
		return badinput.Settingf("{k} (%d) must be at most {gu_len} and {seq_len} (%d)", o.Sinks.K, o.Sinks.GuLen)
	}
	if s := o.Streaming; s != nil {
		if s.Window == 0 {
			s.Window = c.NCtx
		}
		if s.Window < 5 || s.Window > c.NCtx {
			return badinput.Settingf("{window} must be between 5 and the model's n_ctx (%d), got %d", c.NCtx, s.Window)
		}
		if s.Sweep == nil {
			s.Sweep = sinks.DefaultSweep(c.NCtx)
		}
		for _, w := range s.Sweep {
			if w < 5 || w > c.NCtx {
				return badinput.Settingf("{windows} must list cache sizes between 5 (four sinks and a recent token) and n_ctx (%d), got \"%d\"", c.NCtx, w)
			}
		}
		if s.Len == 0 {
			s.Len = 8 * c.NCtx
		}
		if s.Len < 2 {
			return badinput.Settingf("{stream_len} must be at least 2, got %d", s.Len)
		}
	}
	if o.Compare != nil && o.Compare.Dir != "" {
		if err := report.CheckTarget(filepath.Join(o.Compare.Dir, "softmax.safetensors")); err != nil {
			return badinput.Wrap(err)
		}
	}
	if o.Corpus == nil {
		var err error
		if o.Corpus, err = tasks.DefaultCorpus(); err != nil {
			return err
		}
	}
	if s := o.Streaming; s != nil {
		if avail := o.Corpus.Len(tasks.Val); s.Len > avail || s.Streams > avail/s.Len {
			return badinput.Settingf("{streams} %d × {stream_len} %d need more held-out text than the corpus has (%d bytes)", s.Streams, s.Len, avail)
		}
	}
	return nil
}
