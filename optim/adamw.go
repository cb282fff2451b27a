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
	o.Apply(o.Begin(lr), params, grads, decay, 1, 0, n)
}

// AdamWStep holds the coefficients one AdamW step shares across elements.
type AdamWStep struct {
	lr, wd, beta1, beta2, eps float64
	stepSize                  float64 // lr / (1 − β1^t)
	bc2Sqrt                   float64 // √(1 − β2^t)
}

// Begin advances the step count and returns the step's coefficients
// (lr ≤ 0 uses o.LR). Apply then updates the elements, in any number of
// disjoint ranges, possibly in parallel: Begin followed by Apply over
// [0, n) is Update, bit for bit.
func (o *AdamW) Begin(lr float64) AdamWStep {
	if lr <= 0 {
		lr = o.LR
	}
	o.Step++
	t := float64(o.Step)
	return AdamWStep{lr: lr, wd: o.WeightDecay, beta1: o.Beta1, beta2: o.Beta2, eps: o.Eps,
		stepSize: lr / (1 - math.Pow(o.Beta1, t)), bc2Sqrt: math.Sqrt(1 - math.Pow(o.Beta2, t))}
}

// Apply updates elements lo ≤ i < hi with the gradient scale·grads[i]
// (the float32 product, as ClipGradNorm scales in place; 1 leaves the
// gradient unchanged) and the coefficients s from Begin. decay may be nil.
func (o *AdamW) Apply(s AdamWStep, params, grads, decay []float32, scale float32, lo, hi int) {
	if hi <= lo {
		return
	}
	var dec []float32
	if decay != nil {
		dec = decay[lo:hi]
	}
	applyAdamW(s, params[lo:hi], grads[lo:hi], dec, o.M[lo:hi], o.V[lo:hi], scale)
}

// applyAdamWRef is the plain loop of Update over one range:
//
//	p ← p·(1 − lr·λ·d);  m ← β1·m + (1 − β1)·g;  v ← β2·v + (1 − β2)·g²
//	p ← p − (lr/(1 − β1^t))·m / (√v/√(1 − β2^t) + ε)
//
// in float64, with g = float64(scale·grad) and m, v stored as float32.
func applyAdamWRef(s AdamWStep, params, grads, decay, M, V []float32, scale float32) {
	b1, b2 := s.beta1, s.beta2
	for i := range params {
		p := float64(params[i])
		g := float64(grads[i] * scale)
		wd := s.wd
		if decay != nil {
			wd *= float64(decay[i])
		}
		p *= 1 - s.lr*wd
		m := b1*float64(M[i]) + (1-b1)*g
		v := b2*float64(V[i]) + (1-b2)*g*g
		M[i], V[i] = float32(m), float32(v)
		denom := math.Sqrt(v)/s.bc2Sqrt + s.eps
		params[i] = float32(p - s.stepSize*m/denom)
	}
}

// Reset clears the moments and the step count, keeping the hyperparameters.
func (o *AdamW) Reset() {
	clear(o.M)
	clear(o.V)
	o.Step = 0
}

// applyAdamW is the update of one range; applyAdamWRef until a faster
// version is chosen at run time.
var applyAdamW = applyAdamWRef
