package train

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"runtime"
	"sync/atomic"
	"time"

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
	ClipNorm    float64 // global gradient-norm clip; 0 disables
	Seed        uint64  // data order
	Shards      int     // fixed batch split (determinism); default 2

	EvalEvery   int // evaluate every N steps (0: only at the end)
	EvalBatches int // validation batches per evaluation

	CheckpointPath  string `json:"-"` // where to write checkpoints ("" for none)
	CheckpointEvery int    // steps between checkpoints

	Progress io.Writer `json:"-"` // progress lines or bar; nil for none
	Quiet    bool      `json:"-"`

	// OnEval, when set, runs at every evaluation (after the step) with the
	// current model, for tracking scores during training.
	OnEval func(step int, m *model.Model) error `json:"-"`
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
	def(&o.Shards, 2)
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

// Point is one row of the training log.
type Point struct {
	Step     int
	LR       float64
	Loss     float64 // training loss of the step's batch
	GradNorm float64 // before clipping
	ValLoss  float64 // NaN when not evaluated at this step
	Tokens   int64   // tokens seen so far
	Seconds  float64 // wall time since the start of this run
}

// Trainer holds the state of one training run.
type Trainer struct {
	Model *model.Model
	Task  tasks.Task
	Opt   Options
	Log   []Point
	Step  int // steps taken

	adam   *optim.AdamW
	rng    *rand.PCG
	shards []*model.Workspace[float32]
	grads  []float32 // summed gradient
	decay  []float32 // weight-decay mask
	val    []tasks.Batch
	tokens int64
	sums   []float64 // per-shard Σ mask·loss of a step
	errs   []error   // per-shard error of a step
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
	case opt.Shards < 1 || opt.Batch%opt.Shards != 0:
		return nil, fmt.Errorf("train: batch %d must be a positive multiple of the shard count %d", opt.Batch, opt.Shards)
	case opt.Steps < 1:
		return nil, fmt.Errorf("train: steps must be positive, got %d", opt.Steps)
	}
	if err := tasks.CheckShape(task, opt.Batch, opt.SeqLen); err != nil {
		return nil, err
	}
	tr := &Trainer{Model: m, Task: task, Opt: opt, rng: rand.NewPCG(opt.Seed, 0xda7a)}
	for range opt.Shards {
		w, err := m.NewWorkspace(opt.Batch/opt.Shards, opt.SeqLen)
		if err != nil {
			return nil, err
		}
		tr.shards = append(tr.shards, w)
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
		if (o.EvalEvery > 0 && tr.Step%o.EvalEvery == 0) || tr.Step == o.Steps {
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

// step computes the batch gradient over the shards, clips it, checks it is
// finite and takes one AdamW step. It returns the batch loss and the
// gradient norm before clipping.
//
// Each shard runs its forward and backward in one go (one parallel region
// per step): the backward needs the whole batch's Σ mask, which step takes
// from the batch itself beforehand, in the order forwardShards would.
func (tr *Trainer) step(b tasks.Batch) (loss, gnorm float64, err error) {
	S := len(tr.shards)
	total := lossCount(b, S)
	if total == 0 {
		if _, _, err := tr.forwardShards(b); err != nil {
			return 0, 0, err
		}
		return 0, 0, fmt.Errorf("train: step %d: the batch has no position to learn from (all masked)", tr.Step+1)
	}
	rows := b.B / S
	if len(tr.sums) != S {
		tr.sums, tr.errs = make([]float64, S), make([]error, S)
	}
	forEachShard(S, func(s int) {
		lo, hi := s*rows*b.T, (s+1)*rows*b.T
		w := tr.shards[s]
		l, e := w.ForwardLoss(b.Tokens[lo:hi], b.Targets[lo:hi], b.Mask[lo:hi])
		tr.sums[s], tr.errs[s] = l*w.LossCount(), e
		if e != nil {
			return
		}
		w.SetLossCount(total)
		w.ZeroGrad()
		w.Backward()
	})
	sum := 0.0
	for s := range S {
		if tr.errs[s] != nil {
			return 0, 0, tr.errs[s]
		}
		sum += tr.sums[s]
	}
	loss = sum / total
	// Sum shard gradients in shard order: the result does not depend on
	// which goroutine finished first.
	copy(tr.grads, tr.shards[0].Grads.Data)
	for _, w := range tr.shards[1:] {
		for i, g := range w.Grads.Data {
			tr.grads[i] += g
		}
	}
	if i := optim.FirstNonFinite(tr.grads); i >= 0 {
		return 0, 0, fmt.Errorf("train: the gradient of %s is not finite at step %d; lower --lr", tr.Model.Params.NameOf(i), tr.Step+1)
	}
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return 0, 0, fmt.Errorf("train: the loss became %v at step %d; lower --lr or enable clipping", loss, tr.Step+1)
	}
	gnorm = math.NaN()
	if tr.Opt.ClipNorm > 0 {
		gnorm = optim.ClipGradNorm(tr.grads, tr.Opt.ClipNorm)
	} else {
		gnorm = model.Norm(tr.grads)
	}
	tr.adam.Update(tr.Model.Params.Data, tr.grads, tr.decay, tr.lr(tr.Step))
	if i := optim.FirstNonFinite(tr.Model.Params.Data); i >= 0 {
		return 0, 0, fmt.Errorf("train: parameter %s became NaN or Inf at step %d; lower --lr", tr.Model.Params.NameOf(i), tr.Step+1)
	}
	return loss, gnorm, nil
}

// lossCount is the denominator of the batch mean, Σ mask over positions
// whose target is ≥ 0 (mask nil weighs each 1), summed within each of the S
// shards and then across shards in order: the same float64 operations as
// forwardShards adding up the shards' Workspace.LossCount.
func lossCount(b tasks.Batch, S int) float64 {
	per := len(b.Targets) / S
	total := 0.0
	for s := range S {
		c := 0.0
		for n := s * per; n < (s+1)*per; n++ {
			if b.Targets[n] < 0 {
				continue
			}
			if b.Mask != nil {
				c += float64(b.Mask[n])
			} else {
				c++
			}
		}
		total += c
	}
	return total
}

// forEachShard runs f(s) once for every shard s < S and returns when all
// have finished. The calling goroutine and up to min(S, GOMAXPROCS)−1
// helpers claim shards in order from a shared counter, so a helper that
// starts late (a hand-off costs ~100 µs here) or never gets a core just
// finds the work done; nobody waits for a helper that has no shard. Which
// goroutine runs a shard does not change its result: callers combine the
// shards' outputs in shard order.
func forEachShard(S int, f func(s int)) {
	helpers := min(S, runtime.GOMAXPROCS(0)) - 1
	if helpers <= 0 {
		for s := range S {
			f(s)
		}
		return
	}
	var next, done atomic.Int32
	finished := make(chan struct{})
	run := func() {
		for {
			s := int(next.Add(1)) - 1
			if s >= S {
				return
			}
			f(s)
			if int(done.Add(1)) == S {
				close(finished)
			}
		}
	}
	for range helpers {
		go run()
	}
	run()
	<-finished
}

// forwardShards runs the batch through the shards and returns the mean
// loss and its denominator Σ mask.
func (tr *Trainer) forwardShards(b tasks.Batch) (loss, count float64, err error) {
	S := len(tr.shards)
	rows := b.B / S
	sums, counts, errs := make([]float64, S), make([]float64, S), make([]error, S)
	forEachShard(S, func(s int) {
		lo, hi := s*rows*b.T, (s+1)*rows*b.T
		w := tr.shards[s]
		l, e := w.ForwardLoss(b.Tokens[lo:hi], b.Targets[lo:hi], b.Mask[lo:hi])
		sums[s], counts[s], errs[s] = l*w.LossCount(), w.LossCount(), e
	})
	sum := 0.0
	for s := range S {
		if errs[s] != nil {
			return 0, 0, errs[s]
		}
		sum += sums[s]
		count += counts[s]
	}
	if count == 0 {
		return math.NaN(), 0, nil
	}
	return sum / count, count, nil
}

// Evaluate returns the mean loss over the fixed validation batches.
func (tr *Trainer) Evaluate() (float64, error) {
	sum, count := 0.0, 0.0
	for _, b := range tr.val {
		l, n, err := tr.forwardShards(b)
		if err != nil {
			return 0, err
		}
		if n > 0 {
			sum += l * n
			count += n
		}
	}
	if count == 0 {
		return math.NaN(), nil
	}
	return sum / count, nil
}
