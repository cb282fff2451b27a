package model

import (
	"unsafe"

	"github.com/attnlab/attnlab/attention"
	"github.com/attnlab/attnlab/internal/gemm"
)

// LossCount returns Σ mask over the positions of the last ForwardLoss (the
// mean's denominator).
func (w *Workspace[F]) LossCount() float64 { return w.count }

// SetLossCount changes the denominator Backward differentiates by: a batch
// split across workspaces sets every shard to the whole batch's count, so
// the shards' gradients add up to the gradient of the batch mean.
func (w *Workspace[F]) SetLossCount(n float64) { w.count = n }

// ZeroGrad clears the accumulated gradients.
func (w *Workspace[F]) ZeroGrad() {
	if w.Grads == nil {
		w.Grads = NewParams[F](w.m.Config) // zeroed
		return
	}
	clear(w.Grads.Data)
}

// Backward accumulates into w.Grads the gradient of the mean loss of the
// last ForwardLoss. It walks the forward pass in reverse, each step the
// backward of the forward op named in its comment.
func (w *Workspace[F]) Backward() {
	if w.Grads == nil {
		w.ZeroGrad()
	}
	w.backward(setInp)
}

// BackwardSet sets w.Grads to the gradient of the mean loss of the last
// ForwardLoss, whatever it held: ZeroGrad then Backward, without the
// clearing pass over the weight matrices, whose gradients it writes
// instead of adding to (the same bits, but for the sign of a gradient
// element that is exactly zero: every sum starts from +0 either way). The
// gradients that are sums of scattered contributions (embeddings,
// LayerNorm, biases outside the matmuls, head parameters) are cleared
// first, as ZeroGrad would.
func (w *Workspace[F]) BackwardSet() {
	if w.Grads == nil {
		w.ZeroGrad()
	}
	w.backward(setAll)
}

// clearedBySet lists (by index in Grads.Tensors) the gradients BackwardSet
// clears: all but those that backward(setAll) writes whole without reading
// them (the matmuls' weights and biases). Every Params of the model's
// config has the same tensors, so the list is made once.
func (w *Workspace[F]) clearedBySet() []int {
	if w.cleared != nil {
		return w.cleared
	}
	g := w.Grads
	set := [][]F{g.WU, g.BU}
	for l := range g.Blocks {
		b := &g.Blocks[l]
		set = append(set, b.WO, b.BO, b.WQ, b.WK, b.WV, b.BQ, b.BK, b.BV, b.WIn, b.WOut, b.BOut)
	}
	w.cleared = []int{}
	for i, t := range g.Tensors {
		if !containsView(set, t.Data) {
			w.cleared = append(w.cleared, i)
		}
	}
	return w.cleared
}

