//go:build amd64 && !noasm

package vecmath

import "golang.org/x/sys/cpu"

// haveAsm selects the AVX-512 kernels (x/sys/cpu also checks that the OS
// saves the ZMM state).
var haveAsm = cpu.X86.HasAVX512F

// asmBuilt says this build carries the assembly kernels (amd64, no noasm tag).
const asmBuilt = true

// expAsm sets dst[i] = exp(x[i]) for i < n; n > 0.
//
//go:noescape
func expAsm(dst, x *float32, n int)

// softmaxAsm is SoftmaxRow's arithmetic on x[:n]; n > 0.
//
//go:noescape
func softmaxAsm(x *float32, n int, scale float32) (mx, sum float32)

// softmaxBackAsm is SoftmaxRowBackward's arithmetic on d[:n], p[:n]; n > 0.
//
//go:noescape
func softmaxBackAsm(d, p *float32, n int, scale float32)

// layerNormAsm is LayerNormRow's arithmetic on x[:d] with weights; d > 0.
//
//go:noescape
func layerNormAsm(out, x, w, b *float32, d int, eps float32) (mean, rstd float32)

// layerNormBackAsm is LayerNormRowBackward's arithmetic with weights; d > 0.
//
//go:noescape
func layerNormBackAsm(dx, dw, db, dout, x, w *float32, d int, mean, rstd float32)

// softmaxCausalAsm is SoftmaxCausal on the [t, t] matrix at x; t > 0. Its
// first grouped rows (a multiple of 4, at most t) go four at a time, the
// rest in pairs: the same bits either way (grouped = 0 is the previous,
// pairs-only kernel, which the tests compare with).
//
//go:noescape
func softmaxCausalAsm(x *float32, t int, scale float32, grouped int)

// softmaxBackCausalAsm is SoftmaxCausalBackward on [t, t] d and p; t > 0.
//
//go:noescape
func softmaxBackCausalAsm(d, p *float32, t int, scale float32)

// onlineRowAsm is OnlineRow's arithmetic on x[:n]; n > 0.
//
//go:noescape
func onlineRowAsm(x *float32, n int, scale, m float32) (mNew, sum float32)

// expAffineAsm is ExpAffine's arithmetic on x[:n]; n > 0.
//
//go:noescape
func expAffineAsm(x *float32, n int, scale, shift float32)

// mulSubAsm is MulSub's arithmetic on d[:n], p[:n]; n > 0.
//
//go:noescape
func mulSubAsm(d, p *float32, n int, c, scale float32)

// The activations of BiasAct (forward: out, pre, bias) and ActBackward
// (dpre, dbias, pre, dout) on rows × cols; bias and dbias may be nil.
//
//go:noescape
func reluFwdAsm(out, pre, bias *float32, rows, cols int)

//go:noescape
func reluBwdAsm(dpre, dbias, pre, dout *float32, rows, cols int)

//go:noescape
func geluNewFwdAsm(out, pre, bias *float32, rows, cols int)

//go:noescape
func geluNewBwdAsm(dpre, dbias, pre, dout *float32, rows, cols int)

//go:noescape
func geluFwdAsm(out, pre, bias *float32, rows, cols int)

//go:noescape
func geluBwdAsm(dpre, dbias, pre, dout *float32, rows, cols int)

// onlineTileAsm is OnlineTile's arithmetic; rows, w > 0.
//
//go:noescape
func onlineTileAsm(x *float32, rows, w int, scale float32, m, sum *float32)

// elu1Asm is ELU1's arithmetic on x[:n]; n > 0.
//
//go:noescape
func elu1Asm(dst, x *float32, n int)

// addBiasAsm is AddBias's arithmetic; rows, cols > 0.
//
//go:noescape
func addBiasAsm(x, b *float32, rows, cols int)

// sumRowsAsm is SumRowsStride's arithmetic; rows, cols > 0.
//
//go:noescape
func sumRowsAsm(dst, x *float32, rows, cols, ld int)

// layerNorm4Asm is layerNormAsm on 4 rows x[r*d:], out[r*d:] at once
// (the same bits), mean and rstd of row r to stats[2r], stats[2r+1].
//
//go:noescape
func layerNorm4Asm(out, x, w, b *float32, d int, eps float32, stats *float32)

// layerNormBack4Asm is layerNormBackAsm on 4 rows at once (the same bits;
// dw, db take the rows' terms in row order), mean and rstd of row r at
// stats[2r], stats[2r+1].
//
//go:noescape
func layerNormBack4Asm(dx, dw, db, dout, x, w *float32, d int, stats *float32)

// softmax2Asm is softmaxAsm on two rows x[:n], y[:n] at once (the same
// bits); n > 0.
//
//go:noescape
func softmax2Asm(x, y *float32, n int, scale float32) (mx0, sum0, mx1, sum1 float32)
