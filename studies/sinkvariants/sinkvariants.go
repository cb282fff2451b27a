package sinkvariants

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/plots"
	"github.com/attnlab/attnlab/report"
	"github.com/attnlab/attnlab/sinks"
	"github.com/attnlab/attnlab/tasks"
	"github.com/attnlab/attnlab/train"
)

// Variant is one attention variant of the comparison study.
type Variant struct {
	Name      string // file stem and table label
	Attention string // attention kind of every layer
	SinkToken bool   // train (and evaluate) with a dedicated sink token prepended (tasks.SinkToken)
}

// Variants are the five of the issue: softmax, softmax1, a learnable sink
// slot, sigmoid attention, and softmax with a dedicated sink token.
func Variants() []Variant {
	return []Variant{
		{Name: "softmax", Attention: "softmax"},
		{Name: "softmax1", Attention: "softmax1"},
		{Name: "learned-sink", Attention: "learned-sink"},
		{Name: "sigmoid", Attention: "sigmoid"},
		{Name: "sink-token", Attention: "softmax", SinkToken: true},
	}
}

// Options configure Run.
type Options struct {
	Base  model.Config  // architecture shared by every variant (Attention is overwritten)
	Train train.Options // the same budget for every variant
	Sinks sinks.Options // metric options
	Dir   string        // when set, load DIR/<variant>.safetensors if present, else train and save it there
	Batch int           // held-out windows for the metrics [16]
	Log   func(format string, args ...any)
}

// Result is one row of the study.
type Result struct {
	Variant   Variant
	Report    *sinks.Report
	ValLoss   float64 // mean next-token loss on held-out windows (text positions only), nats
	MeanAlpha float64 // α over every head
	MaxAlpha  float64
	RowSum    float64 // attention on real keys per query, mean over heads (the rest went to the null slot)
	Trained   bool    // false when loaded from Dir
	Seconds   float64 // training time (as recorded in the file when loaded)
	Model     *model.Model
}

