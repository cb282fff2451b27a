package attention

import (
	"context"
	"math"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/attnlab/attnlab/internal/gemm"
	"github.com/attnlab/attnlab/internal/vecmath"
)

// flashGrads are the backward's inputs and outputs: dq, dout [Tq, E], dk,
// dv [Tk, E] with their row strides, lse and delta [Tq].
type flashGrads struct {
	dq, dk, dv, dout   []float32
	ldq, ldk, ldv, ldo int
	lse, delta         []float32
	ll                 int // stride of lse and delta (0 means 1)
}

// Which sweeps of the backward to run.
const (
	sweepKeys    = 1 << iota // dk, dv
	sweepQueries             // dq
	sweepBoth    = sweepKeys | sweepQueries
)

func (p *flash) checkGrads(g *flashGrads) {
	p.checkOut("dq", g.dq, g.ldq, p.Tq)
	p.checkOut("dout", g.dout, g.ldo, p.Tq)
	p.checkOut("dk", g.dk, g.ldk, p.Tk)
	p.checkOut("dv", g.dv, g.ldv, p.Tk)
	if g.ll == 0 {
		g.ll = 1
	}
	p.checkVec("lse", g.lse, (p.Tq-1)*g.ll+1)
	p.checkVec("delta", g.delta, (p.Tq-1)*g.ll+1)
}

// backward runs FlashAttention-2's backward in two sweeps: key tiles (dk,
// dv: each key tile sums over the query tiles in order) and query tiles
// (dq: each sums over the key tiles in order). Both recompute the score
// tile S and the probabilities P = e^(scale·S − lse):
//
//	dv += Pᵀ·dout                     (forward: out = P·v)
//	dS  = scale·P ∘ (dout·vᵀ − delta)  (forward: P = softmax(scale·S))
//	dk += dSᵀ·q,  dq += dS·k           (forward: S = q·kᵀ)
func (p *flash) backward(ctx context.Context, g *flashGrads, sweeps int) error {
	kT, vT := getBuf(p.Tk*p.E), getBuf(p.Tk*p.E)
	defer putBuf(kT)
	defer putBuf(vT)
	transposeTiles(*kT, p.k, p.lk, p.Tk, p.E)
	transposeTiles(*vT, p.v, p.lv, p.Tk, p.E)
	if sweeps&sweepKeys != 0 {
		err := parallel(ctx, p.nkb, p.work(), func(kb int, sc *scratch) {
			for qb := range p.nqb {
				if !p.skip(qb, kb) {
					p.backwardTile(sc, *kT, *vT, g, qb, kb, false)
				}
			}
		})
		if err != nil {
			return err
		}
	}
	if sweeps&sweepQueries == 0 {
		return nil
	}
	return parallel(ctx, p.nqb, p.work(), func(u int, sc *scratch) {
		qb := p.nqb - 1 - u
		klo, khi := p.keyTiles(qb)
		for kb := klo; kb < khi; kb++ {
			if !p.skip(qb, kb) {
				p.backwardTile(sc, *kT, *vT, g, qb, kb, true)
			}
		}
	})
}

