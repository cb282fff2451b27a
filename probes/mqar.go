package probes

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/tasks"
	"github.com/attnlab/attnlab/train"
)

// MQARGrid is a trained-MQAR sweep: every cell trains a fresh model with the
// same recipe (same steps, batch, learning rate: the same budget) and
// evaluates it on held-out sequences.
type MQARGrid struct {
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

// QuickMQAR is the default grid: a few minutes on two cores. Layer 0 is
// softmax in every cell (ShiftSoftmax), layer 1 the kind under test.
func QuickMQAR() MQARGrid {
	return MQARGrid{Kinds: []string{"softmax", "linear:elu", "linear:relu"},
		DModels: []int{32, 64}, KVPairs: []int{4, 8, 16}, Seeds: []uint64{1},
		Layers: 2, Heads: 2, Vocab: 128, Steps: 2400, Batch: 32, LR: 3e-3, EvalSeqs: 256, ShiftSoftmax: true}
}

// FullMQAR is the paper-sized grid (the shape of Zoology Fig. 2): every
// feature map, d_model up to 128, kv pairs up to 64, three seeds. Hours on
// two cores; split it with shards.
func FullMQAR() MQARGrid {
	return MQARGrid{Kinds: []string{"softmax", "linear:elu", "linear:relu", "linear:favor", "linear:taylor", "linear:identity"},
		DModels: []int{32, 64, 128}, KVPairs: []int{4, 8, 16, 32, 64}, Seeds: []uint64{1, 2, 3},
		Layers: 2, Heads: 2, Vocab: 512, Steps: 3000, Batch: 32, LR: 3e-3, EvalSeqs: 1024, ShiftSoftmax: true}
}

// MQARCell is one point of the grid; Index is its position in Cells order,
// which fixes its shard.
type MQARCell struct {
	Index   int
	Kind    string
	DModel  int
	KVPairs int
	Seed    uint64
}

// Cells lists the grid in a fixed order: d_model, kv pairs, seed, kind.
func (g MQARGrid) Cells() []MQARCell {
	var cells []MQARCell
	for _, d := range g.DModels {
		for _, kv := range g.KVPairs {
			for _, s := range g.Seeds {
				for _, k := range g.Kinds {
					cells = append(cells, MQARCell{Index: len(cells), Kind: k, DModel: d, KVPairs: kv, Seed: s})
				}
			}
		}
	}
	return cells
}

// SeqLenFor is the sequence length of cells with kv pairs.
func (g MQARGrid) SeqLenFor(kv int) int {
	if g.SeqLen > 0 {
		return g.SeqLen
	}
	return max(64, 4*kv)
}

// Task returns the MQAR generator of cells with kv pairs.
func (g MQARGrid) Task(kv int) (*tasks.MQAR, error) {
	return tasks.NewMQAR(tasks.MQARConfig{Vocab: g.Vocab, NumKVPairs: kv, SeqLen: g.SeqLenFor(kv), PowerA: 0.01, RandomNonQueries: true})
}

// Validate checks the grid before anything runs.
func (g MQARGrid) Validate() error {
	if len(g.Kinds) == 0 || len(g.DModels) == 0 || len(g.KVPairs) == 0 || len(g.Seeds) == 0 {
		return fmt.Errorf("probes: the MQAR grid is empty")
	}
	if g.Steps < 1 || g.Batch < 1 || g.EvalSeqs < 1 || g.Layers < 1 || g.Heads < 1 || !(g.LR > 0) {
		return fmt.Errorf("probes: steps, batch, eval sequences, layers, heads and learning rate must be positive")
	}
	for _, kv := range g.KVPairs {
		if _, err := g.Task(kv); err != nil {
			return err
		}
	}
	for _, d := range g.DModels {
		if d%g.Heads != 0 {
			return fmt.Errorf("probes: d_model %d is not a multiple of %d heads", d, g.Heads)
		}
		for _, k := range g.Kinds {
			if err := g.config(k, d).Validate(); err != nil {
				return err
			}
		}
	}
	return nil
}

func (g MQARGrid) config(kind string, d int) model.Config {
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

// MQARResult is one trained cell.
type MQARResult struct {
	MQARCell
	FeatureMap string  // "" for softmax, else the linear map
	Layers     string  // attention kind of each layer, comma-separated
	SeqLen     int     // training and evaluation length
	Accuracy   float64 // held-out: argmax next token = value at query positions
	ValLoss    float64 // held-out cross-entropy at query positions (nats)
	Steps      int
	Seconds    float64 // wall time of training and evaluation
	DataHash   string  // tasks.Hash of the held-out set
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

// RunMQAR trains and evaluates cells, workers at a time (each cell uses
// one core: train.Options.Shards = 1, so results do not depend on
// workers). tick is called with the number of steps done, from any
// goroutine, for a progress bar; it may be nil. Results come back in the
// order of cells.
func RunMQAR(ctx context.Context, g MQARGrid, cells []MQARCell, workers int, tick func(steps int)) ([]MQARResult, error) {
	if err := g.Validate(); err != nil {
		return nil, err
	}
	res := make([]MQARResult, len(cells))
	errs := make([]error, len(cells))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range max(1, workers) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(cells) || ctx.Err() != nil {
					return
				}
				res[i], errs[i] = TrainMQARCell(ctx, g, cells[i], tick)
			}
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			c := cells[i]
			return nil, fmt.Errorf("probes: cell %s d_model=%d kv=%d seed=%d: %w", c.Kind, c.DModel, c.KVPairs, c.Seed, err)
		}
	}
	return res, ctx.Err()
}

