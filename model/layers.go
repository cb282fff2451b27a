package model

import (
	"math"
	"slices"

	"github.com/attnlab/attnlab/internal/gemm"
	"github.com/attnlab/attnlab/internal/vecmath"
)

// Each op below is a pair: xForward fills its outputs (and the cache the
// backward reads), xBackward accumulates gradients (d-prefixed, first in the
// argument list) from the gradient of the forward's output.

// encoderForward: out[b,t,:] = W_E[tokens[b,t],:] + W_pos[t,:] (wpos nil for
// rotary/none); in float32 one pass of vecmath.EmbedRows (the same bits).
func encoderForward[F Float](out []F, tokens []int32, wte, wpe []F, B, T, D int) {
	if o32, ok := asF32(out); ok && wpe != nil {
		vecmath.EmbedRows(o32[:B*T*D], f32(wte), tokens[:B*T], f32(wpe), T, D)
		return
	}
	for b := range B {
		for t := range T {
			o := out[(b*T+t)*D : (b*T+t+1)*D]
			e := wte[int(tokens[b*T+t])*D:][:D]
			if wpe == nil {
				copy(o, e)
				continue
			}
			addInto(o, e, wpe[t*D:][:D])
		}
	}
}

// encoderBackward: dW_E[tok] += dout, dW_pos[t] += dout, position by
// position in order. In float32: vecmath.ScatterAddRows for dW_E and
// vecmath.SumRows over the B sequences for dW_pos (each element still adds
// its terms in the order of b, t: the same bits).
func encoderBackward[F Float](dwte, dwpe []F, dout []F, tokens []int32, B, T, D int) {
	if dw32, ok := asF32(dwte); ok {
		vecmath.ScatterAddRows(dw32, f32(dout), tokens[:B*T], D)
		if dwpe != nil {
			vecmath.SumRows(f32(dwpe)[:T*D], f32(dout), B, T*D)
		}
		return
	}
	for b := range B {
		for t := range T {
			d := dout[(b*T+t)*D:][:D]
			addRows(dwte[int(tokens[b*T+t])*D:], D, d, D, 1, D)
			if dwpe != nil {
				addRows(dwpe[t*D:], D, d, D, 1, D)
			}
		}
	}
}

// addInto sets dst[i] = x[i] + y[i] for i < len(dst): one rounded
// addition per element, in float32 one pass of vecmath.AddTo. dst may be x
// or y, but must not overlap them otherwise.
func addInto[F Float](dst, x, y []F) {
	if d32, ok := asF32(dst); ok {
		vecmath.AddTo(d32, f32(x), f32(y))
		return
	}
	for i := range dst {
		dst[i] = x[i] + y[i]
	}
}

// addRows sets dst[r*ldd+c] += x[r*ldx+c] for r < rows, c < cols: one
// rounded addition per element, vectorised in float32 (vecmath.Add).
func addRows[F Float](dst []F, ldd int, x []F, ldx, rows, cols int) {
	if d32, ok := asF32(dst); ok {
		x32 := f32(x)
		for r := range rows {
			vecmath.Add(d32[r*ldd:r*ldd+cols], x32[r*ldx:r*ldx+cols])
		}
		return
	}
	for r := range rows {
		d, s := dst[r*ldd:r*ldd+cols], x[r*ldx:r*ldx+cols]
		for c := range d {
			d[c] += s[c]
		}
	}
}

// layerNormForward: out = (x - mean) * rstd * w + b, rstd = 1/sqrt(var + eps),
// statistics in float64; w and b are nil for LNPre (normalise only).
//
// In float32 with weights it runs vecmath.LayerNormRows (float32
// statistics with a corrected mean, within 2e-6 relative of this loop).
func layerNormForward[F Float](out, mean, rstd, x, w, b []F, N, D int) {
	if o32, ok := asF32(out); ok && w != nil {
		vecmath.LayerNormRows(o32, f32(x), f32(w)[:D], f32(b), f32(mean), f32(rstd), N, LNEps)
		return
	}
	for n := range N {
		xi := x[n*D : (n+1)*D]
		m := 0.0
		for _, v := range xi {
			m += float64(v)
		}
		m /= float64(D)
		vr := 0.0
		for _, v := range xi {
			d := float64(v) - m
			vr += d * d
		}
		vr /= float64(D)
		s := 1 / math.Sqrt(vr+LNEps)
		o := out[n*D : (n+1)*D]
		for i, v := range xi {
			nv := (float64(v) - m) * s
			if w != nil {
				nv = nv*float64(w[i]) + float64(b[i])
			}
			o[i] = F(nv)
		}
		mean[n], rstd[n] = F(m), F(s)
	}
}