// Run trains (or loads) one model per variant on corpus with the same
// budget and measures each one's sinks on the same held-out text
// (sinks.HeldOut with the training seed).
func Run(ctx context.Context, corpus *tasks.TextCorpus, vs []Variant, opt Options) ([]Result, error) {
	if opt.Batch == 0 {
		opt.Batch = 16
	}
	logf := opt.Log
	if logf == nil {
		logf = func(string, ...any) {}
	}
	T := opt.Base.NCtx
	var res []Result
	for _, v := range vs {
		var task tasks.Task = corpus
		if v.SinkToken {
			st, err := tasks.NewSinkToken(corpus, tasks.SinkTokenID)
			if err != nil {
				return nil, err
			}
			task = st
		}
		r := Result{Variant: v}
		path := ""
		if opt.Dir != "" {
			path = filepath.Join(opt.Dir, v.Name+".safetensors")
		}
		var (
			m   *model.Model
			err error
		)
		if path != "" {
			m, err = model.Load(path, "")
			if err == nil {
				if err := checkVariant(path, m, v, opt.Base); err != nil {
					return nil, err
				}
			}
			switch {
			case err == nil && m.Meta["compare_steps"] == fmt.Sprint(opt.Train.Steps):
				logf("loaded %s from %s", v.Name, path)
				r.Seconds, _ = strconv.ParseFloat(m.Meta["train_seconds"], 64)
			case err == nil:
				logf("%s was trained for %s steps, not %d: retraining", path, m.Meta["compare_steps"], opt.Train.Steps)
				m = nil
			case !errors.Is(err, fs.ErrNotExist):
				return nil, err
			}
		}
		if m == nil {
			cfg := opt.Base
			cfg.Attention = nil
			for range cfg.NLayers {
				cfg.Attention = append(cfg.Attention, v.Attention)
			}
			if m, err = model.NewInit[float32](cfg); err != nil {
				return nil, err
			}
			to := opt.Train
			to.SeqLen = T
			tr, err := train.New(m, task, to)
			if err != nil {
				return nil, err
			}
			logf("training %s: %d parameters, %d steps", v.Name, m.NumParams(), to.Steps)
			start := time.Now()
			if err := tr.Run(ctx); err != nil {
				return nil, err
			}
			r.Seconds, r.Trained = time.Since(start).Seconds(), true
			m.Meta["task"] = task.Name()
			m.Meta["variant"] = v.Name
			m.Meta["compare_steps"] = fmt.Sprint(opt.Train.Steps)
			m.Meta["train_seconds"] = fmt.Sprintf("%.1f", r.Seconds)
			if path != "" {
				if err := os.MkdirAll(opt.Dir, 0o755); err != nil {
					return nil, err
				}
				if err := m.Save(path); err != nil {
					return nil, err
				}
			}
		}
		// The same held-out text for every variant; the sink-token variant
		// sees it behind its sink.
		bos := sinks.BOS{}
		if v.SinkToken {
			bos = sinks.NewBOS(tasks.SinkTokenID)
		}
		tokens, err := sinks.HeldOut(corpus, opt.Batch, T, bos, opt.Train.Seed)
		if err != nil {
			return nil, err
		}
		so := opt.Sinks
		so.BOS = bos
		if r.Report, err = sinks.Analyze(ctx, m, tokens, opt.Batch, T, so); err != nil {
			return nil, err
		}
		if r.ValLoss, err = textLoss(m, tokens, opt.Batch, T, v.SinkToken); err != nil {
			return nil, err
		}
		n := 0
		for _, layer := range r.Report.Alpha {
			for _, a := range layer {
				r.MeanAlpha += a
				r.MaxAlpha = max(r.MaxAlpha, a)
				n++
			}
		}
		for _, layer := range r.Report.RowSum {
			for _, x := range layer {
				r.RowSum += x / float64(n)
			}
		}
		r.MeanAlpha /= float64(n)
		r.Model = m
		res = append(res, r)
	}
	return res, nil
}

// textLoss is the mean next-token loss on the predictions every variant
// makes from the same text: bytes 1..T−2 of each window (the sink-token
// variant sees them one position later, behind its sink).
func textLoss(m *model.Model, tokens []int32, B, T int, sink bool) (float64, error) {
	out, err := m.Run(tokens, B, T, model.RunOptions{})
	if err != nil {
		return 0, err
	}
	lo := 0
	if sink {
		lo = 1
	}
	s, n := 0.0, 0
	for b := range B {
		for t := lo; t < lo+T-2; t++ {
			s += float64(out.Losses.Data[b*(T-1)+t])
			n++
		}
	}
	return s / float64(n), nil
}

// Table is variants.csv: one row per variant.
func Table(rs []Result) *report.Table {
	t := report.NewTable("variants", "Attention variants: sinks and validation loss (same architecture and budget)",
		report.Column{Name: "variant"}, report.Column{Name: "attention"}, report.Column{Name: "sink_token"},
		report.Column{Name: "mean_alpha", Format: "%.3f"}, report.Column{Name: "max_alpha", Format: "%.3f"},
		report.Column{Name: "sink_ratio", Format: "%.3f"}, report.Column{Name: "row_sum", Format: "%.3f"},
		report.Column{Name: "val_loss", Unit: "nats", Format: "%.3f"},
		report.Column{Name: "train_seconds", Unit: "s", Format: "%.0f"})
	if len(rs) > 0 {
		t.Caption = fmt.Sprintf("alpha: mass on position 0 (the sink token for sink-token); sink_ratio: Sink_%d at ε = %g (%s); row_sum: attention on real keys (1 − null-slot mass; unnormalised for sigmoid); val_loss on held-out text, the same predictions for every variant",
			rs[0].Report.K, rs[0].Report.Eps, rs[0].Report.Metric)
	}
	for _, r := range rs {
		t.Add(r.Variant.Name, r.Variant.Attention, r.Variant.SinkToken, r.MeanAlpha, r.MaxAlpha, r.Report.SinkK, r.RowSum, r.ValLoss, r.Seconds)
	}
	return t
}

