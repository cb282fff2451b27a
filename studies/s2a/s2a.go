package s2a

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/attnlab/attnlab/internal/badinput"
	"github.com/attnlab/attnlab/internal/list"
	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/probes"
	"github.com/attnlab/attnlab/report"
	"github.com/attnlab/attnlab/tasks"
	"github.com/attnlab/attnlab/train"
)

// Recipe is how one model of the study is trained: the architecture, the
// task (tasks.DistractorTraining of Mode) and the optimiser settings. The
// zero values of train.Options take attnlab train's defaults.
type Recipe struct {
	Name string // the embedded fixture's name, e.g. "s2a-answerer"
	Mode tasks.DistractorMode

	Layers, DModel, Heads, DMLP, NCtx int
	Pos                               string // "standard" (learned) or "rotary"
	Steps, Batch                      int
	LR, WeightDecay                   float64
	Seed                              uint64
}

// Recipes are the recipes of the embedded models, in the order answerer,
// instructed answerer, regenerator.
func Recipes() []Recipe {
	return []Recipe{
		{Name: "s2a-answerer", Mode: tasks.ModeAnswer, Layers: 2, DModel: 64, Heads: 2, NCtx: 64, Pos: "standard",
			Steps: 2400, Batch: 32, LR: 3e-3, WeightDecay: 0.01, Seed: 1},
		{Name: "s2a-instructed", Mode: tasks.ModeInstructed, Layers: 2, DModel: 64, Heads: 2, NCtx: 96, Pos: "standard",
			Steps: 3000, Batch: 32, LR: 3e-3, WeightDecay: 0.01, Seed: 1},
		{Name: "s2a-regenerator", Mode: tasks.ModeRegenerate, Layers: 3, DModel: 96, Heads: 4, DMLP: 192, NCtx: 80, Pos: "rotary",
			Steps: 2500, Batch: 32, LR: 3e-3, WeightDecay: 0.01, Seed: 1},
	}
}

// Task is the recipe's training task.
func (r Recipe) Task() (*tasks.Distractor, error) {
	return tasks.NewDistractor(tasks.DistractorTraining(r.Mode))
}

// Config is the recipe's model configuration, as attnlab train builds it.
func (r Recipe) Config() (model.Config, error) {
	t, err := r.Task()
	if err != nil {
		return model.Config{}, err
	}
	cfg := model.Config{NLayers: r.Layers, DModel: r.DModel, NHeads: r.Heads, DMLP: r.DMLP, DVocab: t.Vocab(), NCtx: r.NCtx,
		ActFn: "gelu_new", NormalizationType: "LN", PositionalEmbeddingType: r.Pos, AttnOnly: r.DMLP == 0, Seed: r.Seed}
	if r.DMLP == 0 {
		cfg.ActFn = ""
	}
	for range r.Layers {
		cfg.Attention = append(cfg.Attention, "softmax")
	}
	cfg = cfg.WithDefaults()
	return cfg, cfg.Validate()
}

// Options are the recipe's training options (attnlab train's defaults for
// everything the recipe does not set; no checkpoints).
func (r Recipe) Options() (train.Options, error) {
	t, err := r.Task()
	if err != nil {
		return train.Options{}, err
	}
	return train.Options{Steps: r.Steps, Batch: r.Batch, SeqLen: t.MaxLen(), LR: r.LR, WeightDecay: r.WeightDecay,
		ClipNorm: 1, Seed: r.Seed, EvalEvery: 100}, nil
}

// Command is the attnlab train command line that trains this recipe's model
// byte for byte (without --out), as recorded in the model's metadata.
func (r Recipe) Command() string {
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	args := []string{"attnlab", "train", "--task", r.Mode.String(), "--layers", strconv.Itoa(r.Layers),
		"--d-model", strconv.Itoa(r.DModel), "--heads", strconv.Itoa(r.Heads)}
	if r.DMLP > 0 {
		args = append(args, "--d-mlp", strconv.Itoa(r.DMLP))
	}
	args = append(args, "--pos", r.Pos, "--n-ctx", strconv.Itoa(r.NCtx), "--batch", strconv.Itoa(r.Batch),
		"--steps", strconv.Itoa(r.Steps), "--lr", f(r.LR), "--wd", f(r.WeightDecay), "--seed", strconv.FormatUint(r.Seed, 10))
	return strings.Join(args, " ")
}

// Train trains the recipe's model, writing progress to progress (nil for
// none). The result carries the metadata attnlab train writes (task, its
// spec, the command, the steps), so saving it gives the same bytes.
func Train(ctx context.Context, r Recipe, progress io.Writer) (*model.Model, error) {
	task, err := r.Task()
	if err != nil {
		return nil, err
	}
	cfg, err := r.Config()
	if err != nil {
		return nil, err
	}
	opt, err := r.Options()
	if err != nil {
		return nil, err
	}
	opt.Progress, opt.Quiet = progress, progress == nil
	m, err := model.NewInit[float32](cfg)
	if err != nil {
		return nil, err
	}
	tr, err := train.New(m, task, opt)
	if err != nil {
		return nil, err
	}
	if err := m.SetTask(task.Name(), task.Spec(), tasks.Tokenizer(task)); err != nil {
		return nil, err
	}
	m.Meta[model.MetaTrainedWith] = r.Command()
	if err := tr.Run(ctx); err != nil {
		return nil, fmt.Errorf("s2a: training %s: %w", r.Name, err)
	}
	m.Meta[model.MetaSteps] = strconv.Itoa(tr.Step)
	return m, nil
}

