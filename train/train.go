package train

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"time"

	"github.com/attnlab/attnlab/internal/membudget"
	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/optim"
	"github.com/attnlab/attnlab/tasks"
)

// Options is a training recipe. Zero fields take the defaults of Defaults.
type Options struct {
	Steps       int     // optimizer steps
	Batch       int     // sequences per step
	SeqLen      int     // positions per sequence (≤ n_ctx)
	LR          float64 // peak learning rate
	MinLR       float64 // final learning rate of the cosine decay
	Warmup      int     // linear warmup steps
	NoWarmup    bool    // start at the peak learning rate (Warmup unused)
	Beta1       float64 // AdamW β1 [0.9]
	Beta2       float64 // AdamW β2 [0.999, PyTorch's; GPT-style recipes use 0.95]
	WeightDecay float64 // AdamW λ on matrices (not biases or LayerNorm)
	ClipNorm    float64 // global gradient-norm clip [1.0]; negative disables
	Seed        uint64  // data order
	// Units is the number of work units the batch is cut into (whole
	// sequences, as evenly as possible); their gradients are summed in unit
	// order, so the result depends on Units, never on the number of cores.
	// Default DefaultUnits(Batch).
	Units int
	// Shards is the former name of Units (checkpoints written before the
	// rename carry it): used when Units is 0.
	//
	// Deprecated: set Units.
	Shards int `json:",omitempty"`
	// Workers is the most goroutines that run the units at once (default
	// GOMAXPROCS). Like the number of cores, it never changes a result.
	Workers int `json:"-"`

	EvalEvery   int // evaluate every N steps (0: only at the end)
	EvalBatches int // validation batches per evaluation

	CheckpointPath  string `json:"-"` // where to write checkpoints ("" for none)
	CheckpointEvery int    // steps between checkpoints

	Progress io.Writer `json:"-"` // progress lines or bar; nil for none
	Quiet    bool      `json:"-"`

	// OnEval, when set, runs at every evaluation (after the step) with the
	// current model, for tracking scores during training.
	OnEval func(step int, m *model.Model) error `json:"-"`

	// Extra, when set, returns state its caller keeps beside the run (a
	// tracker's measurements), by section name: every checkpoint saves it
	// with the run, as of the checkpoint's step, and Resume hands it back
	// in Trainer.Extra.
	Extra func() (map[string]json.RawMessage, error) `json:"-"`

	// Command is the command line that started the run. Checkpoints
	// record it so that a resume can rebuild every setting of the run
	// (the task's included) from the checkpoint alone.
	Command []string `json:"command,omitempty"`
}

// Defaults fills zero fields.
func (o Options) Defaults() Options {
	def := func(p *int, v int) {
		if *p == 0 {
			*p = v
		}
	}
	deff := func(p *float64, v float64) {
		if *p == 0 {
			*p = v
		}
	}
	def(&o.Steps, 1000)
	def(&o.Batch, 32)
	def(&o.Units, o.Shards)
	def(&o.Units, DefaultUnits(o.Batch))
	o.Shards = 0
	def(&o.EvalBatches, 4)
	deff(&o.LR, 1e-3)
	deff(&o.WeightDecay, 0.01)
	deff(&o.ClipNorm, 1.0)
	if o.MinLR == 0 {
		o.MinLR = o.LR / 10
	}
	deff(&o.Beta1, 0.9)
	deff(&o.Beta2, 0.999)
	if o.NoWarmup {
		o.Warmup = 0
	} else if o.Warmup == 0 {
		o.Warmup = min(100, o.Steps/10)
	}
	if o.CheckpointEvery == 0 {
		o.CheckpointEvery = max(1, o.Steps/10)
	}
	return o
}

// Evaluates reports whether a run with options o evaluates (and runs
// OnEval) after step: every EvalEvery steps and after the last.
func (o Options) Evaluates(step int) bool {
	return (o.EvalEvery > 0 && step%o.EvalEvery == 0) || step == o.Steps
}