// backward is Backward (wmode setInp: the parameter gradients accumulate)
// or BackwardSet (wmode setAll: the matmuls' gradients are set, the others
// cleared first and accumulated).
func (w *Workspace[F]) backward(wmode into) {
	m, c, p, g := w.m, w.m.Config, w.m.Params, w.Grads
	if wmode == setAll {
		for _, i := range w.clearedBySet() {
			clear(g.Tensors[i].Data)
		}
	}
	B, T, D, H, E, M, V := w.B, w.T, c.DModel, c.NHeads, c.DHead, c.DMLP, c.DVocab
	N, HE, L := B*T, H*E, c.NLayers

	pk := w.qkvPack()

	// loss = mean CE(softmax(logits), targets): dlogits = (probs − onehot)·mask/Σmask
	crossEntropyBackward(w.logits, w.targets, w.mask, N, V, w.count)
	dlogits := w.logits

	// logits = lnf·W_U + b_U; lnf = LN(resid[L])
	if c.HasNorm() {
		clear(w.dresid)
		matmulBackward(w.dln, g.WU, g.BU, dlogits, w.lnf.out, p.WU, pk.UT, N, D, V, wmode)
		layerNormBackward(w.dresid, g.LnFW, g.LnFB, w.dln, w.resid[L], w.lnf.mean, w.lnf.rstd, p.LnFW, N, D)
	} else {
		matmulBackward(w.dresid, g.WU, g.BU, dlogits, w.resid[L], p.WU, pk.UT, N, D, V, wmode)
	}

	for l := L - 1; l >= 0; l-- {
		la, bp, gb := &w.layers[l], &p.Blocks[l], &g.Blocks[l]
		x := w.resid[l]
		// w.dresid holds d resid_post[l].
		mid := w.resid[l+1]
		if c.HasMLP() {
			mid = la.residMid
			// resid_post = resid_mid + mlp_out; mlp_out = post·W_out + b_out
			matmulBackward(w.dmlp, gb.WOut, gb.BOut, w.dresid, la.mlpPost, bp.WOut, nil, N, M, D, wmode)
			// post = act(pre), pre = pre₀ + b_in: dpre and db_in in one pass
			actBackward(c.ActFn, w.dmlp, gb.BIn, la.mlpPre, w.dmlp, N, M)
			// pre₀ = ln2(resid_mid)·W_in
			h2 := mid
			if c.HasNorm() {
				h2 = la.ln2.out
			}
			matmulBackward(w.dln, gb.WIn, nil, w.dmlp, h2, bp.WIn, nil, N, D, M, wmode)
			w.normBackward(w.dresid, gb.Ln2W, gb.Ln2B, w.dln, mid, &la.ln2, bp.Ln2W)
		}
		// w.dresid now holds d resid_mid[l]; resid_mid = resid_pre + attn_out.

		// attn_out = z·W_O + b_O
		matmulBackward(w.dz, gb.WO, gb.BO, w.dresid, la.z, bp.WO, at(pk.OT, l), N, HE, D, wmode)

		// z[b,:,h] = pattern[b,h]·v[b,:,h]; pattern = attention(q, k)
		q, k, ld := la.qkv, la.qkv[HE:], 3*HE
		if m.rot != nil {
			q, k, ld = la.qkRot, la.qkRot[HE:], 2*HE
		}
		dq, dk := w.dqkv, w.dqkv[HE:]
		switch {
		case la.fused:
			clear(w.dqkv)
			w.attnFusedBackward(l, la, q, k, ld)
		case w.scoresBackward(l):
			w.attnHeadsBackward(l, la, q, k, ld) // sets all of dqkv
		default:
			clear(w.dqkv)
			w.attnPatternBackward(l, la, q, k, ld)
		}
		if m.rot != nil {
			// q_rot = R·q, k_rot = R·k: dq = Rᵀ·dq_rot (in place)
			m.rot.backward(dq, 3*HE, dq, 3*HE, B, T, H, E, false)
			m.rot.backward(dk, 3*HE, dk, 3*HE, B, T, H, E, false)
		}

		// q|k|v = ln1(resid_pre)·W_QKV + b_QKV
		h := x
		if c.HasNorm() {
			h = la.ln1.out
		}
		w.qkvBackward(gb, h, pk.W[l], at(pk.WT, l), wmode == setAll)
		w.normBackward(w.dresid, gb.Ln1W, gb.Ln1B, w.dln, x, &la.ln1, bp.Ln1W)
		// w.dresid now holds d resid_pre[l] = d resid_post[l-1].
	}
	// resid_pre[0] = W_E[tokens] + W_pos
	encoderBackward(g.WE, g.WPos, w.dresid, w.tokens, B, T, D)
}

// normBackward adds to dx the gradient through the block's normalisation
// (the identity when the model has none): out = LN(x).
func (w *Workspace[F]) normBackward(dx, dw, db, dout, x []F, a *normActs[F], wt []F) {
	c := w.m.Config
	if !c.HasNorm() {
		for i := range dx {
			dx[i] += dout[i]
		}
		return
	}
	layerNormBackward(dx, dw, db, dout, x, a.mean, a.rstd, wt, w.B*w.T, c.DModel)
}

