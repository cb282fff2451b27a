package attention

import (
	"context"
	"math"
)

// QKV is one head's queries, keys and values over a sequence of T tokens
// at positions 0…T−1: [T, E] views with row strides (the model keeps every
// head in one buffer), and the score scale (1/√E in a transformer).
type QKV struct {
	Q, K, V    []float32
	LQ, LK, LV int
	T, E       int
	Scale      float32
}

// Grads are the gradient views of a QKV: dq, dk, dv [T, E] with row
// strides. The backward passes add to them.
type Grads struct {
	DQ, DK, DV    []float32
	LDQ, LDK, LDV int
}

// Forward computes the head's sparse attention: out [T, E] (row stride lo)
// and the log-sum-exp of each query's visible scaled scores, lse [T]. It
// never forms a T×T matrix: time O(T·w·E) for w visible keys per query,
// memory O(T·E) of scratch. It returns ctx.Err() if cancelled.
func (s Sparse) Forward(ctx context.Context, x QKV, out []float32, lo int, lse []float32) error {
	if err := s.Validate(); err != nil {
		return err
	}
	if x.T == 0 {
		return nil
	}
	switch {
	case s.Block > 0:
		return s.blockForward(ctx, x, out, lo, lse)
	case s.dil() > 1:
		return s.dilatedPass(ctx, x, func(p *flash, r, D int) error {
			return p.forward(ctx, out[r*lo:], D*lo, lse[r:], D)
		})
	}
	pos := positions(x.T)
	p := newFlash(x.Q, x.K, x.V, x.LQ, x.LK, x.LV, pos, pos, x.E, x.Scale)
	p.win = s.Window
	if err := p.forward(ctx, out, lo, lse, 1); err != nil || len(s.Globals) == 0 {
		return err
	}
	return s.globalForward(ctx, x, out, lo, lse)
}

// Backward adds the gradients of Forward's output to g, given out and lse
// from Forward and dout [T, E] (row stride ldo) (FlashAttention-2's
// backward on the visible tiles; see BlockBackward).
func (s Sparse) Backward(ctx context.Context, x QKV, out []float32, lo int, lse, dout []float32, ldo int, g Grads) error {
	if err := s.Validate(); err != nil {
		return err
	}
	if x.T == 0 {
		return nil
	}
	delta := deltaRows(dout, ldo, out, lo, x.T, x.E)
	fg := flashGrads{dq: g.DQ, dk: g.DK, dv: g.DV, dout: dout, ldq: g.LDQ, ldk: g.LDK, ldv: g.LDV, ldo: ldo, lse: lse, delta: delta, ll: 1}
	switch {
	case s.Block > 0:
		return s.blockBackward(ctx, x, &fg)
	case s.dil() > 1:
		return s.dilatedPass(ctx, x, func(p *flash, r, D int) error {
			gr := flashGrads{dq: g.DQ[r*g.LDQ:], dk: g.DK[r*g.LDK:], dv: g.DV[r*g.LDV:], dout: dout[r*ldo:],
				ldq: D * g.LDQ, ldk: D * g.LDK, ldv: D * g.LDV, ldo: D * ldo, lse: lse[r:], delta: delta[r:], ll: D}
			p.checkGrads(&gr)
			return p.backward(ctx, &gr, sweepBoth)
		})
	}
	pos := positions(x.T)
	p := newFlash(x.Q, x.K, x.V, x.LQ, x.LK, x.LV, pos, pos, x.E, x.Scale)
	p.win = s.Window
	if len(s.Globals) == 0 {
		p.checkGrads(&fg)
		return p.backward(ctx, &fg, sweepBoth)
	}
	return s.globalBackward(ctx, x, p, &fg)
}

