package train

import (
	"fmt"
	"math"
	"runtime"

	"github.com/attnlab/attnlab/internal/vecmath"
	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/optim"
	"github.com/attnlab/attnlab/tasks"
)

// MaxDefaultUnits caps the default work-unit count: 16 units keep 16 cores
// busy, while each unit's gradient costs a pass over the parameters in the
// reduction, so more would slow small machines down.
const MaxDefaultUnits = 16

// DefaultUnits is the decomposition a batch of b sequences gets unless the
// recipe names one: min(b, MaxDefaultUnits). It depends on the batch only,
// never on the machine.
func DefaultUnits(b int) int { return max(1, min(b, MaxDefaultUnits)) }

// unitBounds cuts B sequences into U contiguous units as evenly as
// possible: unit u holds sequences ⌊u·B/U⌋ ≤ b < ⌊(u+1)·B/U⌋.
func unitBounds(B, U int) []int {
	bounds := make([]int, U+1)
	for u := range bounds {
		bounds[u] = u * B / U
	}
	return bounds
}

// reduceChunk is the number of parameters one reduction or update task
// covers: a fixed size, so the tasks (and their results) do not depend on
// the number of workers. Small enough that a step's few such tasks spread
// evenly over the workers (the reference model has 46,080 parameters: 23
// tasks), large enough that claiming one costs nothing measurable.
const reduceChunk = 1 << 11

// newUnits allocates the worker pool, one gradient buffer per work unit,
// and per worker one workspace for each unit size (at most two: ⌊B/U⌋ and
// ⌈B/U⌉ sequences). A unit runs its forward and backward in the workspace
// of the worker that takes it and leaves its gradient in its own buffer:
// the activations stay in that core's caches from one unit to the next,
// and the results do not depend on which worker ran which unit. The
// pool's helpers stop when the Trainer is garbage collected.
func (tr *Trainer) newUnits() error {
	o, m := tr.Opt, tr.Model
	U := o.Units
	tr.bounds = unitBounds(o.Batch, U)
	tr.packed = m.NewQKVPack()
	tr.pool = newPool(min(U, o.workers()))
	runtime.AddCleanup(tr, func(p *pool) { p.close() }, tr.pool)
	tr.ws = make([][]*model.Workspace[float32], tr.pool.size)
	for wk := range tr.ws {
		for u := range U {
			if tr.workspace(wk, u) != nil {
				continue
			}
			w, err := m.NewWorkspace(tr.bounds[u+1]-tr.bounds[u], o.SeqLen)
			if err != nil {
				return err
			}
			w.ShareQKV(tr.packed) // packed once per pass, not once per unit
			tr.ws[wk] = append(tr.ws[wk], w)
		}
	}
	tr.unitData, tr.unitGrads = model.NewParamsSet[float32](m.Config, U)
	tr.sums, tr.counts, tr.errs = make([]float64, U), make([]float64, U), make([]error, U)
	tr.bad = make([]int, (m.NumParams()+reduceChunk-1)/reduceChunk)
	return nil
}

// workers is the most goroutines a trainer's pool may run: GOMAXPROCS,
// capped by Workers.
func (o Options) workers() int {
	n := runtime.GOMAXPROCS(0)
	if o.Workers > 0 {
		n = min(n, o.Workers)
	}
	return n
}

// workspace returns worker wk's workspace for unit u (the one of u's
// number of sequences), or nil before newUnits made it.
func (tr *Trainer) workspace(wk, u int) *model.Workspace[float32] {
	b := tr.bounds[u+1] - tr.bounds[u]
	for _, w := range tr.ws[wk] {
		if w.B == b {
			return w
		}
	}
	return nil
}

// unitSlice returns the positions [lo, hi) of unit u in a [B, T] batch.
func (tr *Trainer) unitSlice(u, T int) (lo, hi int) {
	return tr.bounds[u] * T, tr.bounds[u+1] * T
}

