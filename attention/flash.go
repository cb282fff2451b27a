package attention

import (
	"context"
	"fmt"
	"math"
	"sort"

	"github.com/attnlab/attnlab/internal/gemm"
	"github.com/attnlab/attnlab/internal/vecmath"
)

// Blockwise softmax attention with online softmax (Milakov and Gimelshein
// 2018; Dao et al. 2022, FlashAttention; Dao 2023, FlashAttention-2), in
// float32 on the CPU. Queries go in tiles of flashBq rows, keys in tiles of
// flashBk; a query tile keeps its running maximum m, sum l and unnormalised
// output O while it sweeps the key tiles:
//
//	S = scale·Q·Kᵀ (one tile)        m' = max(m, rowmax S)
//	P = e^(S − m')                  l' = l·e^(m−m') + rowsum P
//	O' = O·e^(m−m') + P·V           and at the end  out = O/l, lse = m + log l
//
// so no Tq×Tk matrix exists: the scratch is one [flashBq, flashBk] tile per
// worker plus a transposed copy of K (and of V in the backward), O(T·E).
// Tiles whose keys are all visible skip the mask; tiles with no visible key
// are skipped; the others mask row by row. The tile products run on
// internal/gemm's micro-kernels, the row steps on internal/vecmath's.
//
// Parallelism and determinism: the units of work are whole query tiles
// (forward, dq) or whole key tiles (dk, dv), each computed by one goroutine
// in a fixed order, so the result has the same bits whatever GOMAXPROCS is
// and however the units are handed out.
const (
	flashBq = 64 // query rows per tile
	flashBk = 64 // keys per tile
)

// BlockForward computes one head's softmax attention of queries q [Tq, E] at absolute
// positions qpos [Tq] against keys/values k, v [Tk, E] at positions kpos [Tk], where key j is
// visible to query i iff kpos[j] <= qpos[i]; scores are scale·q·k. out [Tq, E] receives the
// normalised output and lse [Tq] the natural log-sum-exp of the visible scaled scores
// (−Inf and out = 0 for a query that sees no key). Blockwise with online softmax: tiles that
// stay in cache, no Tq×Tk matrix.
//
// Large blocks are split across GOMAXPROCS goroutines by query tile; the
// result does not depend on their number. Slices shorter than the shapes
// they are given are programming errors and panic.
func BlockForward(out, lse, q, k, v []float32, qpos, kpos []int, E int, scale float32) {
	p := newFlash(q, k, v, E, E, E, qpos, kpos, E, scale)
	p.checkOut("out", out, E, len(qpos))
	p.checkVec("lse", lse, len(qpos))
	_ = p.forward(context.Background(), out, E, lse, 1)
}

// MergeLSE merges a partial result (out2, lse2) over other keys into (out, lse) in place:
// lse = log(e^lse + e^lse2), out = out·e^(lse_old−lse) + out2·e^(lse2−lse). −Inf handled.
//
// out and out2 are [T, E] with T = len(lse); a row whose two log-sum-exps
// are both −Inf stays (0, −Inf). The weights are computed in float64.
func MergeLSE(out, lse, out2, lse2 []float32, E int) {
	T := len(lse)
	if len(lse2) != T || len(out) < T*E || len(out2) < T*E {
		panic(fmt.Sprintf("attention: MergeLSE with %d and %d rows, out %d and out2 %d for E=%d", T, len(lse2), len(out), len(out2), E))
	}
	for i := range T {
		a, b := float64(lse[i]), float64(lse2[i])
		if math.IsInf(b, -1) {
			continue
		}
		o, o2 := out[i*E:(i+1)*E], out2[i*E:(i+1)*E]
		if math.IsInf(a, -1) {
			copy(o, o2)
			lse[i] = lse2[i]
			continue
		}
		mx := max(a, b)
		l := mx + math.Log(math.Exp(a-mx)+math.Exp(b-mx))
		wa, wb := float32(math.Exp(a-l)), float32(math.Exp(b-l))
		for e := range o {
			o[e] = o[e]*wa + o2[e]*wb
		}
		lse[i] = float32(l)
	}
}