// qkvBackward differentiates q|k|v = h·W_QKV + b_QKV (W_QKV the packed
// [D, 3HE] weights wqkv): w.dln = w.dqkv·W_QKVᵀ, and the gradients of W_Q,
// W_K, W_V [H, D, E] and b_Q, b_K, b_V [H, E] from hᵀ·w.dqkv and the
// column sums of w.dqkv, added to them or (set) set. Adding goes through
// the packed scratch w.dwqkv, then one addition per element; setting writes
// each head's [D, E] block of hᵀ·w.dqkv in place, a product of its own (the
// same sums: every element adds over the rows in order from 0).
func (w *Workspace[F]) qkvBackward(gb *Block[F], h, wqkv, wqkvT []F, set bool) {
	c := w.m.Config
	N, D, H, E := w.B*w.T, c.DModel, c.NHeads, c.DHead
	HE := H * E
	if !set {
		matmulBackward(w.dln, w.dwqkv, w.dbqkv, w.dqkv, h, wqkv, wqkvT, N, D, 3*HE, setAll)
	} else {
		if wqkvT != nil {
			gemm.MatMul(false, false, N, D, 3*HE, w.dqkv, 3*HE, wqkvT, D, w.dln, D, false)
		} else {
			gemm.MatMul(false, true, N, D, 3*HE, w.dqkv, 3*HE, wqkv, 3*HE, w.dln, D, false)
		}
		for s, G := range [3][]F{gb.WQ, gb.WK, gb.WV} {
			for hd := range H {
				// G[hd] [D, E] = hᵀ·(columns s·HE+hd·E .. +E of dqkv)
				gemm.MatMul(true, false, D, E, N, h, D, w.dqkv[s*HE+hd*E:], 3*HE, G[hd*D*E:], E, false)
			}
		}
		biasBackward(w.dbqkv, w.dqkv, N, 3*HE, true)
	}
	for s, G := range [3][]F{gb.WQ, gb.WK, gb.WV} {
		if set {
			break
		}
		for hd := range H {
			// G[hd] [D, E] += the [D, E] block of dwqkv at column s·HE+hd·E
			addRows(G[hd*D*E:], E, w.dwqkv[s*HE+hd*E:], 3*HE, D, E)
		}
	}
	for s, G := range [3][]F{gb.BQ, gb.BK, gb.BV} {
		if set {
			copy(G, w.dbqkv[s*HE:s*HE+len(G)])
			continue
		}
		for i := range G {
			G[i] += w.dbqkv[s*HE+i]
		}
	}
}

// at returns s[l], or nil when s is nil (a pack without transposes).
func at[F Float](s [][]F, l int) []F {
	if s == nil {
		return nil
	}
	return s[l]
}

// containsView reports whether one of set is the view v (same first
// element and length).
func containsView[F Float](set [][]F, v []F) bool {
	for _, s := range set {
		if len(s) == len(v) && len(v) > 0 && &s[0] == &v[0] {
			return true
		}
	}
	return len(v) == 0
}

// attnPatternBackward is the pattern path's backward for layer l:
// z[b,:,h] = pattern[b,h]·v[b,:,h]; pattern = attention(q, k).
func (w *Workspace[F]) attnPatternBackward(l int, la *layerActs[F], q, k []F, ld int) {
	c := w.m.Config
	B, T, H, E := w.B, w.T, c.NHeads, c.DHead
	HE := H * E
	v := la.qkv[2*HE:]
	dq, dk, dv := w.dqkv, w.dqkv[HE:], w.dqkv[2*HE:]
	for b := range B {
		for hd := range H {
			pat := la.pattern[(b*H+hd)*T*T:][:T*T]
			zo, vo := b*T*HE+hd*E, b*T*3*HE+hd*E
			// dpattern = dz·vᵀ (the causal triangle j ≤ i: every rule's
			// Backward reads only that), dv += patternᵀ·dz
			gemm.MatMulTri(gemm.LowerC, false, true, T, T, E, w.dz[zo:], HE, v[vo:], 3*HE, w.dpattern, T, false)
			gemm.MatMulTri(gemm.UpperA, true, false, T, E, T, pat, T, w.dz[zo:], HE, dv[vo:], 3*HE, true)
			qo := b*T*ld + hd*E
			w.attnBackward(l, hd, dq[vo:], dk[vo:], 3*HE, w.dpattern, pat, q[qo:], k[qo:], ld, T, E)
		}
	}
}