// backwardTile adds tile (qb, kb)'s contribution to dk and dv (dqSide
// false) or to dq (dqSide true).
func (p *flash) backwardTile(sc *scratch, kT, vT []float32, g *flashGrads, qb, kb int, dqSide bool) {
	E := p.E
	full := p.full(qb, kb)
	i0, j0 := qb*flashBq, kb*flashBk
	r, w := min(flashBq, p.Tq-i0), min(flashBk, p.Tk-j0)
	s, dp := sc.s[:r*w], sc.dp[:r*w]
	p.scores(s, kT, qb, kb, r, w)
	hit := false
	for i := range r {
		row := s[i*w : (i+1)*w]
		ls := g.lse[(i0+i)*g.ll]
		if math.IsInf(float64(ls), -1) {
			clear(row)
			continue
		}
		a, n, contiguous := 0, w, true
		if !full {
			a, n, contiguous = p.visible(kb, w, p.qpos[i0+i])
		}
		if n == a {
			clear(row)
			continue
		}
		vecmath.ExpAffine(row[a:n], p.scale, ls)
		clear(row[:a])
		clear(row[n:])
		if !contiguous {
			for j, x := range p.kpos[j0+a : j0+n] {
				if !p.sees(p.qpos[i0+i], x) {
					row[a+j] = 0
				}
			}
		}
		hit = true
	}
	if !hit {
		return
	}
	if !dqSide {
		// dv += Pᵀ·dout
		gemm.MatMul(true, false, w, E, r, s, w, g.dout[i0*g.ldo:], g.ldo, g.dv[j0*g.ldv:], g.ldv, true)
	}
	// dP = dout·vᵀ; dS = scale·P∘(dP − delta)
	gemm.MatMul(false, false, r, w, E, g.dout[i0*g.ldo:], g.ldo, vT[j0*E:], w, dp, w, false)
	for i := range r {
		vecmath.MulSub(dp[i*w:(i+1)*w], s[i*w:], g.delta[(i0+i)*g.ll], p.scale)
	}
	if dqSide {
		// dq += dS·k
		gemm.MatMul(false, false, r, E, w, dp, w, p.k[j0*p.lk:], p.lk, g.dq[i0*g.ldq:], g.ldq, true)
		return
	}
	// dk += dSᵀ·q
	gemm.MatMul(true, false, w, E, r, dp, w, p.q[i0*p.lq:], p.lq, g.dk[j0*g.ldk:], g.ldk, true)
}

// scratch is one worker's tiles.
type scratch struct {
	s, dp []float32 // [flashBq, flashBk] score / probability and dP / dS tiles
	tmp   []float32 // [flashBk]
	m     []float32 // [flashBq] running max
	l     []float64 // [flashBq] running sum
	mold  []float32 // [flashBq] the max before a tile
	sum   []float32 // [flashBq] a tile's row sums
}

var scratchPool = sync.Pool{New: func() any {
	return &scratch{s: make([]float32, flashBq*flashBk), dp: make([]float32, flashBq*flashBk),
		tmp: make([]float32, 0, flashBk), m: make([]float32, flashBq), l: make([]float64, flashBq),
		mold: make([]float32, flashBq), sum: make([]float32, flashBq)}
}}

// bufPool holds the transposed K and V copies (*[]float32, grown on demand).
var bufPool = sync.Pool{New: func() any { return new([]float32) }}

func getBuf(n int) *[]float32 {
	b := bufPool.Get().(*[]float32)
	if cap(*b) < n {
		*b = make([]float32, n)
	}
	*b = (*b)[:n]
	return b
}

func putBuf(b *[]float32) { bufPool.Put(b) }

// parallelWork is the number of multiply-adds below which a sweep runs on
// the calling goroutine (a hand-off costs more than it saves).
const parallelWork = 1 << 22

// parallel runs fn(u) for u = 0…n−1, each unit on one goroutine with its own
// scratch: on the caller alone when work is small, else on up to GOMAXPROCS
// goroutines taking units in order. It checks ctx before each unit and
// returns ctx.Err() when cancelled (units already started finish).
func parallel(ctx context.Context, n, work int, fn func(u int, sc *scratch)) error {
	workers := min(n, runtime.GOMAXPROCS(0))
	if work < parallelWork {
		workers = 1
	}
	var next atomic.Int64
	run := func() {
		sc := scratchPool.Get().(*scratch)
		defer scratchPool.Put(sc)
		for {
			u := int(next.Add(1) - 1)
			if u >= n || ctx.Err() != nil {
				return
			}
			fn(u, sc)
		}
	}
	if workers <= 1 {
		run()
		return ctx.Err()
	}
	var wg sync.WaitGroup
	for range workers {
		wg.Go(run)
	}
	wg.Wait()
	return ctx.Err()
}
