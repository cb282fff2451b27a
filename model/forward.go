package model

import (
	"fmt"

	"github.com/attnlab/attnlab/internal/gemm"
)

// ForwardLoss runs the model on tokens [B, T] and returns the mean
// next-token cross-entropy Σ mask·loss / Σ mask over positions whose target
// is ≥ 0 (mask nil weighs every such position 1). Per-token losses are left
// in w.Losses; Backward then differentiates the mean.
func (w *Workspace[F]) ForwardLoss(tokens, targets []int32, mask []float32) (float64, error) {
	if err := w.setTokens(tokens); err != nil {
		return 0, err
	}
	N := w.B * w.T
	if len(targets) != N || (mask != nil && len(mask) != N) {
		return 0, fmt.Errorf("model: targets and mask must have %d entries ([%d, %d])", N, w.B, w.T)
	}
	for i, t := range targets {
		if int(t) >= w.m.Config.DVocab {
			return 0, fmt.Errorf("model: target %d at position %d is outside the vocabulary (d_vocab %d)", t, i, w.m.Config.DVocab)
		}
	}
	copy(w.targets, targets)
	w.mask = mask
	w.forward(nil)
	sum, count := crossEntropyForward(w.Losses, w.logits, w.targets, w.mask, N, w.m.Config.DVocab)
	w.count = count
	if count == 0 {
		return 0, nil
	}
	return sum / count, nil
}

func (w *Workspace[F]) setTokens(tokens []int32) error {
	if len(tokens) != w.B*w.T {
		return fmt.Errorf("model: got %d tokens for a [%d, %d] batch", len(tokens), w.B, w.T)
	}
	for i, t := range tokens {
		if t < 0 || int(t) >= w.m.Config.DVocab {
			return fmt.Errorf("model: token %d at position %d is outside the vocabulary [0, %d)", t, i, w.m.Config.DVocab)
		}
	}
	copy(w.tokens, tokens)
	return nil
}

// norm applies the block's normalisation to x and returns its output (x
// itself when the model has none).
func (w *Workspace[F]) norm(a *normActs[F], x, wt, b []F, r *run[F], scaleName, normName string) []F {
	c := w.m.Config
	if !c.HasNorm() {
		return x
	}
	N, D := w.B*w.T, c.DModel
	layerNormForward(a.out, a.mean, a.rstd, x, wt, b, N, D)
	if r != nil {
		r.scale(scaleName, a.rstd, w.B, w.T)
		r.dense(normName, a.out, w.B, w.T, D)
	}
	return a.out
}

// QKVPack is W_Q|W_K|W_V [3][H, D, E] of every layer laid out as one
// [D, 3HE] matrix, and b_Q|b_K|b_V as [3HE], so that one matmul computes q,
// k and v for every head. It is a copy: Pack it again after the
// parameters change. A workspace packs its own at each forward pass unless
// it is given one to share (Workspace.ShareQKV), as the units of a training
// step share theirs.
//
// A pack made by NewQKVPack also holds the transposes of the matrices the
// backward multiplies gradients by (dx = dout·Wᵀ): W_QKVᵀ, W_Oᵀ and W_Uᵀ,
// so that a training step transposes them once rather than once per work
// unit (same bits: the product sums the same terms in the same order).
type QKVPack[F Float] struct {
	W [][]F // [L][D, 3HE]
	B [][]F // [L][3HE]

	WT [][]F // [L][3HE, D]: W_QKVᵀ (nil: none packed)
	OT [][]F // [L][D, HE]: W_Oᵀ
	UT []F   // [V, D]: W_Uᵀ
}

// NewQKVPack returns the model's weights packed, with the transposes.
func (m *Transformer[F]) NewQKVPack() *QKVPack[F] {
	c := m.Config
	D, HE := c.DModel, c.NHeads*c.DHead
	p := &QKVPack[F]{UT: make([]F, c.DVocab*D)}
	for range c.NLayers {
		p.W, p.B = append(p.W, make([]F, D*3*HE)), append(p.B, make([]F, 3*HE))
		p.WT, p.OT = append(p.WT, make([]F, 3*HE*D)), append(p.OT, make([]F, D*HE))
	}
	p.Pack(m)
	return p
}

// Pack copies m's current weights into p (and their transposes, when p
// holds them).
func (p *QKVPack[F]) Pack(m *Transformer[F]) {
	c := m.Config
	D, HE := c.DModel, c.NHeads*c.DHead
	for l := range p.W {
		packQKV(p.W[l], p.B[l], &m.Params.Blocks[l], c)
		if p.WT != nil {
			gemm.Transpose(p.WT[l], p.W[l], D, 3*HE)
			gemm.Transpose(p.OT[l], m.Params.Blocks[l].WO, HE, D)
		}
	}
	if p.UT != nil {
		gemm.Transpose(p.UT, m.Params.WU, D, c.DVocab)
	}
}