// layerNormBackward differentiates out = norm*w + b with norm = (x-mean)*rstd:
//
//	dnorm = dout*w
//	dx += rstd * (dnorm - mean(dnorm) - norm*mean(dnorm*norm))
//	dw += dout*norm, db += dout
//
// In float32 with weights it runs vecmath.LayerNormRowsBackward.
func layerNormBackward[F Float](dx, dw, db, dout, x, mean, rstd, w []F, N, D int) {
	if dx32, ok := asF32(dx); ok && w != nil {
		vecmath.LayerNormRowsBackward(dx32, f32(dw)[:D], f32(db)[:D], f32(dout), f32(x), f32(w)[:D], f32(mean), f32(rstd), N)
		return
	}
	for n := range N {
		xi, do, dxi := x[n*D:(n+1)*D], dout[n*D:(n+1)*D], dx[n*D:(n+1)*D]
		m, s := float64(mean[n]), float64(rstd[n])
		var dm, dnm float64
		for i := range D {
			norm := (float64(xi[i]) - m) * s
			dn := float64(do[i])
			if w != nil {
				dn *= float64(w[i])
			}
			dm += dn
			dnm += dn * norm
		}
		dm /= float64(D)
		dnm /= float64(D)
		for i := range D {
			norm := (float64(xi[i]) - m) * s
			dn := float64(do[i])
			if w != nil {
				dn *= float64(w[i])
				dw[i] += do[i] * F(norm)
				db[i] += do[i]
			}
			dxi[i] += F((dn - dm - norm*dnm) * s)
		}
	}
}

// matmulForward: out[N,Dout] = inp[N,Din]·w[Din,Dout] + bias.
func matmulForward[F Float](out, inp, w, bias []F, N, Din, Dout int) {
	gemm.MatMul(false, false, N, Dout, Din, inp, Din, w, Dout, out, Dout, false)
	addBias(out, bias, N, Dout)
}

// matmulResidual: out[N,Dout] = inp[N,Din]·w[Din,Dout] + bias, and dst =
// x + out (a residual stream's update). In float32 the bias and the
// residual are added in one pass (vecmath.BiasResidual: the bits of
// addBias then addInto).
func matmulResidual[F Float](dst, x, out, inp, w, bias []F, N, Din, Dout int) {
	gemm.MatMul(false, false, N, Dout, Din, inp, Din, w, Dout, out, Dout, false)
	if d32, ok := asF32(dst); ok && bias != nil {
		vecmath.BiasResidual(d32[:N*Dout], f32(x), f32(out), f32(bias), N, Dout)
		return
	}
	addBias(out, bias, N, Dout)
	addInto(dst[:N*Dout], x, out)
}

// addBias: out[n,:] += bias for each of N rows (nothing when bias is nil).
func addBias[F Float](out, bias []F, N, Dout int) {
	if bias == nil {
		return
	}
	if o32, ok := asF32(out); ok {
		vecmath.AddBias(o32, f32(bias), N, Dout) // the loop below, vectorised
		return
	}
	for n := range N {
		o := out[n*Dout : (n+1)*Dout]
		for j := range o {
			o[j] += bias[j]
		}
	}
}

// matmulBackward differentiates out = inp·w + bias:
//
//	dinp += dout·wᵀ, dw += inpᵀ·dout, dbias += Σ_n dout[n]
//
// or, as mode says, sets dinp (and dw, dbias) instead of adding to them,
// which saves clearing a scratch buffer first (same bits: the sums start
// from 0 either way). wT, when not nil, is w transposed [Dout, Din]: dinp
// is then dout·wT (the same sums, without transposing w in the product).
func matmulBackward[F Float](dinp, dw, dbias, dout, inp, w, wT []F, N, Din, Dout int, mode into) {
	switch {
	case dinp != nil && wT != nil:
		gemm.MatMul(false, false, N, Din, Dout, dout, Dout, wT, Din, dinp, Din, mode == addAll)
	case dinp != nil:
		gemm.MatMul(false, true, N, Din, Dout, dout, Dout, w, Dout, dinp, Din, mode == addAll)
	}
	gemm.MatMul(true, false, Din, Dout, N, inp, Din, dout, Dout, dw, Dout, mode != setAll)
	if dbias != nil {
		biasBackward(dbias, dout, N, Dout, mode == setAll)
	}
}

