package mqar

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/attnlab/attnlab/internal/badinput"
	"github.com/attnlab/attnlab/internal/membudget"
	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/probes"
	"github.com/attnlab/attnlab/report"
	"github.com/attnlab/attnlab/tasks"
	"github.com/attnlab/attnlab/train"
)

// MaxCells bounds a grid's cells (the full grid has 225): more is a typo
// for a seed or d_model list, not a run that could finish.
const MaxCells = 1 << 16

// Grid is a trained-MQAR sweep: every cell trains a fresh model with the
// same recipe (same steps, batch, learning rate: the same budget) and
// evaluates it on held-out sequences.
type Grid struct {
	Kinds   []string // attention kinds, one per cell column ("softmax", "linear:elu", …)
	DModels []int    // d_model values
	KVPairs []int    // key-value pairs per sequence
	Seeds   []uint64 // model-init and data seeds

	Layers, Heads int     // architecture: attention-only, LN, learned positions
	Vocab         int     // d_vocab of task and model
	SeqLen        int     // sequence length; 0 means max(64, 4·kv) per cell
	Steps, Batch  int     // training budget per cell
	LR            float64 // peak AdamW learning rate (warmup 10%, cosine to LR/10)
	EvalSeqs      int     // held-out sequences per cell
	// ShiftSoftmax keeps layer 0 softmax in every cell, so only the later
	// layers (the lookup) use the kind under test. MQAR needs a token shift
	// (copy each key into its value's position) before the lookup; Based
	// and Zoology's linear models get it from a short convolution, which
	// softmax layer 0 stands in for here.
	ShiftSoftmax bool
}

// Quick is the default grid: a few minutes on two cores. Layer 0 is
// softmax in every cell (ShiftSoftmax), layer 1 the kind under test.
func Quick() Grid {
	return Grid{Kinds: []string{"softmax", "linear:elu", "linear:relu"},
		DModels: []int{32, 64}, KVPairs: []int{4, 8, 16}, Seeds: []uint64{1},
		Layers: 2, Heads: 2, Vocab: 128, Steps: 2400, Batch: 32, LR: 3e-3, EvalSeqs: 256, ShiftSoftmax: true}
}

// Full is the paper-sized grid (the shape of Zoology Fig. 2): every
// feature map, d_model up to 128, kv pairs up to 64, three seeds. Hours on
// two cores; split it with shards.
func Full() Grid {
	return Grid{Kinds: []string{"softmax", "linear:elu", "linear:relu", "linear:favor", "linear:taylor", "linear:identity"},
		DModels: []int{32, 64, 128}, KVPairs: []int{4, 8, 16, 32, 64}, Seeds: []uint64{1, 2, 3},
		Layers: 2, Heads: 2, Vocab: 512, Steps: 3000, Batch: 32, LR: 3e-3, EvalSeqs: 1024, ShiftSoftmax: true}
}

// Cell is one point of the grid; Index is its position in Cells order,
// which fixes its shard.
type Cell struct {
	Index   int
	Kind    string
	DModel  int
	KVPairs int
	Seed    uint64
}

// Cells lists the grid in a fixed order: d_model, kv pairs, seed, kind.
func (g Grid) Cells() []Cell {
	var cells []Cell
	for _, d := range g.DModels {
		for _, kv := range g.KVPairs {
			for _, s := range g.Seeds {
				for _, k := range g.Kinds {
					cells = append(cells, Cell{Index: len(cells), Kind: k, DModel: d, KVPairs: kv, Seed: s})
				}
			}
		}
	}
	return cells
}

// SeqLenFor is the sequence length of cells with kv pairs.
func (g Grid) SeqLenFor(kv int) int {
	if g.SeqLen > 0 {
		return g.SeqLen
	}
	return max(64, 4*kv)
}

// Task returns the MQAR generator of cells with kv pairs.
func (g Grid) Task(kv int) (*tasks.MQAR, error) {
	return tasks.NewMQAR(tasks.MQARConfig{Vocab: g.Vocab, NumKVPairs: kv, SeqLen: g.SeqLenFor(kv), PowerA: 0.01, RandomNonQueries: true})
}