// Models are the trained (or loaded) models of the study.
type Models = probes.S2AModels

// TrainAll trains the three recipes in order.
func TrainAll(ctx context.Context, rs []Recipe, progress io.Writer) (Models, error) {
	var ms [3]*model.Model
	for i, r := range rs {
		if progress != nil {
			fmt.Fprintf(progress, "training %s: %s\n", r.Name, r.Command())
		}
		m, err := Train(ctx, r, progress)
		if err != nil {
			return Models{}, err
		}
		ms[i] = m
	}
	return Models{Answerer: ms[0], Instructed: ms[1], Regenerator: ms[2]}, nil
}

// Setup is the evaluation of the study: Examples contexts of Facts facts
// at each distractor rate.
type Setup struct {
	Facts    int       // facts per context
	Rates    []float64 // distractor rates; each must give a whole number of distractors
	Examples int       // contexts per rate
	Seed     uint64    // draws the contexts and seeds the bootstrap
}

// DefaultSetup is the evaluation of the README: 6 facts, rates 0, 0.25,
// 0.4, 0.5, 0.6 (0, 2, 4, 6, 9 distractors), 1000 contexts per rate.
func DefaultSetup() Setup {
	return Setup{Facts: 6, Rates: []float64{0, 0.25, 0.4, 0.5, 0.6}, Examples: 1000, Seed: 1}
}

// ParseRates reads a comma-separated list of distinct distractor rates in
// [0, 1) ("0,0.25,0.5"; list.Parse). Its error is a *badinput.Setting naming rates.
func ParseRates(s string) ([]float64, error) {
	rates, err := list.Parse(s, func(f string) (float64, error) {
		v, err := strconv.ParseFloat(f, 64)
		if err != nil || math.IsNaN(v) || v < 0 || v >= 1 {
			return 0, badinput.Settingf("{rates} must be a comma-separated list of numbers in [0, 1), got %q", s)
		}
		return v, nil
	})
	var r *list.Repeat
	if errors.As(err, &r) {
		return nil, badinput.Settingf("{rates} %v", r)
	}
	return rates, err
}

// Bounds on the evaluation (memory and time): contexts per rate, rates,
// contexts in all.
const (
	MaxExamples = 1 << 16
	MaxRates    = 64
	maxTotal    = 1 << 18
)

// Sets draws the evaluation sets: for rate i, Examples contexts from the
// generator tasks.DefaultDistractorConfig with Facts facts, WithRate(rate),
// drawn from rand.NewPCG(Seed, i). Examples, facts and the number of rates
// out of range are *badinput.Setting errors.
func (s Setup) Sets() ([]probes.S2ASet, error) {
	switch {
	case s.Examples < 1 || s.Examples > MaxExamples:
		return nil, badinput.Settingf("{examples} must be between 1 and %d, got %d", MaxExamples, s.Examples)
	case s.Facts < 1 || s.Facts > 40:
		return nil, badinput.Settingf("{facts} must be between 1 and 40 (the keys of a topic), got %d", s.Facts)
	case len(s.Rates) == 0:
		return nil, badinput.Settingf("{rates} lists no rate")
	case len(s.Rates) > MaxRates:
		return nil, badinput.Settingf("{rates} lists %d rates, at most %d", len(s.Rates), MaxRates)
	case s.Examples*len(s.Rates) > maxTotal:
		return nil, fmt.Errorf("s2a: %d rates × %d examples is more than %d contexts", len(s.Rates), s.Examples, maxTotal)
	}
	base := tasks.DefaultDistractorConfig()
	base.MinFacts, base.MaxFacts = s.Facts, s.Facts
	var sets []probes.S2ASet
	for i, rate := range s.Rates {
		if math.IsNaN(rate) {
			return nil, fmt.Errorf("s2a: distractor rate NaN")
		}
		cfg, err := base.WithRate(rate)
		if err != nil {
			return nil, err
		}
		g, err := tasks.NewDistractor(cfg)
		if err != nil {
			return nil, err
		}
		sets = append(sets, probes.S2ASet{Rate: rate, Examples: g.Examples(rand.New(rand.NewPCG(s.Seed, uint64(i))), s.Examples)})
	}
	return sets, nil
}

// Run evaluates models on setup's sets (probes.EvaluateS2A, bootstrap
// seeded by setup.Seed).
func Run(ctx context.Context, models Models, setup Setup, opt probes.S2AOptions) (*probes.S2AResult, error) {
	sets, err := setup.Sets()
	if err != nil {
		return nil, err
	}
	opt.Seed = setup.Seed
	return probes.EvaluateS2A(ctx, models, sets, opt)
}

// PatternViews returns the HTML report's attention views of the answerer's
// retrieval heads on the first example at the highest distractor rate of
// setup, on the full and on the clean context (probes.S2APatternViews).
func PatternViews(ctx context.Context, models Models, setup Setup, heads []model.HeadID) ([]report.PatternView, error) {
	sets, err := setup.Sets()
	if err != nil {
		return nil, err
	}
	return probes.S2APatternViews(ctx, models, sets[len(sets)-1], heads)
}
