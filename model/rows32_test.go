package model

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/attnlab/attnlab/internal/vecmath"
)

// The float32 paths of the step's small passes (vecmath row kernels)
// against the plain per-element loops they replace, bit for bit.

// randF32 returns n normal values scaled by s.
func randF32(r *rand.Rand, n int, s float64) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64() * s)
	}
	return x
}

// sameF32 fails unless got and want hold the same bits.
func sameF32(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d elements, want %d", what, len(got), len(want))
	}
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: [%d] = %v, the plain loop gives %v", what, i, got[i], want[i])
		}
	}
}

// crossEntropyBackwardLoop is crossEntropyBackward's plain loop in float32.
func crossEntropyBackwardLoop(probs []float32, targets []int32, mask []float32, N, V int, count float64) {
	for n := range N {
		row := probs[n*V : (n+1)*V]
		w := 1.0
		if mask != nil {
			w = float64(mask[n])
		}
		if targets[n] < 0 || w == 0 || count == 0 {
			clear(row)
			continue
		}
		s := float32(w / count)
		row[targets[n]] -= 1
		for j := range row {
			row[j] *= s
		}
	}
}

// TestCrossEntropyBackward32: the runs of equally weighted rows scaled
// together give the plain loop's bits, with ignored targets, zero and
// varying mask weights (runs broken and resumed, negative zero) and a zero
// count, at vocabulary sizes around the multiples of 16.
func TestCrossEntropyBackward32(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 1))
	const N = 9
	negZero := float32(math.Copysign(0, -1))
	masks := [][]float32{
		nil,
		{1, 1, 0, 1, 1, 2, 2, 1, 1},
		{0, 0.5, 0.5, negZero, 0.25, 1e-30, -1e-30, 3, 3},
	}
	for _, V := range []int{1, 2, 15, 16, 17, 63, 64, 65, 100} {
		targets := make([]int32, N)
		for i := range targets {
			targets[i] = int32(r.IntN(V))
		}
		targets[3], targets[8] = -1, -1
		for _, mask := range masks {
			for _, count := range []float64{7, 1e40, 0} {
				probs := randF32(r, N*V, 1)
				want := slices.Clone(probs)
				crossEntropyBackwardLoop(want, targets, mask, N, V, count)
				crossEntropyBackward(probs, targets, mask, N, V, count)
				sameF32(t, "crossEntropyBackward", probs, want)
			}
		}
	}
}

// TestEncoder32: the embedding's gather and scatter-add give the plain
// loops' bits (repeated tokens add in position order), with and without
// learned positions.
func TestEncoder32(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 2))
	const V = 6
	for _, D := range []int{1, 15, 16, 17, 64, 65} {
		for _, bt := range [][2]int{{1, 1}, {2, 5}, {3, 65}} {
			B, T := bt[0], bt[1]
			N := B * T
			tokens := make([]int32, N)
			for i := range tokens {
				tokens[i] = int32(r.IntN(V))
			}
			wte, wpe := randF32(r, V*D, 1), randF32(r, T*D, 1)
			for _, pos := range [][]float32{wpe, nil} {
				out := randF32(r, N*D, 1)
				want := make([]float32, N*D)
				for n := range N {
					for c := range D {
						want[n*D+c] = wte[int(tokens[n])*D+c]
						if pos != nil {
							want[n*D+c] += pos[(n%T)*D+c]
						}
					}
				}
				encoderForward(out, tokens, wte, pos, B, T, D)
				sameF32(t, "encoderForward", out, want)

				dout := randF32(r, N*D, 1)
				dwte, dwpe := randF32(r, V*D, 1), randF32(r, T*D, 1)
				wantE, wantP := slices.Clone(dwte), slices.Clone(dwpe)
				for n := range N {
					for c := range D {
						wantE[int(tokens[n])*D+c] += dout[n*D+c]
						if pos != nil {
							wantP[(n%T)*D+c] += dout[n*D+c]
						}
					}
				}
				var dp []float32
				if pos != nil {
					dp = dwpe
				}
				encoderBackward(dwte, dp, dout, tokens, B, T, D)
				sameF32(t, "encoderBackward dW_E", dwte, wantE)
				sameF32(t, "encoderBackward dW_pos", dwpe, wantP)
			}
		}
	}
}