// packQKV packs one block's weights into dst [D, 3HE] and bdst [3HE].
func packQKV[F Float](dst, bdst []F, bp *Block[F], c Config) {
	D, H, E := c.DModel, c.NHeads, c.DHead
	HE := H * E
	for s, W := range [3][]F{bp.WQ, bp.WK, bp.WV} {
		for h := range H {
			for d := range D {
				copy(dst[d*3*HE+s*HE+h*E:][:E], W[(h*D+d)*E:][:E])
			}
		}
	}
	copy(bdst[:HE], bp.BQ)
	copy(bdst[HE:2*HE], bp.BK)
	copy(bdst[2*HE:], bp.BV)
}

// ShareQKV makes the workspace use p (nil: its own, packed at each forward
// pass). The caller packs p after every change of the parameters and
// before the next forward pass.
func (w *Workspace[F]) ShareQKV(p *QKVPack[F]) { w.shared = p }

// qkvPack returns the packed weights the passes use: the shared ones, or
// the workspace's own.
func (w *Workspace[F]) qkvPack() *QKVPack[F] {
	if w.shared != nil {
		return w.shared
	}
	return w.pack
}

// forward runs the model on w.tokens, leaving logits in w.logits. r, when
// non-nil, applies hooks and fills a cache (analysis); nil is the training path.
func (w *Workspace[F]) forward(r *run[F]) {
	m, c, p := w.m, w.m.Config, w.m.Params
	B, T, D, H, E, M, V := w.B, w.T, c.DModel, c.NHeads, c.DHead, c.DMLP, c.DVocab
	N, HE := B*T, H*E

	if w.shared == nil {
		w.pack.Pack(m)
	}
	if r != nil && (r.active(HookEmbed) || r.active(HookPosEmbed)) {
		r.embed(w, w.resid[0])
	} else {
		encoderForward(w.resid[0], w.tokens, p.WE, p.WPos, B, T, D)
	}
	for l := range c.NLayers {
		if r != nil && r.stopped() {
			return // cancelled: Run returns the context's error
		}
		la, bp, nm := &w.layers[l], &p.Blocks[l], &names[l]
		x := w.resid[l] // [B, T, D]
		if r != nil {
			r.dense(nm.residPre, x, B, T, D)
		}
		h := w.norm(&la.ln1, x, bp.Ln1W, bp.Ln1B, r, nm.ln1Scale, nm.ln1Norm)

		// q|k|v = h·W_QKV + b_QKV   [B, T, 3HE]
		pk := w.qkvPack()
		matmulForward(la.qkv, h, pk.W[l], pk.B[l], N, D, 3*HE)
		if r != nil {
			r.heads(nm.q, la.qkv, 3*HE, 0, B, T, H, E)
			r.heads(nm.k, la.qkv, 3*HE, HE, B, T, H, E)
			r.heads(nm.v, la.qkv, 3*HE, 2*HE, B, T, H, E)
		}
		q, k, ld := la.qkv, la.qkv[HE:], 3*HE
		if m.rot != nil {
			m.rot.forward(la.qkRot, 2*HE, la.qkv, 3*HE, B, T, H, E)
			m.rot.forward(la.qkRot[HE:], 2*HE, la.qkv[HE:], 3*HE, B, T, H, E)
			q, k, ld = la.qkRot, la.qkRot[HE:], 2*HE
			if r != nil {
				r.heads(nm.rotQ, la.qkRot, 2*HE, 0, B, T, H, E)
				r.heads(nm.rotK, la.qkRot, 2*HE, HE, B, T, H, E)
			}
		}

		// Blockwise where nothing asks for the pattern (FusedMinT).
		la.fused = w.canFuse(l) && (r == nil || !r.active(nm.scores) && !r.active(nm.pattern))
		if la.fused {
			w.attnFusedForward(l, la, q, k, ld)
		} else {
			if la.pattern == nil {
				la.pattern = make([]F, B*H*T*T) // a run that asks for the pattern at T ≥ FusedMinT
			}
			w.attnPattern(l, la, r, q, k, ld)
		}
		if r != nil {
			r.dense(nm.z, la.z, B, T, H, E)
		}

		// attn_out = z·W_O + b_O (W_O [H, E, D] is [HE, D]);
		// resid_mid = resid_pre + attn_out (in one pass without hooks)
		mid := w.resid[l+1]
		if c.HasMLP() {
			mid = la.residMid
		}
		if r == nil {
			matmulResidual(mid, x, la.attnOut, la.z, bp.WO, bp.BO, N, HE, D)
		} else {
			matmulForward(la.attnOut, la.z, bp.WO, bp.BO, N, HE, D)
			r.dense(nm.attnOut, la.attnOut, B, T, D)
			addInto(mid, x, la.attnOut)
		}
		if c.HasMLP() {
			if r != nil {
				r.dense(nm.residMid, mid, B, T, D)
			}
			h2 := w.norm(&la.ln2, mid, bp.Ln2W, bp.Ln2B, r, nm.ln2Scale, nm.ln2Norm)
			// pre = h2·W_in + b_in, post = act(pre): the bias is added in
			// the activation's pass, unless a hook must see pre first
			// (same bits either way).
			matmulForward(la.mlpPre, h2, bp.WIn, nil, N, D, M)
			bIn := bp.BIn
			if r != nil {
				addBias(la.mlpPre, bIn, N, M)
				r.dense(nm.mlpPre, la.mlpPre, B, T, M)
				bIn = nil
			}
			actForward(c.ActFn, la.mlpPost, la.mlpPre, bIn, N, M)
			if r != nil {
				r.dense(nm.mlpPost, la.mlpPost, B, T, M)
			}
			post := w.resid[l+1]
			if r == nil {
				matmulResidual(post, mid, la.mlpOut, la.mlpPost, bp.WOut, bp.BOut, N, M, D)
			} else {
				matmulForward(la.mlpOut, la.mlpPost, bp.WOut, bp.BOut, N, M, D)
				r.dense(nm.mlpOut, la.mlpOut, B, T, D)
				addInto(post, mid, la.mlpOut)
			}
		}
		if r != nil {
			r.dense(nm.residPost, w.resid[l+1], B, T, D)
		}
	}
	x := w.norm(&w.lnf, w.resid[c.NLayers], p.LnFW, p.LnFB, r, HookFinalScale, HookFinalNormalized)
	matmulForward(w.logits, x, p.WU, p.BU, N, D, V)
}