// Point is one row of the training log.
type Point struct {
	Step     int
	LR       float64
	Loss     float64 // training loss of the step's batch
	GradNorm float64 // before clipping
	ValLoss  float64 // NaN when not evaluated at this step
	Tokens   int64   // tokens seen so far
	Seconds  float64 // wall time of the run so far, summed over its resumptions
}

// Trainer holds the state of one training run.
type Trainer struct {
	Model *model.Model
	Task  tasks.Task
	Opt   Options
	Log   []Point
	Step  int // steps taken
	// Extra is, after Resume, the state the checkpoint's Options.Extra
	// saved (nil for a new run or a checkpoint saved without any).
	Extra map[string]json.RawMessage

	adam      *optim.AdamW
	rng       *rand.PCG
	ws        [][]*model.Workspace[float32] // per worker, one per unit size
	unitGrads []*model.Params[float32]      // per work unit, its gradient: views of unitData
	unitData  []float32                     // the units' gradients one after another
	bounds    []int                         // [Units+1]: unit u holds sequences bounds[u] ≤ b < bounds[u+1]
	pool      *pool
	packed    *model.QKVPack[float32] // the units' shared packed W_QKV
	grads     []float32               // summed gradient
	decay     []float32               // weight-decay mask
	val       []tasks.Batch
	tokens    int64
	sums      []float64 // per-unit Σ mask·loss of a step
	counts    []float64 // per-unit Σ mask of a step
	errs      []error   // per-unit error of a step
	bad       []int     // per-chunk first non-finite index (−1: none)
}

// valSampler is implemented by tasks with a held-out split.
type valSampler interface {
	ValSample(r *rand.Rand, b, t int) tasks.Batch
}

// New prepares training of m on task.
func New(m *model.Model, task tasks.Task, opt Options) (*Trainer, error) {
	opt = opt.Defaults()
	c := m.Config
	if opt.SeqLen == 0 {
		opt.SeqLen = c.NCtx
	}
	switch {
	case opt.SeqLen > c.NCtx:
		return nil, fmt.Errorf("train: sequence length %d exceeds the model's n_ctx %d", opt.SeqLen, c.NCtx)
	case task.Vocab() > c.DVocab:
		return nil, fmt.Errorf("train: task %s needs d_vocab ≥ %d, the model has %d", task.Name(), task.Vocab(), c.DVocab)
	case opt.Batch < 1:
		return nil, fmt.Errorf("train: batch must be positive, got %d", opt.Batch)
	case opt.Units < 1 || opt.Units > opt.Batch:
		return nil, fmt.Errorf("train: %d work units for a batch of %d sequences; want 1 to %d", opt.Units, opt.Batch, opt.Batch)
	case opt.Steps < 1:
		return nil, fmt.Errorf("train: steps must be positive, got %d", opt.Steps)
	}
	if int64(opt.Steps) > math.MaxInt64/int64(opt.Batch)/int64(opt.SeqLen) {
		return nil, fmt.Errorf("train: %d steps of %d×%d tokens overflow a 64-bit token count", opt.Steps, opt.Batch, opt.SeqLen)
	}
	// Everything the run allocates, checked before any of it is: the
	// workers' workspaces (one per worker and unit size, each at most
	// ⌈Batch/Units⌉ sequences), the units' gradients, the summed gradient,
	// the decay mask and AdamW moments, the validation batches.
	sizes := 1
	if opt.Batch%opt.Units != 0 {
		sizes = 2
	}
	workers := min(opt.Units, opt.workers())
	var est membudget.Estimate
	est.Add(int(min(m.WorkspaceBytes((opt.Batch+opt.Units-1)/opt.Units, opt.SeqLen), math.MaxInt64/2)), sizes*workers)
	est.Add(4*(4+opt.Units), m.NumParams())                // grads, decay mask, AdamW m and v; the units' gradients
	est.Add(4*3, opt.EvalBatches+1, opt.Batch, opt.SeqLen) // tokens, targets, mask of the validation batches and one training batch
	if err := est.Check(fmt.Sprintf("training with batches of %d sequences × %d positions (%s)", opt.Batch, opt.SeqLen, c.Summary())); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	if err := tasks.CheckShape(task, opt.Batch, opt.SeqLen); err != nil {
		return nil, err
	}
	tr := &Trainer{Model: m, Task: task, Opt: opt, rng: rand.NewPCG(opt.Seed, 0xda7a)}
	if err := tr.newUnits(); err != nil {
		return nil, err
	}
	n := m.NumParams()
	tr.grads = make([]float32, n)
	tr.decay = make([]float32, n)
	off := 0
	for _, t := range m.Params.Tensors {
		if t.Decay {
			for i := range t.Data {
				tr.decay[off+i] = 1
			}
		}
		off += len(t.Data)
	}
	tr.adam = optim.NewAdamW(n, opt.LR, opt.WeightDecay)
	tr.adam.Beta1, tr.adam.Beta2 = opt.Beta1, opt.Beta2
	// A fixed validation set, from its own generator.
	vr := rand.New(rand.NewPCG(opt.Seed, 0x7a1))
	for range opt.EvalBatches {
		var b tasks.Batch
		if vs, ok := task.(valSampler); ok {
			b = vs.ValSample(vr, opt.Batch, opt.SeqLen)
		} else {
			b = task.Sample(vr, opt.Batch, opt.SeqLen)
		}
		tr.val = append(tr.val, b)
	}
	return tr, nil
}