// Chart is variants.png: per variant, the largest share of a head's
// attention on position 0 (α ÷ the head's row sum, so that sigmoid
// attention, whose rows are not normalised and sum to about 2, is on the
// same scale), the mean share the null slot takes (1 − row sum: softmax1
// and the learned sink; none for sigmoid), and Sink_k^ε.
func Chart(rs []Result) plots.BarChart {
	var labels []string
	var share, slot, ratio []float64
	for _, r := range rs {
		labels = append(labels, r.Variant.Name)
		top := 0.0
		for l, layer := range r.Report.Alpha {
			for h, a := range layer {
				if rs := r.Report.RowSum[l][h]; rs > 0 {
					top = max(top, a/rs)
				}
			}
		}
		null := 1 - r.RowSum
		if r.Variant.Attention == "sigmoid" {
			null = math.NaN() // no normalisation, so no slot
		}
		share, slot, ratio = append(share, top), append(slot, max(null, 0)), append(ratio, r.Report.SinkK)
	}
	k, eps, per := 1, 0.3, "windows × heads"
	if len(rs) > 0 {
		k, eps = rs[0].Report.K, rs[0].Report.Eps
		if rs[0].Report.Metric == sinks.HeadMean {
			per = "heads"
		}
	}
	return plots.BarChart{Title: "Where each variant puts spare attention (same architecture and budget)", XLabel: "attention variant",
		YLabel: "fraction of a head's attention", Labels: labels, Groups: []plots.BarGroup{
			{Name: "largest head: share on position 0 (α ÷ row sum)", Values: share},
			{Name: "null slot (1 − row sum), mean over heads", Values: slot},
			{Name: fmt.Sprintf("Sink%s rate, ε = %g (fraction of %s)", subscript(k), eps, per), Values: ratio}}}
}

// subscript writes k in Unicode subscript digits: 1 → "₁".
func subscript(k int) string {
	var b strings.Builder
	for _, c := range strconv.Itoa(k) {
		b.WriteRune('₀' + (c - '0'))
	}
	return b.String()
}

// Results returns variants.csv as table and headline and variants.png.
func Results(rs []Result) report.Results {
	t := Table(rs)
	return report.Results{Tables: []*report.Table{t}, Headline: []*report.Table{t},
		Figures: []report.Figure{{Name: "variants.png", Fig: Chart(rs)}}}
}

// checkVariant refuses a model file whose recorded attention kinds, first
// token or architecture are not the variant's: the file name alone says
// nothing (a softmax model copied to softmax1.safetensors is not softmax1).
func checkVariant(path string, m *model.Model, v Variant, base model.Config) error {
	c := m.Config
	for l := range c.NLayers {
		if k := c.AttentionKind(l); k != v.Attention {
			return fmt.Errorf("sinkvariants: %s records attention %q in layer %d, not the %s variant's %q", path, k, l, v.Name, v.Attention)
		}
	}
	if _, bos := m.SinkToken(); bos != v.SinkToken {
		what := map[bool]string{true: "a model trained with a sink token", false: "a model trained without a sink token"}
		return fmt.Errorf("sinkvariants: %s holds %s; the %s variant is %s", path, what[bos], v.Name, what[v.SinkToken])
	}
	b := base.WithDefaults()
	if c.NLayers != b.NLayers || c.DModel != b.DModel || c.NHeads != b.NHeads || c.DHead != b.DHead || c.NCtx != b.NCtx ||
		c.DVocab != b.DVocab || c.PositionalEmbeddingType != b.PositionalEmbeddingType || c.HasMLP() != b.HasMLP() {
		return fmt.Errorf("sinkvariants: %s is a model of %s, not the compared architecture (%s)", path, c.Summary(), b.Summary())
	}
	return nil
}