// biasBackward: dbias += Σ_n dout[n] over the N rows of dout [N, Dout] in
// order, or (set) dbias = that sum, starting from dout[0] (the bits of 0 +
// dout[0] but for the sign of a zero).
func biasBackward[F Float](dbias, dout []F, N, Dout int, set bool) {
	n0 := 0
	if set {
		copy(dbias, dout[:Dout]) // = 0 + dout[0]
		n0 = 1
	}
	if db32, ok := asF32(dbias); ok {
		vecmath.SumRows(db32, f32(dout)[n0*Dout:], N-n0, Dout) // the loop below, vectorised
		return
	}
	for n := n0; n < N; n++ {
		d := dout[n*Dout : (n+1)*Dout]
		for j := range d {
			dbias[j] += d[j]
		}
	}
}

// into says which outputs matmulBackward adds to and which it sets.
type into int

const (
	addAll into = iota // dinp, dw, dbias +=
	setInp             // dinp =; dw, dbias += (the model's gradients accumulate)
	setAll             // dinp, dw, dbias = (workspace scratch; BackwardSet's weights)
)

// actForward is the MLP's bias and activation, fused into one pass over
// the [N, M] pre-activations (bias nil: the activation only):
//
//	pre += b_in, out = act(pre)
//	gelu_new(x) = 0.5x(1 + tanh(sqrt(2/π)(x + 0.044715x³)))
//	gelu(x)     = 0.5x(1 + erf(x/sqrt2))
//	relu(x)     = max(x, 0)
//
// float32 runs vecmath.BiasAct (AVX-512); float64 the plain loop with
// vecmath.ActRef, its reference.
func actForward[F Float](act string, out, pre, bias []F, N, M int) {
	a := mustAct(act)
	if o32, ok := asF32(out); ok {
		vecmath.BiasAct(a, o32, f32(pre), f32(bias), N, M)
		return
	}
	for n := range N {
		p, o := pre[n*M:(n+1)*M], out[n*M:(n+1)*M]
		for j := range p {
			if bias != nil {
				p[j] += bias[j]
			}
			o[j] = F(vecmath.ActRef(a, float64(p[j])))
		}
	}
}

// actBackward differentiates actForward, the bias gradient in the same
// pass (dbias nil: none); dpre may alias dout:
//
//	dpre = act'(pre)·dout, dbias += Σ_n dpre[n]
func actBackward[F Float](act string, dpre, dbias, pre, dout []F, N, M int) {
	a := mustAct(act)
	if d32, ok := asF32(dpre); ok {
		vecmath.ActBackward(a, d32, f32(dbias), f32(pre), f32(dout), N, M)
		return
	}
	for n := range N {
		for j := range M {
			i := n*M + j
			dpre[i] = F(vecmath.ActGradRef(a, float64(pre[i]))) * dout[i]
			if dbias != nil {
				dbias[j] += dpre[i]
			}
		}
	}
}

// mustAct parses act_fn (Config.Validate has accepted it).
func mustAct(act string) vecmath.Act {
	a, err := vecmath.ParseAct(act)
	if err != nil {
		panic("model: " + err.Error()) // Validate rejects it first
	}
	return a
}

// rotary holds cos and sin tables for rotate-half (GPT-NeoX) rotary
// embeddings: for pair i < R/2 at position p, θ = p·base^(-2i/R) and
//
//	x'[i]     = x[i]·cos θ − x[i+R/2]·sin θ
//	x'[i+R/2] = x[i+R/2]·cos θ + x[i]·sin θ
type rotary[F Float] struct {
	R        int     // rotary_dim
	base     float64 // rotary_base
	cos, sin []F     // [P, R/2], P ≥ n_ctx positions
}

func newRotary[F Float](R, nctx int, base float64) *rotary[F] {
	r := &rotary[F]{R: R, base: base}
	r.grow(nctx)
	return r
}