// Validate checks the grid before anything runs.
func (g Grid) Validate() error {
	if len(g.Kinds) == 0 || len(g.DModels) == 0 || len(g.KVPairs) == 0 || len(g.Seeds) == 0 {
		return fmt.Errorf("mqar: the MQAR grid is empty")
	}
	if g.Steps < 1 || g.Batch < 1 || g.EvalSeqs < 1 || g.Layers < 1 || g.Heads < 1 || !(g.LR > 0) {
		return fmt.Errorf("mqar: steps, batch, eval sequences, layers, heads and learning rate must be positive")
	}
	cells := int64(len(g.Kinds) * len(g.DModels) * len(g.KVPairs) * len(g.Seeds))
	if cells > MaxCells {
		return fmt.Errorf("mqar: a grid of %d cells is more than the %d one run can hold", cells, MaxCells)
	}
	// The grid's steps and tokens are counted in int64: a step count
	// whose total would overflow is refused, not wrapped.
	perStep := int64(g.Batch) * int64(g.SeqLenFor(slices.Max(g.KVPairs)))
	if int64(g.Steps) > math.MaxInt64/cells/perStep {
		return fmt.Errorf("mqar: %d steps per cell × %d cells × %d tokens per step overflow a 64-bit count", g.Steps, cells, perStep)
	}
	for _, kv := range g.KVPairs {
		if _, err := g.Task(kv); err != nil {
			return err
		}
	}
	// Each cell draws its held-out set at once: tokens, targets and mask.
	T := g.SeqLenFor(slices.Max(g.KVPairs))
	if err := membudget.Check(fmt.Sprintf("mqar: %d held-out sequences of %d tokens per cell", g.EvalSeqs, T), membudget.Bytes(12, g.EvalSeqs, T)); err != nil {
		return err
	}
	for _, d := range g.DModels {
		if d%g.Heads != 0 {
			return fmt.Errorf("mqar: d_model %d is not a multiple of %d heads", d, g.Heads)
		}
		for _, k := range g.Kinds {
			if err := g.config(k, d).Validate(); err != nil {
				return err
			}
		}
	}
	return nil
}

func (g Grid) config(kind string, d int) model.Config {
	kinds := make([]string, g.Layers)
	for l := range kinds {
		kinds[l] = kind
	}
	if g.ShiftSoftmax && g.Layers > 1 {
		kinds[0] = "softmax"
	}
	return model.Config{NLayers: g.Layers, DModel: d, NHeads: g.Heads, DVocab: g.Vocab, NCtx: g.SeqLenFor(slices.Max(g.KVPairs)),
		NormalizationType: "LN", PositionalEmbeddingType: "standard", AttnOnly: true, Attention: kinds}.WithDefaults()
}

// Result is one trained cell.
type Result struct {
	Cell
	FeatureMap string  // "" for softmax, else the linear map
	Layers     string  // attention kind of each layer, comma-separated
	SeqLen     int     // training and evaluation length
	Accuracy   float64 // held-out: argmax next token = value at query positions
	ValLoss    float64 // held-out cross-entropy at query positions (nats)
	Steps      int
	Seconds    float64 // wall time of training (when trained here) and evaluation
	DataHash   string  // tasks.Hash of the held-out set
	Model      string  // "trained" (here), or the name of the pretrained model evaluated

	// The kernel-map comparison of this cell's model, for the cell
	// KernelMapCell picks only (Run computes it while it has the model).
	kernelMap  *report.Table
	kernelFigs []report.Figure
}

// FeatureMapOf returns the map of a linear kind ("elu" of "linear:elu"),
// "" otherwise.
func FeatureMapOf(kind string) string {
	m, ok := strings.CutPrefix(kind, "linear:")
	if !ok {
		return ""
	}
	return m
}

// Pretrained gives a cell's model trained elsewhere (an embedded model,
// trained with the cell's own recipe) and its name, or nil to train it.
type Pretrained func(Cell) (m *model.Model, name string)

// Run trains and evaluates cells, workers at a time (each cell uses
// one core: train.Options.Units = 1, so results do not depend on
// workers); cells that pretrained (which may be nil) has a model for are
// only evaluated. tick is called with the number of steps done, from any
// goroutine, for a progress bar; it may be nil. Results come back in the
// order of cells.
func Run(ctx context.Context, g Grid, cells []Cell, workers int, tick func(steps int), pretrained Pretrained) ([]Result, error) {
	if err := g.Validate(); err != nil {
		return nil, err
	}
	res := make([]Result, len(cells))
	errs := make([]error, len(cells))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range max(1, min(workers, len(cells))) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(cells) || ctx.Err() != nil {
					return
				}
				res[i], errs[i] = runCell(ctx, g, cells[i], tick, pretrained)
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			c := cells[i]
			return nil, fmt.Errorf("mqar: cell %s d_model=%d kv=%d seed=%d: %w", c.Kind, c.DModel, c.KVPairs, c.Seed, err)
		}
	}
	return res, ctx.Err()
}

// runCell evaluates cell c's pretrained model, or trains it and evaluates
// it; for the cell KernelMapCell picks it also compares the model's linear
// maps with softmax (KernelMaps).
func runCell(ctx context.Context, g Grid, c Cell, tick func(int), pretrained Pretrained) (Result, error) {
	var m *model.Model
	name := "trained"
	if pretrained != nil {
		if pm, pname := pretrained(c); pm != nil {
			m, name = pm, pname
		}
	}
	start := time.Now()
	if m == nil {
		var err error
		if m, err = TrainModel(ctx, g, c, tick); err != nil {
			return Result{}, err
		}
	}
	r, err := Evaluate(g, c, m, start)
	r.Model = name
	if km, ok := g.KernelMapCell(); err == nil && ok && km == c {
		r.kernelMap, r.kernelFigs, err = g.KernelMaps(c, m)
	}
	return r, err
}