// BlockBackward adds this (query block, key block) pair's gradient contributions
// (FlashAttention-2 backward): with P = exp(scale·q·kᵀ − lse) on visible pairs,
// dv += Pᵀ·dout, dP = dout·vᵀ, dS = P ∘ (dP − delta), dq += scale·dS·k, dk += scale·dSᵀ·q,
// where lse is the FINAL log-sum-exp over all keys and delta[i] = Σ_e dout[i,e]·out[i,e].
//
// dq, dout are [Tq, E], dk, dv [Tk, E]; rows with lse = −Inf contribute
// nothing. The dk, dv sums run over query tiles in order and the dq sums
// over key tiles in order (two sweeps, one per side, so that each gradient
// row has one writer: bit-identical results for any GOMAXPROCS, for about
// 7/5 of a single sweep's products). Delta computes delta.
func BlockBackward(dq, dk, dv, dout, q, k, v, lse, delta []float32, qpos, kpos []int, E int, scale float32) {
	p := newFlash(q, k, v, E, E, E, qpos, kpos, E, scale)
	g := flashGrads{dq: dq, dk: dk, dv: dv, dout: dout, lse: lse, delta: delta, ldq: E, ldk: E, ldv: E, ldo: E}
	p.checkGrads(&g)
	_ = p.backward(context.Background(), &g, sweepBoth)
}

// Delta sets delta[i] = Σ_e dout[i,e]·out[i,e] (in float64) for the T =
// len(delta) rows of dout and out [T, E]: the row term of the softmax
// backward that BlockBackward takes.
func Delta(delta, dout, out []float32, E int) {
	for i := range delta {
		s := 0.0
		for e := range E {
			s += float64(dout[i*E+e]) * float64(out[i*E+e])
		}
		delta[i] = float32(s)
	}
}

// FlashForward is causal softmax attention of one head over a whole
// sequence of T tokens at positions 0…T−1 (BlockForward with qpos = kpos =
// 0…T−1): out [T, E], lse [T] from q, k, v [T, E], scores scale·q·k. It
// stops between query tiles when ctx is cancelled and returns ctx.Err().
func FlashForward(ctx context.Context, out, lse, q, k, v []float32, T, E int, scale float32) error {
	pos := positions(T)
	p := newFlash(q, k, v, E, E, E, pos, pos, E, scale)
	p.checkOut("out", out, E, T)
	p.checkVec("lse", lse, T)
	return p.forward(ctx, out, E, lse, 1)
}

// FlashBackward is FlashForward's backward: given out and lse from the
// forward and dout [T, E], it adds dq, dk, dv [T, E]
// (FlashAttention-2's backward, see BlockBackward).
func FlashBackward(ctx context.Context, dq, dk, dv, dout, q, k, v, out, lse []float32, T, E int, scale float32) error {
	pos := positions(T)
	p := newFlash(q, k, v, E, E, E, pos, pos, E, scale)
	p.checkOut("out", out, E, T)
	delta := make([]float32, T)
	Delta(delta, dout, out, E)
	g := flashGrads{dq: dq, dk: dk, dv: dv, dout: dout, lse: lse, delta: delta, ldq: E, ldk: E, ldv: E, ldo: E}
	p.checkGrads(&g)
	return p.backward(ctx, &g, sweepBoth)
}

func positions(n int) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	return p
}

// flash is one blockwise attention problem: q [Tq, E] (row stride lq), k
// and v [Tk, E] (strides lk, lv), positions, and the tile bounds.
type flash struct {
	q, k, v    []float32
	lq, lk, lv int
	qpos, kpos []int
	Tq, Tk, E  int
	scale      float32
	// win > 0 limits each query to the keys less than win positions back
	// (kpos[j] > qpos[i] − win): the sliding window.
	win int
	// serial keeps the sweeps on the calling goroutine (a caller that
	// already spreads many small problems over the cores).
	serial bool

	nqb, nkb   int
	qmin, qmax []int  // [nqb] position range of each query tile
	kmin, kmax []int  // [nkb] position range of each key tile
	kmono      []bool // [nkb] positions ascending inside the key tile: a row's visible keys are a prefix
	ksorted    bool   // kpos ascending overall: the key tiles a query tile needs are a contiguous run
}

func newFlash(q, k, v []float32, lq, lk, lv int, qpos, kpos []int, E int, scale float32) *flash {
	Tq, Tk := len(qpos), len(kpos)
	if E <= 0 {
		panic(fmt.Sprintf("attention: d_head %d must be positive", E))
	}
	p := &flash{q: q, k: k, v: v, lq: lq, lk: lk, lv: lv, qpos: qpos, kpos: kpos, Tq: Tq, Tk: Tk, E: E, scale: scale}
	p.checkOut("q", q, lq, Tq)
	p.checkOut("k", k, lk, Tk)
	p.checkOut("v", v, lv, Tk)
	p.nqb, p.nkb = (Tq+flashBq-1)/flashBq, (Tk+flashBk-1)/flashBk
	p.qmin, p.qmax = tileRange(qpos, flashBq)
	p.kmin, p.kmax = tileRange(kpos, flashBk)
	p.kmono = make([]bool, p.nkb)
	p.ksorted = true
	for j := 1; j < Tk; j++ {
		if kpos[j] < kpos[j-1] {
			p.ksorted = false
			break
		}
	}
	for b := range p.nkb {
		p.kmono[b] = true
		for j := b*flashBk + 1; j < min((b+1)*flashBk, Tk); j++ {
			if kpos[j] < kpos[j-1] {
				p.kmono[b] = false
				break
			}
		}
	}
	return p
}

