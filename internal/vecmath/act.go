package vecmath

import (
	"fmt"
	"math"
)

// Act is an MLP activation function, as TransformerLens names them (act_fn).
type Act int

const (
	// ReLU is max(x, 0).
	ReLU Act = iota
	// GeluNew is GPT-2's tanh approximation of GELU (TransformerLens
	// "gelu_new", PyTorch GELU(approximate="tanh")):
	//
	//	gelu_new(x) = 0.5x(1 + tanh(sqrt(2/π)(x + 0.044715x³)))
	GeluNew
	// Gelu is the exact GELU (TransformerLens "gelu", PyTorch's default):
	//
	//	gelu(x) = x·Φ(x) = 0.5x(1 + erf(x/sqrt2))
	Gelu
)

// ParseAct returns the Act called name ("relu", "gelu_new", "gelu").
func ParseAct(name string) (Act, error) {
	switch name {
	case "relu":
		return ReLU, nil
	case "gelu_new":
		return GeluNew, nil
	case "gelu":
		return Gelu, nil
	}
	return 0, fmt.Errorf("vecmath: unknown activation %q (want relu, gelu_new or gelu)", name)
}

// BiasAct is an MLP's bias and activation in one pass over rows × cols
// (the fused epilogue of pre = x·W_in):
//
//	pre[r, j] += bias[j]          (in float32; skipped when bias is nil)
//	out[r, j]  = act(pre[r, j])
//
// out must not overlap pre. The assembly evaluates gelu_new through the
// vectorised exp, with e = exp(2u) and 1 + tanh u = 2e/(e + 1) so that
// nothing cancels, and gelu through erfc(z) = t·exp(−z² + E(t)),
// t = 1/(1 + z/2), E a degree-9 polynomial (Numerical Recipes' erfcc,
// relative error below 1.2e-7 for every z ≥ 0), taking Φ(x) = erfc(−x/√2)/2
// from the side where it does not cancel. BiasActRef is the float64
// reference.
func BiasAct(act Act, out, pre, bias []float32, rows, cols int) {
	checkAct(act, rows, cols, len(out), len(pre), len(bias), bias != nil)
	if rows == 0 || cols == 0 {
		return
	}
	if !haveAsm {
		BiasActRef(act, out, pre, bias, rows, cols)
		return
	}
	var b *float32
	if bias != nil {
		b = &bias[0]
	}
	switch act {
	case ReLU:
		reluFwdAsm(&out[0], &pre[0], b, rows, cols)
	case GeluNew:
		geluNewFwdAsm(&out[0], &pre[0], b, rows, cols)
	case Gelu:
		geluFwdAsm(&out[0], &pre[0], b, rows, cols)
	}
}

// ActBackward is BiasAct's backward, with the bias gradient in the same
// pass:
//
//	dpre[r, j]  = act'(pre[r, j])·dout[r, j]
//	dbias[j]   += Σ_r dpre[r, j]   (rows in order, float32; skipped when dbias is nil)
//
// where pre is BiasAct's pre after the bias was added. dpre may alias dout.
//
//	relu'(x)     = 1 if x > 0, else 0
//	gelu_new'(x) = 0.5(1 + tanh u) + 0.5x(1 − tanh²u)·sqrt(2/π)(1 + 3·0.044715x²)
//	gelu'(x)     = Φ(x) + x·exp(−x²/2)/sqrt(2π)
func ActBackward(act Act, dpre, dbias, pre, dout []float32, rows, cols int) {
	checkAct(act, rows, cols, len(dpre), len(pre), len(dbias), dbias != nil)
	if len(dout) < rows*cols {
		panic(fmt.Sprintf("vecmath: dout has %d elements, want %d", len(dout), rows*cols))
	}
	if rows == 0 || cols == 0 {
		return
	}
	if !haveAsm {
		ActBackwardRef(act, dpre, dbias, pre, dout, rows, cols)
		return
	}
	var db *float32
	if dbias != nil {
		db = &dbias[0]
	}
	switch act {
	case ReLU:
		reluBwdAsm(&dpre[0], db, &pre[0], &dout[0], rows, cols)
	case GeluNew:
		geluNewBwdAsm(&dpre[0], db, &pre[0], &dout[0], rows, cols)
	case Gelu:
		geluBwdAsm(&dpre[0], db, &pre[0], &dout[0], rows, cols)
	}
}

func checkAct(act Act, rows, cols, lenOut, lenPre, lenBias int, hasBias bool) {
	switch {
	case act != ReLU && act != GeluNew && act != Gelu:
		panic(fmt.Sprintf("vecmath: unknown activation %d", act))
	case rows < 0 || cols < 0:
		panic(fmt.Sprintf("vecmath: negative size %d × %d", rows, cols))
	case lenOut < rows*cols || lenPre < rows*cols:
		panic(fmt.Sprintf("vecmath: %d × %d activations need %d elements, got %d and %d", rows, cols, rows*cols, lenOut, lenPre))
	case hasBias && lenBias < cols:
		panic(fmt.Sprintf("vecmath: bias has %d elements, want %d", lenBias, cols))
	}
}

// BiasActRef is BiasAct with the activation in float64 (math.Tanh,
// math.Erf), rounded once.
func BiasActRef(act Act, out, pre, bias []float32, rows, cols int) {
	for r := range rows {
		p, o := pre[r*cols:(r+1)*cols], out[r*cols:(r+1)*cols]
		for j := range p {
			if bias != nil {
				p[j] += bias[j]
			}
			o[j] = float32(ActRef(act, float64(p[j])))
		}
	}
}

// ActBackwardRef is ActBackward with the derivative in float64, the
// product with dout rounded once and dbias summed in float32 row by row.
func ActBackwardRef(act Act, dpre, dbias, pre, dout []float32, rows, cols int) {
	for r := range rows {
		for j := range cols {
			i := r*cols + j
			dpre[i] = float32(ActGradRef(act, float64(pre[i])) * float64(dout[i]))
			if dbias != nil {
				dbias[j] += dpre[i]
			}
		}
	}
}

const (
	sqrt2OverPi = 0.7978845608028654 // sqrt(2/π)
	geluCoef    = 0.044715
)

// ActRef is act(x) in float64, in forms that do not cancel: for gelu_new
// 1 + tanh u = 2/(1 + e^(−2u)), for gelu 1 + erf(z) = erfc(−z).
func ActRef(act Act, x float64) float64 {
	switch act {
	case GeluNew:
		return x / (1 + math.Exp(-2*sqrt2OverPi*(x+geluCoef*x*x*x)))
	case Gelu:
		return 0.5 * x * math.Erfc(-x/math.Sqrt2)
	}
	if math.IsNaN(x) {
		return x
	}
	return max(x, 0)
}

// ActGradRef is act'(x) in float64, without cancellation (1 − tanh²u =
// 1/cosh²u).
func ActGradRef(act Act, x float64) float64 {
	switch { // the limits at ±Inf (the formulas give Inf·0)
	case math.IsInf(x, 1):
		return 1
	case math.IsInf(x, -1):
		return 0
	}
	switch act {
	case GeluNew:
		u := sqrt2OverPi * (x + geluCoef*x*x*x)
		ch := math.Cosh(u)
		return 1/(1+math.Exp(-2*u)) + 0.5*x/(ch*ch)*sqrt2OverPi*(1+3*geluCoef*x*x)
	case Gelu:
		return 0.5*math.Erfc(-x/math.Sqrt2) + x*math.Exp(-0.5*x*x)/math.Sqrt(2*math.Pi)
	}
	if x > 0 {
		return 1
	}
	return 0
}