// Run trains until Opt.Steps (continuing from Step after a resume). It stops
// early, with the last checkpoint written, when ctx is cancelled.
func (tr *Trainer) Run(ctx context.Context) error {
	o := tr.Opt
	prog := optim.NewProgress(io.Discard, o.Steps, true)
	if o.Progress != nil {
		prog = optim.NewProgress(o.Progress, o.Steps, o.Quiet)
	}
	start := time.Now()
	if n := len(tr.Log); n > 0 {
		// A resumed run: its clock goes on from the checkpoint's last point,
		// so tokens per second stay the run's (the pause is not counted).
		start = start.Add(-time.Duration(tr.Log[n-1].Seconds * float64(time.Second)))
	}
	rng := rand.New(tr.rng)
	for tr.Step < o.Steps {
		if err := ctx.Err(); err != nil {
			if o.CheckpointPath != "" {
				if cerr := tr.SaveCheckpoint(o.CheckpointPath); cerr != nil {
					return cerr
				}
			}
			return err
		}
		batch := tr.Task.Sample(rng, o.Batch, o.SeqLen)
		loss, gnorm, err := tr.step(batch)
		if err != nil {
			return err
		}
		tr.Step++
		tr.tokens += int64(o.Batch * o.SeqLen)
		p := Point{Step: tr.Step, LR: tr.lr(tr.Step - 1), Loss: loss, GradNorm: gnorm, ValLoss: math.NaN(),
			Tokens: tr.tokens, Seconds: time.Since(start).Seconds()}
		if o.Evaluates(tr.Step) {
			if p.ValLoss, err = tr.Evaluate(); err != nil {
				return err
			}
			if o.OnEval != nil {
				if err := o.OnEval(tr.Step, tr.Model); err != nil {
					return err
				}
			}
		}
		tr.Log = append(tr.Log, p)
		prog.Update(tr.Step, loss, o.Batch*o.SeqLen)
		if o.CheckpointPath != "" && (tr.Step%o.CheckpointEvery == 0 || tr.Step == o.Steps) {
			if err := tr.SaveCheckpoint(o.CheckpointPath); err != nil {
				return err
			}
		}
	}
	prog.Finish()
	return nil
}

func (tr *Trainer) lr(step int) float64 {
	return optim.Schedule(step, tr.Opt.Warmup, tr.Opt.Steps, tr.Opt.LR, tr.Opt.MinLR)
}