// TestMatmulResidual32: the product, then the bias and the residual added
// in one pass, give the bits of matmulForward then the plain addition, and
// leave the biased product in out; also without a bias, and with dst = x.
func TestMatmulResidual32(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 3))
	for _, sh := range [][3]int{{1, 1, 1}, {5, 16, 17}, {130, 64, 64}, {7, 33, 15}} {
		N, Din, Dout := sh[0], sh[1], sh[2]
		inp, w, x := randF32(r, N*Din, 1), randF32(r, Din*Dout, 1), randF32(r, N*Dout, 1)
		for _, bias := range [][]float32{randF32(r, Dout, 1), nil} {
			wantOut := make([]float32, N*Dout)
			matmulForward(wantOut, inp, w, bias, N, Din, Dout)
			want := make([]float32, N*Dout)
			for i := range want {
				want[i] = x[i] + wantOut[i]
			}
			out, dst := make([]float32, N*Dout), make([]float32, N*Dout)
			matmulResidual(dst, x, out, inp, w, bias, N, Din, Dout)
			sameF32(t, "matmulResidual's out", out, wantOut)
			sameF32(t, "matmulResidual's dst", dst, want)
			x2 := slices.Clone(x)
			matmulResidual(x2, x2, out, inp, w, bias, N, Din, Dout)
			sameF32(t, "matmulResidual in place", x2, want)
		}
	}
}

// crossEntropyForward32Loop is crossEntropyForward32 as it was: rows in
// pairs through vecmath.SoftmaxRows, math.Log row by row.
func crossEntropyForward32Loop(losses, logits []float32, targets []int32, mask []float32, N, V int) (sum, count float64) {
	var mx, z, lt [2]float32
	for n0 := 0; n0 < N; n0 += 2 {
		k := min(2, N-n0)
		for i := range k {
			if tg := targets[n0+i]; tg >= 0 {
				lt[i] = logits[(n0+i)*V+int(tg)]
			}
		}
		vecmath.SoftmaxRows(logits[n0*V:(n0+k)*V], V, 1, mx[:k], z[:k])
		for i := range k {
			n := n0 + i
			if targets[n] < 0 {
				losses[n] = 0
				continue
			}
			l := math.Log(float64(z[i])) - (float64(lt[i]) - float64(mx[i]))
			losses[n] = float32(l)
			w := 1.0
			if mask != nil {
				w = float64(mask[n])
			}
			sum += w * l
			count += w
		}
	}
	return sum, count
}

// TestCrossEntropyForward32: blocks of rows with their logs taken
// together give the bits of the row-pair loop with math.Log (probs,
// per-token losses, Σ mask·loss, Σ mask), across block boundaries, with
// ignored targets, a mask and rows whose logits are far apart.
func TestCrossEntropyForward32(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 5))
	for _, V := range []int{1, 15, 16, 17, 64, 65} {
		for _, N := range []int{1, 2, 3, 63, 64, 65, 130, 131} {
			targets := make([]int32, N)
			for i := range targets {
				targets[i] = int32(r.IntN(V))
			}
			targets[N/2] = -1
			logits := randF32(r, N*V, 4)
			logits[0] = 80 // one dominant logit: a sum of 1
			for _, m := range [][]float32{nil, randF32(r, N, 1)} {
				got, want := slices.Clone(logits), slices.Clone(logits)
				gl, wl := make([]float32, N), make([]float32, N)
				gs, gc := crossEntropyForward32(gl, got, targets, m, N, V)
				ws, wc := crossEntropyForward32Loop(wl, want, targets, m, N, V)
				sameF32(t, "crossEntropyForward32 probs", got, want)
				sameF32(t, "crossEntropyForward32 losses", gl, wl)
				if math.Float64bits(gs) != math.Float64bits(ws) || gc != wc {
					t.Fatalf("V=%d N=%d: sum, count = %v, %v; the row loop %v, %v", V, N, gs, gc, ws, wc)
				}
			}
		}
	}
}