// TrainMQARCell trains one cell's model and evaluates it.
func TrainMQARCell(ctx context.Context, g MQARGrid, c MQARCell, tick func(int)) (MQARResult, error) {
	start := time.Now()
	task, err := g.Task(c.KVPairs)
	if err != nil {
		return MQARResult{}, err
	}
	cfg := g.config(c.Kind, c.DModel)
	cfg.Seed = c.Seed
	m, err := model.NewInit[float32](cfg)
	if err != nil {
		return MQARResult{}, err
	}
	const every = 25
	last := 0
	opt := train.Options{Steps: g.Steps, Batch: g.Batch, SeqLen: g.SeqLenFor(c.KVPairs), LR: g.LR,
		Warmup: g.Steps / 10, Seed: c.Seed, Shards: 1, EvalEvery: every, EvalBatches: 1,
		OnEval: func(step int, _ *model.Model) error {
			if tick != nil {
				tick(step - last)
			}
			last = step
			return nil
		}}
	tr, err := train.New(m, task, opt)
	if err != nil {
		return MQARResult{}, err
	}
	if err := tr.Run(ctx); err != nil {
		return MQARResult{}, err
	}
	ev, err := EvalMQAR(m, task, g.SeqLenFor(c.KVPairs), g.EvalSeqs, c.Seed)
	if err != nil {
		return MQARResult{}, err
	}
	return MQARResult{MQARCell: c, FeatureMap: FeatureMapOf(c.Kind), Layers: strings.Join(cfg.Attention, ","), SeqLen: g.SeqLenFor(c.KVPairs),
		Accuracy: ev.Accuracy, ValLoss: ev.Loss, Steps: tr.Step, Seconds: time.Since(start).Seconds(), DataHash: ev.Hash}, nil
}

// MQAREval is the result of EvalMQAR.
type MQAREval struct {
	Accuracy float64 // fraction of query positions whose argmax logit is the value
	Loss     float64 // mean cross-entropy at query positions (nats)
	Queries  int
	Hash     string // tasks.Hash of the evaluation batch
}

// EvalSeedStream is the PCG stream of held-out MQAR sequences; training
// draws from other streams (train uses 0xda7a and 0x7a1), so held-out
// sequences are never trained on except by chance collision.
const EvalSeedStream = 0xe7a1

// EvalMQAR evaluates m on n held-out sequences of length T drawn from task
// with PCG(seed, EvalSeedStream). The batch is checked with task.Check
// (no key-value pair overwritten) before it is used.
func EvalMQAR(m *model.Model, task *tasks.MQAR, T, n int, seed uint64) (MQAREval, error) {
	if err := task.CheckShape(n, T); err != nil {
		return MQAREval{}, err
	}
	if T > m.Config.NCtx {
		return MQAREval{}, fmt.Errorf("probes: MQAR sequences of %d tokens exceed the model's n_ctx %d", T, m.Config.NCtx)
	}
	if task.Vocab() > m.Config.DVocab {
		return MQAREval{}, fmt.Errorf("probes: MQAR vocabulary %d exceeds the model's d_vocab %d", task.Vocab(), m.Config.DVocab)
	}
	bt := task.Sample(rand.New(rand.NewPCG(seed, EvalSeedStream)), n, T)
	if err := task.Check(bt); err != nil {
		return MQAREval{}, err
	}
	ev := MQAREval{Hash: tasks.Hash(bt)}
	const chunk = 64
	V := m.Config.DVocab
	loss := 0.0
	correct := 0
	for lo := 0; lo < n; lo += chunk {
		b := min(chunk, n-lo)
		out, err := m.Run(bt.Tokens[lo*T:(lo+b)*T], b, T, model.RunOptions{})
		if err != nil {
			return MQAREval{}, err
		}
		for p := range b * T {
			if bt.Mask[lo*T+p] == 0 {
				continue
			}
			row := out.Logits.Data[p*V : (p+1)*V]
			arg := 0
			for v, x := range row {
				if x > row[arg] {
					arg = v
				}
			}
			tgt := bt.Targets[lo*T+p]
			if int32(arg) == tgt {
				correct++
			}
			loss += logSumExp(row) - float64(row[tgt])
			ev.Queries++
		}
	}
	ev.Accuracy = float64(correct) / float64(ev.Queries)
	ev.Loss = loss / float64(ev.Queries)
	return ev, nil
}

func logSumExp(x []float32) float64 {
	mx := float64(x[0])
	for _, v := range x {
		mx = max(mx, float64(v))
	}
	s := 0.0
	for _, v := range x {
		s += math.Exp(float64(v) - mx)
	}
	return mx + math.Log(s)
}