// tileRange returns the smallest and largest position of each tile of size b.
func tileRange(pos []int, b int) (lo, hi []int) {
	n := (len(pos) + b - 1) / b
	lo, hi = make([]int, n), make([]int, n)
	for t := range n {
		s := pos[t*b : min((t+1)*b, len(pos))]
		lo[t], hi[t] = s[0], s[0]
		for _, x := range s {
			lo[t], hi[t] = min(lo[t], x), max(hi[t], x)
		}
	}
	return lo, hi
}

func (p *flash) checkOut(name string, s []float32, ld, rows int) {
	if ld < p.E || (rows > 0 && len(s) < (rows-1)*ld+p.E) {
		panic(fmt.Sprintf("attention: %s has %d elements (row stride %d), want %d rows of %d", name, len(s), ld, rows, p.E))
	}
}

func (p *flash) checkVec(name string, s []float32, n int) {
	if len(s) < n {
		panic(fmt.Sprintf("attention: %s has %d elements, want %d", name, len(s), n))
	}
}

// transposeTiles copies x [T, E] (stride ld) into key-tile-major transposed
// tiles: tile b is [E, w] (w its width) at b·flashBk·E, so that a score
// tile Q·Kᵀ is a plain product with K's tile read contiguously.
func transposeTiles(dst, x []float32, ld, T, E int) {
	for j0 := 0; j0 < T; j0 += flashBk {
		w := min(flashBk, T-j0)
		t := dst[j0*E : j0*E+w*E]
		for j := range w {
			row := x[(j0+j)*ld : (j0+j)*ld+E]
			for e, val := range row {
				t[e*w+j] = val
			}
		}
	}
}

// visible returns the keys of key tile kb (w wide) that query position qp
// sees as a range [a, n) of the tile, and whether they are exactly that
// range (false: some keys inside it are hidden, positions not ascending).
func (p *flash) visible(kb, w, qp int) (a, n int, contiguous bool) {
	kp := p.kpos[kb*flashBk : kb*flashBk+w]
	if p.kmono[kb] {
		if p.win > 0 {
			for a < w && kp[a] <= qp-p.win {
				a++
			}
		}
		n = a
		for n < w && kp[n] <= qp {
			n++
		}
		return a, n, true
	}
	a, n = w, 0
	cnt := 0
	for j := range kp {
		if p.sees(qp, kp[j]) {
			a, n = min(a, j), j+1
			cnt++
		}
	}
	if cnt == 0 {
		return 0, 0, true
	}
	return a, n, cnt == n-a
}

// sees is the visibility rule: key position kp is visible from query
// position qp.
func (p *flash) sees(qp, kp int) bool {
	return kp <= qp && (p.win == 0 || kp > qp-p.win)
}

// skip and full classify tile (qb, kb): no pair visible, every pair visible.
func (p *flash) skip(qb, kb int) bool {
	return p.kmin[kb] > p.qmax[qb] || p.win > 0 && p.kmax[kb] <= p.qmin[qb]-p.win
}

func (p *flash) full(qb, kb int) bool {
	return p.kmax[kb] <= p.qmin[qb] && (p.win == 0 || p.kmin[kb] > p.qmax[qb]-p.win)
}

// keyTiles returns the run [lo, hi) of key tiles query tile qb may see:
// all of them unless the key positions ascend, when the run is found by
// binary search (so a window costs O(window), not O(Tk), per query tile).
func (p *flash) keyTiles(qb int) (lo, hi int) {
	if !p.ksorted {
		return 0, p.nkb
	}
	hi = sort.Search(p.nkb, func(b int) bool { return p.kmin[b] > p.qmax[qb] })
	if p.win > 0 {
		lo = sort.Search(hi, func(b int) bool { return p.kmax[b] > p.qmin[qb]-p.win })
	}
	return lo, hi
}

// scores computes the raw score tile S = Q[qb]·K[kb]ᵀ [r, w] into s.
func (p *flash) scores(s, kT []float32, qb, kb, r, w int) {
	i0, j0 := qb*flashBq, kb*flashBk
	gemm.MatMul(false, false, r, w, p.E, p.q[i0*p.lq:], p.lq, kT[j0*p.E:], w, s, w, false)
}