// grow extends the tables to n positions (no-op when they hold them).
func (r *rotary[F]) grow(n int) {
	h := r.R / 2
	if h == 0 {
		return
	}
	for p := len(r.cos) / h; p < n; p++ {
		for i := range h {
			theta := float64(p) * math.Pow(r.base, -float64(2*i)/float64(r.R))
			r.cos, r.sin = append(r.cos, F(math.Cos(theta))), append(r.sin, F(math.Sin(theta)))
		}
	}
}

// clone returns a copy with tables of its own (a decoder grows its copy
// past n_ctx; the model's tables are shared by concurrent forward passes).
func (r *rotary[F]) clone() *rotary[F] {
	return &rotary[F]{R: r.R, base: r.base, cos: slices.Clone(r.cos), sin: slices.Clone(r.sin)}
}

// rotateTo writes one head vector x [E] rotated to position p into out: by
// R(p) as forward does, or for p < 0 by R(|p|)ᵀ as backward does (R(−θ) =
// R(θ)ᵀ). The tables grow to |p| + 1 positions.
func (r *rotary[F]) rotateTo(out, x []F, p int) {
	h := r.R / 2
	ap := max(p, -p)
	r.grow(ap + 1)
	c, s := r.cos[ap*h:(ap+1)*h], r.sin[ap*h:(ap+1)*h]
	if p >= 0 {
		rotateHead(out, x, c, s, r.R)
	} else {
		rotateHeadBack(out, x, c, s, r.R)
	}
}

// rotateHead is R·x for one head vector at the position of c, s [R/2]:
// out[i], out[i+R/2] = x[i]·c − x[i+R/2]·s, x[i+R/2]·c + x[i]·s, and the
// dims past R copied. out may alias x.
func rotateHead[F Float](out, x, c, s []F, R int) {
	h := R / 2
	for i := range h {
		x1, x2 := x[i], x[i+h]
		out[i], out[i+h] = x1*c[i]-x2*s[i], x2*c[i]+x1*s[i]
	}
	if &out[0] != &x[0] {
		copy(out[R:], x[R:])
	}
}

// rotateHeadBack is Rᵀ·d, the transposed rotation: out[i], out[i+R/2] =
// d[i]·c + d[i+R/2]·s, d[i+R/2]·c − d[i]·s. out may alias d.
func rotateHeadBack[F Float](out, d, c, s []F, R int) {
	h := R / 2
	for i := range h {
		d1, d2 := d[i], d[i+h]
		out[i], out[i+h] = d1*c[i]+d2*s[i], d2*c[i]-d1*s[i]
	}
	if &out[0] != &d[0] {
		copy(out[R:], d[R:])
	}
}

// forward rotates the first R dims of each head vector: out and x are
// [B, T, H, E] views with row (token) stride ld; out may alias x.
func (r *rotary[F]) forward(out []F, ldo int, x []F, ld, B, T, H, E int) {
	h := r.R / 2
	for b := range B {
		for t := range T {
			c, s := r.cos[t*h:(t+1)*h], r.sin[t*h:(t+1)*h]
			for hd := range H {
				rotateHead(out[(b*T+t)*ldo+hd*E:][:E], x[(b*T+t)*ld+hd*E:][:E], c, s, r.R)
			}
		}
	}
}

// backward applies the transposed rotation: dx (+)= Rᵀ·dout, in place
// allowed (dx may alias dout when accumulate is false).
func (r *rotary[F]) backward(dx []F, ldx int, dout []F, ldo, B, T, H, E int, accumulate bool) {
	h := r.R / 2
	for b := range B {
		for t := range T {
			c, s := r.cos[t*h:(t+1)*h], r.sin[t*h:(t+1)*h]
			for hd := range H {
				di := dout[(b*T+t)*ldo+hd*E:][:E]
				xi := dx[(b*T+t)*ldx+hd*E:][:E]
				for i := range h {
					d1, d2 := di[i], di[i+h]
					g1, g2 := d1*c[i]+d2*s[i], d2*c[i]-d1*s[i]
					if accumulate {
						xi[i] += g1
						xi[i+h] += g2
					} else {
						xi[i], xi[i+h] = g1, g2
					}
				}
				for i := r.R; i < E; i++ {
					if accumulate {
						xi[i] += di[i]
					} else {
						xi[i] = di[i]
					}
				}
			}
		}
	}
}