// heads16 reports whether the pattern path's [T, T]·[T, E] products take
// gemm.MatMulHeads16, every head of a sequence in one call: float32 and
// d_head 16.
func (w *Workspace[F]) heads16() bool {
	return unsafe.Sizeof(F(0)) == 4 && w.m.Config.DHead == 16
}

// dpatternHeads is how many heads' [T, T] gradients w.dpattern holds: H
// when a layer on the pattern path runs attnHeadsBackward, else 1. It
// reads only w.m and w.T (WorkspaceBytes asks a probe).
func (w *Workspace[F]) dpatternHeads() int {
	for l := range w.m.Config.NLayers {
		if !w.canFuse(l) && w.scoresBackward(l) {
			return w.m.Config.NHeads
		}
	}
	return 1
}

// scoresBackward reports whether layer l's pattern-path backward may run
// attnHeadsBackward: heads16, and every head's rule a
// attention.ScoresBackward without parameters of its own.
func (w *Workspace[F]) scoresBackward(l int) bool {
	if !w.heads16() {
		return false
	}
	if _, ok := w.m.attn[l].(attention.HeadParams[F]); ok {
		return false
	}
	for hd := range w.m.Config.NHeads {
		if _, ok := w.m.rule(l, hd).(attention.ScoresBackward[F]); !ok {
			return false
		}
	}
	return true
}

// attnHeadsBackward is attnPatternBackward for rules that are
// attention.ScoresBackward, with the products of all heads of a sequence
// in one gemm.MatMulHeads16 call each (same sums, term by term, as the
// per-head MatMulTri calls of attnPatternBackward and Rule.Backward):
//
//	dpattern[h] = dz[:, h]·v[:, h]ᵀ, dscores[h] = BackwardScores(dpattern[h])
//	dv[:, h] = pattern[h]ᵀ·dz[:, h], dq[:, h] = dscores[h]·k[:, h], dk[:, h] = dscores[h]ᵀ·q[:, h]
//
// It sets dq, dk and dv (all of w.dqkv) rather than adding to them.
func (w *Workspace[F]) attnHeadsBackward(l int, la *layerActs[F], q, k []F, ld int) {
	c := w.m.Config
	B, T, H, E := w.B, w.T, c.NHeads, c.DHead
	HE := H * E
	v := la.qkv[2*HE:]
	dq, dk, dv := f32(w.dqkv), f32(w.dqkv[HE:]), f32(w.dqkv[2*HE:])
	for b := range B {
		pat := la.pattern[b*H*T*T:][:H*T*T]
		zo, vo := b*T*HE, b*T*3*HE
		for hd := range H {
			dp := w.dpattern[hd*T*T:][:T*T]
			gemm.MatMulTri(gemm.LowerC, false, true, T, T, E, w.dz[zo+hd*E:], HE, v[vo+hd*E:], 3*HE, dp, T, false)
			w.m.rule(l, hd).(attention.ScoresBackward[F]).BackwardScores(dp, pat[hd*T*T:][:T*T], T, E)
		}
		qo := b * T * ld
		gemm.MatMulHeads16(gemm.UpperA, H, T, f32(pat), T*T, f32(w.dz[zo:]), HE, dv[vo:], 3*HE)
		gemm.MatMulHeads16(gemm.LowerA, H, T, f32(w.dpattern), T*T, f32(k[qo:]), ld, dq[vo:], 3*HE)
		gemm.MatMulHeads16(gemm.UpperA, H, T, f32(w.dpattern), T*T, f32(q[qo:]), ld, dk[vo:], 3*HE)
	}
}