// forward runs the forward over every query tile; out has row stride lo
// and lse stride ll.
func (p *flash) forward(ctx context.Context, out []float32, lo int, lse []float32, ll int) error {
	kT := getBuf(p.Tk * p.E)
	defer putBuf(kT)
	transposeTiles(*kT, p.k, p.lk, p.Tk, p.E)
	return parallel(ctx, p.nqb, p.work(), func(u int, sc *scratch) {
		p.forwardTile(sc, *kT, p.nqb-1-u, out, lo, lse, ll) // the costliest (latest) tiles first
	})
}

// forwardTile is the online softmax of query tile qb over every key tile.
func (p *flash) forwardTile(sc *scratch, kT []float32, qb int, out []float32, lo int, lse []float32, ll int) {
	E := p.E
	i0 := qb * flashBq
	r := min(flashBq, p.Tq-i0)
	m, l := sc.m[:r], sc.l[:r]
	for i := range r {
		m[i], l[i] = float32(math.Inf(-1)), 0
		clear(out[(i0+i)*lo : (i0+i)*lo+E])
	}
	klo, khi := p.keyTiles(qb)
	for kb := klo; kb < khi; kb++ {
		if p.skip(qb, kb) {
			continue
		}
		full := p.full(qb, kb)
		j0 := kb * flashBk
		w := min(flashBk, p.Tk-j0)
		s := sc.s[:r*w]
		p.scores(s, kT, qb, kb, r, w)
		hit := full
		if full {
			// Every row sees the whole tile: one call for the tile.
			mold, sum := sc.mold[:r], sc.sum[:r]
			copy(mold, m)
			vecmath.OnlineTile(s, r, w, p.scale, m, sum)
			for i := range r {
				p.rescale(out[(i0+i)*lo:(i0+i)*lo+E], &l[i], mold[i], m[i])
				l[i] += float64(sum[i])
			}
		} else {
			for i := range r {
				row := s[i*w : (i+1)*w]
				a, n, contiguous := p.visible(kb, w, p.qpos[i0+i])
				if n == a {
					clear(row)
					continue
				}
				hit = true
				var mNew, sum float32
				if contiguous {
					mNew, sum = vecmath.OnlineRow(row[a:n], p.scale, m[i])
					clear(row[:a])
					clear(row[n:])
				} else {
					mNew, sum = p.onlineMasked(sc, row, kb, p.qpos[i0+i], m[i])
				}
				p.rescale(out[(i0+i)*lo:(i0+i)*lo+E], &l[i], m[i], mNew)
				l[i] += float64(sum)
				m[i] = mNew
			}
		}
		if hit {
			gemm.MatMul(false, false, r, E, w, s, w, p.v[j0*p.lv:], p.lv, out[i0*lo:], lo, true)
		}
	}
	for i := range r {
		o := out[(i0+i)*lo : (i0+i)*lo+E]
		if l[i] == 0 {
			clear(o)
			lse[(i0+i)*ll] = float32(math.Inf(-1))
			continue
		}
		inv := float32(1 / l[i])
		for e := range o {
			o[e] *= inv
		}
		lse[(i0+i)*ll] = float32(float64(m[i]) + math.Log(l[i]))
	}
}

// rescale multiplies a query's running output o and sum l by e^(mOld −
// mNew) when its running maximum grew (FlashAttention's correction).
func (p *flash) rescale(o []float32, l *float64, mOld, mNew float32) {
	if mNew == mOld || math.IsInf(float64(mOld), -1) {
		return
	}
	alpha := math.Exp(float64(mOld) - float64(mNew))
	*l *= alpha
	a := float32(alpha)
	for e := range o {
		o[e] *= a
	}
}

// onlineMasked is OnlineRow over the visible entries of a row whose visible
// keys are not a prefix: they are packed to the front, stepped, and put
// back, the rest zeroed.
func (p *flash) onlineMasked(sc *scratch, row []float32, kb, qp int, m float32) (mNew, sum float32) {
	kp := p.kpos[kb*flashBk:]
	t := sc.tmp[:0]
	for j, x := range row {
		if p.sees(qp, kp[j]) {
			t = append(t, x)
		}
	}
	mNew, sum = vecmath.OnlineRow(t, p.scale, m)
	n := 0
	for j := range row {
		if p.sees(qp, kp[j]) {
			row[j] = t[n]
			n++
		} else {
			row[j] = 0
		}
	}
	return mNew, sum
}

// work is the number of multiply-adds of a dense sweep (of the window's
// band when there is one), to decide whether spreading the units over
// goroutines pays; 0 when the problem is serial.
func (p *flash) work() int {
	if p.serial {
		return 0
	}
	if p.win > 0 {
		return p.Tq * min(p.Tk, p.win+flashBk) * p.E
	}
	return p.Tq * p.Tk * p.E
}