// dilatedPass runs fn on each residue class r = 0…D−1: positions r, r+D,
// r+2D, … form a sequence in which the dilated window is a plain window of
// W (Longformer's dilation), read in place with D times the row strides.
func (s Sparse) dilatedPass(ctx context.Context, x QKV, fn func(p *flash, r, D int) error) error {
	D := s.dil()
	for r := range min(D, x.T) {
		n := (x.T - r + D - 1) / D
		pos := positions(n)
		p := newFlash(x.Q[r*x.LQ:], x.K[r*x.LK:], x.V[r*x.LV:], D*x.LQ, D*x.LK, D*x.LV, pos, pos, x.E, x.Scale)
		p.win = s.Window
		if err := fn(p, r, D); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// gatherRows copies rows idx of x [·, E] (stride ld) into a new [len(idx), E].
func gatherRows(x []float32, ld, E int, idx []int) []float32 {
	return gatherInto(make([]float32, len(idx)*E), x, ld, E, idx)
}

// gatherInto is gatherRows into out [len(idx), E].
func gatherInto(out, x []float32, ld, E int, idx []int) []float32 {
	for r, i := range idx {
		copy(out[r*E:(r+1)*E], x[i*ld:i*ld+E])
	}
	return out
}

// scatterAdd adds the rows of src [len(idx), E] to rows idx of dst (stride ld).
func scatterAdd(dst []float32, ld, E int, idx []int, src []float32) {
	for r, i := range idx {
		d := dst[i*ld : i*ld+E]
		for e, v := range src[r*E : (r+1)*E] {
			d[e] += v
		}
	}
}

// globals returns the global positions below T.
func (s Sparse) globalsBelow(T int) []int {
	n := 0
	for n < len(s.Globals) && s.Globals[n] < T {
		n++
	}
	return s.Globals[:n]
}

// globalKeyPositions returns each query's shifted position for the global
// keys outside its window: key g is visible iff g ≤ i − W (the window
// already holds the later ones); global queries see none here (−1).
func (s Sparse) globalKeyPositions(T int, gs []int) []int {
	qp := make([]int, T)
	for i := range qp {
		qp[i] = i - s.Window
	}
	for _, g := range gs {
		qp[g] = -1
	}
	return qp
}

// globalForward adds the global tokens to a window result: the global keys
// outside each query's window, merged by log-sum-exp (MergeLSE), then the
// global queries' rows replaced by full causal attention. O(T·G).
func (s Sparse) globalForward(ctx context.Context, x QKV, out []float32, lo int, lse []float32) error {
	gs := s.globalsBelow(x.T)
	if len(gs) == 0 {
		return nil
	}
	G, E := len(gs), x.E
	kg, vg := gatherRows(x.K, x.LK, E, gs), gatherRows(x.V, x.LV, E, gs)
	p := newFlash(x.Q, kg, vg, x.LQ, E, E, s.globalKeyPositions(x.T, gs), gs, E, x.Scale)
	o2, l2 := make([]float32, x.T*E), make([]float32, x.T)
	if err := p.forward(ctx, o2, E, l2, 1); err != nil {
		return err
	}
	for i := range x.T {
		MergeLSE(out[i*lo:i*lo+E], lse[i:i+1], o2[i*E:(i+1)*E], l2[i:i+1], E)
	}
	qg := gatherRows(x.Q, x.LQ, E, gs)
	p = newFlash(qg, x.K, x.V, E, x.LK, x.LV, gs, positions(x.T), E, x.Scale)
	og, lg := make([]float32, G*E), make([]float32, G)
	if err := p.forward(ctx, og, E, lg, 1); err != nil {
		return err
	}
	for r, i := range gs {
		copy(out[i*lo:i*lo+E], og[r*E:(r+1)*E])
		lse[i] = lg[r]
	}
	return nil
}

// globalBackward is globalForward's backward: the window part and the
// global-key part with the global queries' lse at −Inf (they contribute
// through the third part only), then the global queries over every key.
func (s Sparse) globalBackward(ctx context.Context, x QKV, win *flash, g *flashGrads) error {
	gs := s.globalsBelow(x.T)
	E := x.E
	lseW := append([]float32(nil), g.lse[:x.T]...)
	for _, i := range gs {
		lseW[i] = float32(math.Inf(-1))
	}
	gw := *g
	gw.lse = lseW
	win.checkGrads(&gw)
	if err := win.backward(ctx, &gw, sweepBoth); err != nil || len(gs) == 0 {
		return err
	}
	G := len(gs)
	kg, vg := gatherRows(x.K, x.LK, E, gs), gatherRows(x.V, x.LV, E, gs)
	dkg, dvg := make([]float32, G*E), make([]float32, G*E)
	p := newFlash(x.Q, kg, vg, x.LQ, E, E, s.globalKeyPositions(x.T, gs), gs, E, x.Scale)
	gk := gw
	gk.dk, gk.dv, gk.ldk, gk.ldv = dkg, dvg, E, E
	p.checkGrads(&gk)
	if err := p.backward(ctx, &gk, sweepBoth); err != nil {
		return err
	}
	scatterAdd(g.dk, g.ldk, E, gs, dkg)
	scatterAdd(g.dv, g.ldv, E, gs, dvg)

	qg, dog := gatherRows(x.Q, x.LQ, E, gs), gatherRows(g.dout, g.ldo, E, gs)
	lg, deltag := make([]float32, G), make([]float32, G)
	for r, i := range gs {
		lg[r], deltag[r] = g.lse[i], g.delta[i]
	}
	dqg := make([]float32, G*E)
	p = newFlash(qg, x.K, x.V, E, x.LK, x.LV, gs, positions(x.T), E, x.Scale)
	gq := flashGrads{dq: dqg, dk: g.dk, dv: g.dv, dout: dog, ldq: E, ldk: g.ldk, ldv: g.ldv, ldo: E, lse: lg, delta: deltag, ll: 1}
	p.checkGrads(&gq)
	if err := p.backward(ctx, &gq, sweepBoth); err != nil {
		return err
	}
	scatterAdd(g.dq, g.ldq, E, gs, dqg)
	return nil
}

// blockRows returns the positions of the key blocks ks (block size b, T tokens).
func blockRows(ks []int, b, T int) []int {
	var rows []int
	for _, J := range ks {
		for j := J * b; j < min((J+1)*b, T); j++ {
			rows = append(rows, j)
		}
	}
	return rows
}

// blockForward runs BigBird's block-sparse attention: per query block (in
// parallel), its key blocks gathered into one [n·b, E] key and value
// buffer and attended to with the causal rule.
func (s Sparse) blockForward(ctx context.Context, x QKV, out []float32, lo int, lse []float32) error {
	b, E := s.Block, x.E
	nb := (x.T + b - 1) / b
	return parallel(ctx, nb, x.T*E*b*(s.Local+s.GlobalBlocks+s.Random+1), func(I int, _ *scratch) {
		rows := blockRows(s.keyBlocks(I), b, x.T)
		kb, vb := getBuf(len(rows)*E), getBuf(len(rows)*E)
		defer putBuf(kb)
		defer putBuf(vb)
		kg, vg := gatherInto(*kb, x.K, x.LK, E, rows), gatherInto(*vb, x.V, x.LV, E, rows)
		i0, i1 := I*b, min((I+1)*b, x.T)
		p := newFlash(x.Q[i0*x.LQ:], kg, vg, x.LQ, E, E, positionsFrom(i0, i1), rows, E, x.Scale)
		p.serial = true
		_ = p.forward(ctx, out[i0*lo:], lo, lse[i0:], 1)
	})
}

func positionsFrom(lo, hi int) []int {
	p := make([]int, hi-lo)
	for i := range p {
		p[i] = lo + i
	}
	return p
}

// blockBackward is blockForward's backward in two sweeps: per query block,
// dq over its gathered key blocks; per key block, dk and dv over the query
// blocks that see it, gathered (so every gradient row has one writer).
func (s Sparse) blockBackward(ctx context.Context, x QKV, g *flashGrads) error {
	b, E := s.Block, x.E
	nb := (x.T + b - 1) / b
	seenBy := make([][]int, nb) // key block → the query blocks that see it
	keys := make([][]int, nb)
	for I := range nb {
		keys[I] = s.keyBlocks(I)
		for _, J := range keys[I] {
			seenBy[J] = append(seenBy[J], I)
		}
	}
	work := x.T * E * b * (s.Local + s.GlobalBlocks + s.Random + 1)
	err := parallel(ctx, nb, work, func(I int, _ *scratch) {
		rows := blockRows(keys[I], b, x.T)
		kg, vg := gatherRows(x.K, x.LK, E, rows), gatherRows(x.V, x.LV, E, rows)
		i0, i1 := I*b, min((I+1)*b, x.T)
		p := newFlash(x.Q[i0*x.LQ:], kg, vg, x.LQ, E, E, positionsFrom(i0, i1), rows, E, x.Scale)
		p.serial = true
		gi := flashGrads{dq: g.dq[i0*g.ldq:], ldq: g.ldq, dout: g.dout[i0*g.ldo:], ldo: g.ldo,
			lse: g.lse[i0:], delta: g.delta[i0:], ll: 1}
		_ = p.backward(ctx, &gi, sweepQueries)
	})
	if err != nil {
		return err
	}
	return parallel(ctx, nb, work, func(J int, _ *scratch) {
		rows := blockRows(seenBy[J], b, x.T)
		qg, dog := gatherRows(x.Q, x.LQ, E, rows), gatherRows(g.dout, g.ldo, E, rows)
		lg, dg := make([]float32, len(rows)), make([]float32, len(rows))
		for r, i := range rows {
			lg[r], dg[r] = g.lse[i], g.delta[i]
		}
		j0, j1 := J*b, min((J+1)*b, x.T)
		p := newFlash(qg, x.K[j0*x.LK:], x.V[j0*x.LV:], E, x.LK, x.LV, rows, positionsFrom(j0, j1), E, x.Scale)
		p.serial = true
		gj := flashGrads{dk: g.dk[j0*g.ldk:], ldk: g.ldk, dv: g.dv[j0*g.ldv:], ldv: g.ldv, dout: dog, ldo: E,
			lse: lg, delta: dg, ll: 1}
		_ = p.backward(ctx, &gj, sweepKeys)
	})
}