// hookNames are the TransformerLens hook names of one block, built once.
type hookNames struct {
	residPre, ln1Scale, ln1Norm, q, k, v, rotQ, rotK, scores, pattern, z, attnOut string
	residMid, ln2Scale, ln2Norm, mlpPre, mlpPost, mlpOut, residPost               string
}

// names[l] are block l's hook names (built for up to maxNamedLayers blocks;
// blockNames builds any block's).
var names = func() []hookNames {
	const maxNamedLayers = 64
	ns := make([]hookNames, maxNamedLayers)
	for l := range ns {
		ns[l] = makeHookNames(l)
	}
	return ns
}()

// makeHookNames builds block l's hook names: TransformerLens's.
func makeHookNames(l int) hookNames {
	b := fmt.Sprintf("blocks.%d.", l)
	return hookNames{
		residPre: b + "hook_resid_pre", ln1Scale: b + "ln1.hook_scale", ln1Norm: b + "ln1.hook_normalized",
		q: b + "attn.hook_q", k: b + "attn.hook_k", v: b + "attn.hook_v",
		rotQ: b + "attn.hook_rot_q", rotK: b + "attn.hook_rot_k",
		scores: b + "attn.hook_attn_scores", pattern: b + "attn.hook_pattern", z: b + "attn.hook_z",
		attnOut: b + "hook_attn_out", residMid: b + "hook_resid_mid",
		ln2Scale: b + "ln2.hook_scale", ln2Norm: b + "ln2.hook_normalized",
		mlpPre: b + "mlp.hook_pre", mlpPost: b + "mlp.hook_post", mlpOut: b + "hook_mlp_out",
		residPost: b + "hook_resid_post",
	}
}

// attnPattern is the pattern path of layer l's attention: the [B, H, T, T]
// pattern from the rule, then z = pattern·v.
func (w *Workspace[F]) attnPattern(l int, la *layerActs[F], r *run[F], q, k []F, ld int) {
	m, c, nm := w.m, w.m.Config, &names[l]
	B, T, H, E := w.B, w.T, c.NHeads, c.DHead
	HE := H * E
	// pattern[b, h] = attention(q[b, :, h], k[b, :, h])   [B, H, T, T]
	var scores []F
	if r != nil && r.active(nm.scores) {
		scores = make([]F, B*H*T*T)
	}
	for b := range B {
		for hd := range H {
			o := (b*H + hd) * T * T
			var s []F
			if scores != nil {
				s = scores[o : o+T*T]
			}
			m.attnForward(l, hd, la.pattern[o:o+T*T], s, q[b*T*ld+hd*E:], k[b*T*ld+hd*E:], ld, T, E)
		}
	}
	if r != nil {
		if scores != nil {
			r.dense(nm.scores, scores, B, H, T, T)
		}
		r.dense(nm.pattern, la.pattern, B, H, T, T)
	}

	// z[b, :, h] = pattern[b, h]·v[b, :, h]   [B, T, H, E]
	v := la.qkv[2*HE:]
	if w.heads16() {
		for b := range B {
			o := b * H * T * T
			gemm.MatMulHeads16(gemm.LowerA, H, T, f32(la.pattern[o:]), T*T, f32(v[b*T*3*HE:]), 3*HE, f32(la.z[b*T*HE:]), HE)
		}
		return
	}
	for b := range B {
		for hd := range H {
			o := (b*H + hd) * T * T
			gemm.MatMulTri(gemm.LowerA, false, false, T, E, T, la.pattern[o:], T, v[b*T*3*HE+hd*E:], 3*HE, la.z[b*T*HE+hd*E:], HE, false)
		}
	}
}