// step computes the batch gradient over the work units, clips it, checks it
// is finite and takes one AdamW step. It returns the batch loss and the
// gradient norm before clipping.
//
// Each unit runs its forward and backward in one task (one parallel region
// per step for the model): the backward needs the whole batch's Σ mask,
// which step takes from the batch itself beforehand, in the order
// forwardUnits would. The units' gradients are then summed in unit order,
// and AdamW updated, in fixed chunks of the parameters, also in parallel.
func (tr *Trainer) step(b tasks.Batch) (loss, gnorm float64, err error) {
	U := len(tr.unitGrads)
	total := lossCount(b, tr.bounds)
	if total == 0 {
		if _, _, err := tr.forwardUnits(b); err != nil {
			return 0, 0, err
		}
		return 0, 0, fmt.Errorf("train: step %d: the batch has no position to learn from (all masked)", tr.Step+1)
	}
	tr.packed.Pack(tr.Model)
	tr.pool.run(U, func(wk, u int) {
		lo, hi := tr.unitSlice(u, b.T)
		w := tr.workspace(wk, u)
		w.Grads = tr.unitGrads[u]
		var mask []float32
		if b.Mask != nil {
			mask = b.Mask[lo:hi]
		}
		l, e := w.ForwardLoss(b.Tokens[lo:hi], b.Targets[lo:hi], mask)
		tr.sums[u], tr.errs[u] = l*w.LossCount(), e
		if e != nil {
			return
		}
		w.SetLossCount(total)
		w.BackwardSet() // = ZeroGrad, Backward without clearing what it sets
	})
	sum := 0.0
	for u := range U {
		if tr.errs[u] != nil {
			return 0, 0, tr.errs[u]
		}
		sum += tr.sums[u]
	}
	loss = sum / total
	// Sum the units' gradients in unit order, chunk by chunk: the result
	// does not depend on which worker took which unit or chunk. The units'
	// gradients lie n apart in tr.unitData, so a chunk is one pass that
	// keeps its running sums in registers: the bits of adding them one by
	// one.
	n := len(tr.grads)
	tr.pool.run(len(tr.bad), func(_, c int) {
		lo, hi := c*reduceChunk, min(n, (c+1)*reduceChunk)
		g := tr.grads[lo:hi]
		copy(g, tr.unitData[lo:hi])
		if U > 1 {
			vecmath.SumRowsStride(g, tr.unitData[n+lo:], U-1, hi-lo, n)
		}
		tr.bad[c] = offset(lo, optim.FirstNonFinite(g))
	})
	if i := firstBad(tr.bad); i >= 0 {
		return 0, 0, fmt.Errorf("train: the gradient of %s is not finite at step %d; lower the learning rate", tr.Model.Params.NameOf(i), tr.Step+1)
	}
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return 0, 0, fmt.Errorf("train: the loss became %v at step %d; lower the learning rate or enable clipping", loss, tr.Step+1)
	}
	// The norm sums squares in index order (one float64 chain, as
	// optim.ClipGradNorm does); the clip scale is applied inside the update.
	gnorm = model.Norm(tr.grads)
	scale := float32(1)
	if c := tr.Opt.ClipNorm; c > 0 && gnorm > c {
		if coef := c / (gnorm + 1e-6); coef < 1 {
			scale = float32(coef)
		}
	}
	st := tr.adam.Begin(tr.lr(tr.Step))
	params := tr.Model.Params.Data
	tr.pool.run(len(tr.bad), func(_, c int) {
		lo, hi := c*reduceChunk, min(n, (c+1)*reduceChunk)
		tr.adam.Apply(st, params, tr.grads, tr.decay, scale, lo, hi)
		tr.bad[c] = offset(lo, optim.FirstNonFinite(params[lo:hi]))
	})
	if i := firstBad(tr.bad); i >= 0 {
		return 0, 0, fmt.Errorf("train: parameter %s became NaN or Inf at step %d; lower the learning rate", tr.Model.Params.NameOf(i), tr.Step+1)
	}
	return loss, gnorm, nil
}

// offset is lo+i, or −1 when i is −1.
func offset(lo, i int) int {
	if i < 0 {
		return -1
	}
	return lo + i
}

// firstBad returns the first non-negative entry (chunks are in index
// order), or −1.
func firstBad(bad []int) int {
	for _, i := range bad {
		if i >= 0 {
			return i
		}
	}
	return -1
}

// lossCount is the denominator of the batch mean, Σ mask over positions
// whose target is ≥ 0 (mask nil weighs each 1), summed within each unit
// and then across units in order: the same float64 operations as
// forwardUnits adding up the units' Workspace.LossCount.
func lossCount(b tasks.Batch, bounds []int) float64 {
	total := 0.0
	for u := range len(bounds) - 1 {
		c := 0.0
		for n := bounds[u] * b.T; n < bounds[u+1]*b.T; n++ {
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

// forwardUnits runs the batch through the units and returns the mean loss
// and its denominator Σ mask.
func (tr *Trainer) forwardUnits(b tasks.Batch) (loss, count float64, err error) {
	U := len(tr.unitGrads)
	tr.packed.Pack(tr.Model)
	tr.pool.run(U, func(wk, u int) {
		lo, hi := tr.unitSlice(u, b.T)
		w := tr.workspace(wk, u)
		var mask []float32
		if b.Mask != nil {
			mask = b.Mask[lo:hi]
		}
		l, e := w.ForwardLoss(b.Tokens[lo:hi], b.Targets[lo:hi], mask)
		tr.sums[u], tr.counts[u], tr.errs[u] = l*w.LossCount(), w.LossCount(), e
	})
	sum := 0.0
	for u := range U {
		if tr.errs[u] != nil {
			return 0, 0, tr.errs[u]
		}
		sum += tr.sums[u]
		count += tr.counts[u]
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
		l, n, err := tr.forwardUnits(b)
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
