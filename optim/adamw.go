package optim

import (
	"fmt"
	"math"
)

// AdamW is torch.optim.AdamW (amsgrad=False, maximize=False) over one flat
// parameter vector. For step t = 1, 2, … and every element i with decay
// mask d_i ∈ {0, 1}:
//
//	p ← p − lr·λ·d_i·p                  (decoupled weight decay, applied first)
//	m ← β1·m + (1 − β1)·g
//	v ← β2·v + (1 − β2)·g²
//	m̂ = m / (1 − β1^t),  v̂ = v / (1 − β2^t)
//	p ← p − lr·m̂ / (√v̂ + ε)
//
// (Loshchilov and Hutter 2019; PyTorch's single-tensor AdamW performs the
// same operations in the same order.) M and V are the first and second
// moments, Step the number of updates taken; all three are exported so a
// checkpoint can save and restore them.
type AdamW struct {
	LR          float64 // default learning rate, used when Update gets lr ≤ 0
	Beta1       float64 // 0.9
	Beta2       float64 // 0.999
	Eps         float64 // 1e-8
	WeightDecay float64 // λ; 0.01 is PyTorch's default
	M, V        []float32
	Step        int
}

// NewAdamW returns an AdamW for n parameters with PyTorch's defaults
// (betas 0.9, 0.999, eps 1e-8), learning rate lr and weight decay wd.
func NewAdamW(n int, lr, wd float64) *AdamW {
	return &AdamW{
		LR:          lr,
		Beta1:       0.9,
		Beta2:       0.999,
		Eps:         1e-8,
		WeightDecay: wd,
		M:           make([]float32, n),
		V:           make([]float32, n),
	}
}

// Update takes one AdamW step in place on params using grads. decay is the
// weight-decay mask, [n], 1 where a parameter is decayed and 0 where it is
// not (biases, LayerNorm weights, as nanoGPT does); a nil decay decays every
// parameter. lr is this step's learning rate (from Schedule); lr ≤ 0 uses
// o.LR. Update panics if the slice lengths differ from len(o.M): that is a
// programming error, not bad input.
func (o *AdamW) Update(params, grads, decay []float32, lr float64) {
	n := len(o.M)
	if len(params) != n || len(grads) != n || len(o.V) != n || (decay != nil && len(decay) != n) {
		panic(fmt.Sprintf("optim: AdamW has %d moments, got %d params, %d grads, %d decay",
			n, len(params), len(grads), len(decay)))
	}
	if lr <= 0 {
		lr = o.LR
	}
	o.Step++
	t := float64(o.Step)
	b1, b2 := o.Beta1, o.Beta2
	bc1 := 1 - math.Pow(b1, t)
	bc2Sqrt := math.Sqrt(1 - math.Pow(b2, t))
	stepSize := lr / bc1
	for i := range n {
		p := float64(params[i])
		g := float64(grads[i])
		wd := o.WeightDecay
		if decay != nil {
			wd *= float64(decay[i])
		}
		p *= 1 - lr*wd
		m := b1*float64(o.M[i]) + (1-b1)*g
		v := b2*float64(o.V[i]) + (1-b2)*g*g
		o.M[i], o.V[i] = float32(m), float32(v)
		denom := math.Sqrt(v)/bc2Sqrt + o.Eps
		params[i] = float32(p - stepSize*m/denom)
	}
}

// Reset clears the moments and the step count, keeping the hyperparameters.
func (o *AdamW) Reset() {
	clear(o.M)
	clear(o.V)
	o.Step = 0
}