// TrainCell trains one cell's model and evaluates it.
func TrainCell(ctx context.Context, g Grid, c Cell, tick func(int)) (Result, error) {
	start := time.Now()
	m, err := TrainModel(ctx, g, c, tick)
	if err != nil {
		return Result{}, err
	}
	r, err := Evaluate(g, c, m, start)
	r.Model = "trained"
	return r, err
}

// TrainModel trains cell c's model with the grid's recipe: one work unit,
// warmup of a tenth of the steps. tick (may be nil) gets the steps done
// every 25 steps.
func TrainModel(ctx context.Context, g Grid, c Cell, tick func(int)) (*model.Model, error) {
	task, err := g.Task(c.KVPairs)
	if err != nil {
		return nil, err
	}
	cfg := g.config(c.Kind, c.DModel)
	cfg.Seed = c.Seed
	m, err := model.NewInit[float32](cfg)
	if err != nil {
		return nil, err
	}
	const every = 25
	last := 0
	opt := train.Options{Steps: g.Steps, Batch: g.Batch, SeqLen: g.SeqLenFor(c.KVPairs), LR: g.LR,
		Warmup: g.Steps / 10, Seed: c.Seed, Units: 1, EvalEvery: every, EvalBatches: 1,
		OnEval: func(step int, _ *model.Model) error {
			if tick != nil {
				tick(step - last)
			}
			last = step
			return nil
		}}
	tr, err := train.New(m, task, opt)
	if err != nil {
		return nil, err
	}
	if err := tr.Run(ctx); err != nil {
		return nil, err
	}
	return m, nil
}

// Evaluate measures cell c's model m on the cell's held-out sequences;
// Seconds counts from start.
func Evaluate(g Grid, c Cell, m *model.Model, start time.Time) (Result, error) {
	task, err := g.Task(c.KVPairs)
	if err != nil {
		return Result{}, err
	}
	ev, err := probes.EvalMQAR(m, task, g.SeqLenFor(c.KVPairs), g.EvalSeqs, c.Seed)
	if err != nil {
		return Result{}, err
	}
	var layers []string
	for l := range m.Config.NLayers {
		layers = append(layers, m.Config.AttentionKind(l))
	}
	return Result{Cell: c, FeatureMap: FeatureMapOf(c.Kind), Layers: strings.Join(layers, ","), SeqLen: g.SeqLenFor(c.KVPairs),
		Accuracy: ev.Accuracy, ValLoss: ev.Loss, Steps: g.Steps, Seconds: time.Since(start).Seconds(), DataHash: ev.Hash}, nil
}

// Settings change a grid's recipe; zero values keep the grid's, except
// Seed, which must be set.
type Settings struct {
	Kinds            []string // attention kinds
	DModels, KVPairs []int
	// Seeds is the number of seeds per cell, counted from Seed; 0 keeps the
	// grid's seeds, shifted by Seed − 1 (Seed 1 keeps them as they are).
	Seeds                  int
	Seed                   uint64
	Steps, Batch, EvalSeqs int
	LR                     float64
	Pure                   bool // every layer uses the kind under test (ShiftSoftmax off)
}

// With returns g changed by s and validated. A negative or NaN setting is
// a *badinput.Setting; a grid that Validate refuses, a *badinput.Error.
func (g Grid) With(s Settings) (Grid, error) {
	if s.Kinds != nil {
		g.Kinds = s.Kinds
	}
	if s.DModels != nil {
		g.DModels = s.DModels
	}
	if s.KVPairs != nil {
		g.KVPairs = s.KVPairs
	}
	for _, f := range []struct {
		name string
		v    int
		dst  *int
	}{{"steps", s.Steps, &g.Steps}, {"batch", s.Batch, &g.Batch}, {"eval_seqs", s.EvalSeqs, &g.EvalSeqs}} {
		if f.v < 0 {
			return g, badinput.Settingf("{"+f.name+"} must be positive, got %d", f.v)
		}
		if f.v > 0 {
			*f.dst = f.v
		}
	}
	if s.Seeds < 0 {
		return g, badinput.Settingf("{seeds} must be positive, got %d", s.Seeds)
	}
	if others := len(g.Kinds) * len(g.DModels) * len(g.KVPairs); s.Seeds > 0 && others > 0 && s.Seeds > MaxCells/others {
		return g, badinput.Settingf("{seeds} %d makes a grid of more than the %d cells one run can hold (%d cells per seed)", s.Seeds, MaxCells, others)
	}
	if s.Seeds > 0 {
		g.Seeds = make([]uint64, s.Seeds)
		for i := range g.Seeds {
			g.Seeds[i] = s.Seed + uint64(i)
		}
	} else if s.Seed != 1 {
		g.Seeds = slices.Clone(g.Seeds)
		for i := range g.Seeds {
			g.Seeds[i] += s.Seed - 1
		}
	}
	if s.LR < 0 || math.IsNaN(s.LR) {
		return g, badinput.Settingf("{lr} must be positive, got %v", s.LR)
	}
	if s.LR > 0 {
		g.LR = s.LR
	}
	g.ShiftSoftmax = g.ShiftSoftmax && !s.Pure
	return g, badinput.Wrap(g.Validate())
}