// crossEntropyForward computes, per position, probs = softmax(logits) in
// place over logits and loss = -log probs[target] (0 where target < 0).
// It returns Σ mask·loss and Σ mask. In float32 it is
// crossEntropyForward32.
func crossEntropyForward[F Float](losses []float32, logits []F, targets []int32, mask []float32, N, V int) (sum, count float64) {
	if l32, ok := asF32(logits); ok {
		return crossEntropyForward32(losses, l32, targets, mask, N, V)
	}
	for n := range N {
		row := logits[n*V : (n+1)*V]
		tg := targets[n]
		mx := float64(row[0])
		for _, v := range row {
			mx = max(mx, float64(v))
		}
		var lt float64
		if tg >= 0 {
			lt = float64(row[tg]) - mx
		}
		z := 0.0
		for j, v := range row {
			e := math.Exp(float64(v) - mx)
			row[j] = F(e)
			z += e
		}
		for j := range row {
			row[j] = F(float64(row[j]) / z)
		}
		if tg < 0 {
			losses[n] = 0
			continue
		}
		l := math.Log(z) - lt // −log softmax(logits)[target], in float64
		losses[n] = float32(l)
		w := 1.0
		if mask != nil {
			w = float64(mask[n])
		}
		sum += w * l
		count += w
	}
	return sum, count
}

// crossEntropyForward32 is crossEntropyForward in float32: the rows go
// through vecmath.SoftmaxRows (two at a time; float32 statistics, sum
// within 1e-6 relative); the loss is still taken in float64 from each
// row's max and sum, loss = log Σ e^(v−mx) − (v[target] − mx), the logs of
// a block of rows at once by vecmath.Log64 (math.Log's bits).
func crossEntropyForward32(losses, logits []float32, targets []int32, mask []float32, N, V int) (sum, count float64) {
	const blk = 64 // rows per block (even: the softmax pairs rows 2i, 2i+1)
	var mx, z, lt [blk]float32
	var lz [blk]float64
	for b0 := 0; b0 < N; b0 += blk {
		k := min(blk, N-b0)
		for i := range k {
			if tg := targets[b0+i]; tg >= 0 {
				lt[i] = logits[(b0+i)*V+int(tg)]
			}
		}
		vecmath.SoftmaxRows(logits[b0*V:(b0+k)*V], V, 1, mx[:k], z[:k])
		for i := range k {
			lz[i] = float64(z[i])
		}
		vecmath.Log64(lz[:k], lz[:k])
		for i := range k {
			n := b0 + i
			if targets[n] < 0 {
				losses[n] = 0
				continue
			}
			l := lz[i] - (float64(lt[i]) - float64(mx[i]))
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

// crossEntropyBackward turns probs into dlogits in place:
// dlogits = (probs − onehot(target)) · mask / Σmask. In float32 each run
// of rows with the same factor is scaled by one vecmath.Scale call (the
// same product per element).
func crossEntropyBackward[F Float](probs []F, targets []int32, mask []float32, N, V int, count float64) {
	p32, is32 := asF32(probs)
	run0, runS := 0, float32(0) // rows run0.. not yet scaled, all by runS
	for n := range N {
		row := probs[n*V : (n+1)*V]
		w := 1.0
		if mask != nil {
			w = float64(mask[n])
		}
		if targets[n] < 0 || w == 0 || count == 0 {
			if is32 {
				vecmath.Scale(p32[run0*V:n*V], runS)
				run0 = n + 1
			}
			clear(row)
			continue
		}
		s := F(w / count)
		row[targets[n]] -= 1
		if !is32 {
			for j := range row {
				row[j] *= s
			}
			continue
		}
		if s32 := float32(s); math.Float32bits(s32) != math.Float32bits(runS) || run0 == n {
			vecmath.Scale(p32[run0*V:n*V], runS)
			run0, runS = n, s32
		}
	}
	if is32 {
		vecmath.Scale(p32[run0*V:N*V], runS)
	}
}

// asF32 reinterprets s as []float32 when F's underlying type is float32
// (vecmath.AsF32).
func asF32[F Float](s []F) ([]float32, bool) { return vecmath.AsF32(s) }

// f32 is asF32 for a slice known to be float32.
func f32[F Float](s []F) []float32 {
	v, _ := asF32(s)
	return v
}
