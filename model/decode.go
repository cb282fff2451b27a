package model

import (
	"fmt"
	"math"
	"sort"

	"github.com/attnlab/attnlab/attention"
	"github.com/attnlab/attnlab/internal/gemm"
)

// PositionScheme says which rotary position a cached key and the current
// query get during incremental decoding.
type PositionScheme int

const (
	// CachePositions gives each token its slot in the cache (StreamingLLM,
	// Xiao et al. 2023 §3.2): after an eviction the kept keys are re-rotated
	// to their new slots, so positions never exceed the cache size.
	CachePositions PositionScheme = iota
	// TextPositions gives each token its position in the original text, so
	// relative distances are the true ones even after evictions.
	TextPositions
)

func (s PositionScheme) String() string {
	if s == TextPositions {
		return "text"
	}
	return "cache"
}

// Decoder runs a model one token at a time with a key/value cache of at most
// Cap slots, for streaming evaluation. The caller decides what to evict
// (Keep) before the cache is full. A Decoder is used by one goroutine at a
// time.
//
// Rotary positions: a key's position is the one the scheme assigns to its
// slot (StreamingLLM: its place in the cache, which changes as the cache
// rolls). Rather than re-rotating every cached key at every step, keys are
// cached rotated once, at their text position t, and the query is rotated
// instead: with R(p) the rotation to position p, R(a)ᵀR(b) = R(b−a), so
//
//	(R(qp) q)·(R(t + δ) k) = (R(qp − δ) q)·(R(t) k),  δ = slot position − t
//
// and δ is shared by every slot of a contiguous run of text (the window, the
// sinks), so a step rotates the query once per run, not every key.
//
// Shape legend: S cache slots, H heads, E d_head, D d_model, V vocab.
type Decoder[F Float] struct {
	m      *Transformer[F]
	Scheme PositionScheme
	Cap    int

	n    int                      // slots in use
	pos  []int                    // [S] text position of each slot
	keys [][]F                    // [L][S, H, E] keys, rotated to their text position
	vals [][]F                    // [L][S, H, E]
	rot  *rotary[F]               // the model's rotary tables, a copy grown on demand (nil without rotary)
	rows [][]attention.RowRule[F] // [L][H] each head's rule in its per-query form
	x, h []F                      // [D] residual stream and normalised input
	qkv  []F                      // [3HE]
	qrot []F                      // [E] one head's query, rotated
	qabs []F                      // [E] one head's query rotated to its own position (the learned sink's key has none)
	att  []F                      // [S] one head's attention row
	z    []F                      // [HE]
	tmp  []F                      // [D]
	mlp  []F                      // [M]
	mlp2 []F                      // [M]
	pack *QKVPack[F]              // packed W_Q|W_K|W_V of every layer
	st   []F                      // [1] LayerNorm mean scratch
	rs   []F                      // [1] LayerNorm rstd scratch
	// Logits holds the logits [V] of the last Step.
	Logits []F
}

// NewDecoder returns an empty decoder with room for capacity tokens. It
// supports the attention kinds whose rule has a per-query form
// (attention.RowRule): softmax, softmax1, learned-sink, sigmoid, and the
// sparse kinds (a cached key the pattern hides from the query, by their
// text positions, gets probability 0).
func (m *Transformer[F]) NewDecoder(capacity int, scheme PositionScheme) (*Decoder[F], error) {
	c := m.Config
	if capacity <= 0 {
		return nil, fmt.Errorf("model: decoder capacity must be positive, got %d", capacity)
	}
	D, H, E, M := c.DModel, c.NHeads, c.DHead, c.DMLP
	HE := H * E
	d := &Decoder[F]{m: m, Scheme: scheme, Cap: capacity, pos: make([]int, capacity),
		x: make([]F, D), h: make([]F, D), qkv: make([]F, 3*HE), qrot: make([]F, E), qabs: make([]F, E), att: make([]F, capacity),
		z: make([]F, HE), tmp: make([]F, D), mlp: make([]F, M), mlp2: make([]F, M), st: make([]F, 1), rs: make([]F, 1),
		Logits: make([]F, c.DVocab)}
	for l := range c.NLayers {
		var rs []attention.RowRule[F]
		for hd := range H {
			r, ok := m.rule(l, hd).(attention.RowRule[F])
			if !ok {
				return nil, fmt.Errorf("model: incremental decoding does not support attention kind %q (layer %d)", c.AttentionKind(l), l)
			}
			rs = append(rs, r)
		}
		d.rows = append(d.rows, rs)
	}
	if m.rot != nil {
		d.rot = m.rot.clone()
	}
	for range c.NLayers {
		d.keys = append(d.keys, make([]F, capacity*HE))
		d.vals = append(d.vals, make([]F, capacity*HE))
	}
	d.pack = m.NewQKVPack()
	return d, nil
}

// Len is the number of cached tokens.
func (d *Decoder[F]) Len() int { return d.n }

// Config is the decoded model's configuration.
func (d *Decoder[F]) Config() Config { return d.m.Config }

// Positions returns the text positions of the cached tokens, oldest first.
func (d *Decoder[F]) Positions() []int { return d.pos[:d.n:d.n] }

// Reset empties the cache.
func (d *Decoder[F]) Reset() { d.n = 0 }

// Keep evicts every cached token except the slots listed (ascending),
// which move to the front in order.
func (d *Decoder[F]) Keep(slots []int) {
	HE := d.m.Config.NHeads * d.m.Config.DHead
	for i, s := range slots {
		if s == i {
			continue
		}
		d.pos[i] = d.pos[s]
		for l := range d.keys {
			copy(d.keys[l][i*HE:(i+1)*HE], d.keys[l][s*HE:(s+1)*HE])
			copy(d.vals[l][i*HE:(i+1)*HE], d.vals[l][s*HE:(s+1)*HE])
		}
	}
	d.n = len(slots)
}

// Step appends token (at text position textPos) to the cache, runs the
// model for it and leaves its next-token logits in d.Logits. The cache must
// have a free slot.
func (d *Decoder[F]) Step(token int32, textPos int) error {
	c, p := d.m.Config, d.m.Params
	if d.n == d.Cap {
		return fmt.Errorf("model: decoder cache is full (%d slots); evict before stepping", d.Cap)
	}
	if token < 0 || int(token) >= c.DVocab {
		return fmt.Errorf("model: token %d is outside the vocabulary [0, %d)", token, c.DVocab)
	}
	D, H, E, M, V := c.DModel, c.NHeads, c.DHead, c.DMLP, c.DVocab
	HE := H * E
	slot := d.n
	d.pos[slot] = textPos
	d.n++
	qpos := d.position(slot)
	if c.LearnedPos() && qpos >= c.NCtx {
		return fmt.Errorf("model: position %d is beyond the learned positions (n_ctx %d)", qpos, c.NCtx)
	}
	encoderForward(d.x, []int32{token}, p.WE, nil, 1, 1, D)
	if c.LearnedPos() {
		for i := range d.x {
			d.x[i] += p.WPos[qpos*D+i]
		}
	}
	for l := range c.NLayers {
		bp := &p.Blocks[l]
		h := d.normRow(d.x, bp.Ln1W, bp.Ln1B)
		matmulForward(d.qkv, h, d.pack.W[l], d.pack.B[l], 1, D, 3*HE)
		for hd := range H {
			// Cache the key rotated to its text position (see Decoder).
			d.rotate(d.keys[l][slot*HE+hd*E:][:E], d.qkv[HE+hd*E:][:E], textPos)
		}
		copy(d.vals[l][slot*HE:(slot+1)*HE], d.qkv[2*HE:])
		var params []F // [H, P] the rule's per-head parameters (the learned sink's key)
		if n := len(bp.AttnP) / H; n > 0 {
			params = bp.AttnP
		}
		for hd := range H {
			q := d.qkv[hd*E : (hd+1)*E]
			// scores = (R(qpos − δ) q)·(R(t) k), one query rotation per run
			// of slots sharing δ, each run one product against the cached
			// keys [S, H, E].
			row := d.att[:d.n]
			for start := 0; start < d.n; {
				delta := d.position(start) - d.pos[start]
				end := start + 1
				for end < d.n && d.position(end)-d.pos[end] == delta {
					end++
				}
				d.rotate(d.qrot, q, qpos-delta)
				gemm.MatMul(false, true, 1, end-start, E, d.qrot, E, d.keys[l][start*HE+hd*E:], HE, row[start:], end-start, false)
				start = end
			}
			if sp := d.m.sparse(l, hd); sp != nil {
				d.maskRow(row, sp, textPos)
			}
			var hp []F
			if params != nil {
				// The learned key has no position: it meets the query rotated to qpos.
				n := len(params) / H
				hp = params[hd*n : (hd+1)*n]
				d.rotate(d.qabs, q, qpos)
				q = d.qabs
			}
			d.rows[l][hd].Row(row, q, hp, E)
			// z = pattern row · V, V [S, H, E]
			gemm.MatMul(false, false, 1, E, d.n, row, d.n, d.vals[l][hd*E:], HE, d.z[hd*E:], E, false)
		}
		matmulForward(d.tmp, d.z, bp.WO, bp.BO, 1, HE, D)
		for i := range d.x {
			d.x[i] += d.tmp[i]
		}
		if c.HasMLP() {
			h2 := d.normRow(d.x, bp.Ln2W, bp.Ln2B)
			matmulForward(d.mlp, h2, bp.WIn, nil, 1, D, M)
			actForward(c.ActFn, d.mlp2, d.mlp, bp.BIn, 1, M)
			matmulForward(d.tmp, d.mlp2, bp.WOut, bp.BOut, 1, M, D)
			for i := range d.x {
				d.x[i] += d.tmp[i]
			}
		}
	}
	matmulForward(d.Logits, d.normRow(d.x, p.LnFW, p.LnFB), p.WU, p.BU, 1, D, V)
	return nil
}

// maskRow sets the scores of the cached keys that pattern sp hides from a
// query at text position qp to −Inf (positions as in the full forward).
func (d *Decoder[F]) maskRow(row []F, sp *attention.Sparse, qp int) {
	var runs [][2]int
	sp.Rows(qp, func(lo, hi int) { runs = append(runs, [2]int{lo, hi}) })
	for s := range row {
		p := d.pos[s]
		r := sort.Search(len(runs), func(i int) bool { return runs[i][1] > p })
		if r == len(runs) || p < runs[r][0] {
			row[s] = F(math.Inf(-1))
		}
	}
}

// position is the rotary position of slot s under the scheme.
func (d *Decoder[F]) position(s int) int {
	if d.Scheme == TextPositions {
		return d.pos[s]
	}
	return s
}

func (d *Decoder[F]) normRow(x, w, b []F) []F {
	if !d.m.Config.HasNorm() {
		return x
	}
	layerNormForward(d.h, d.st, d.rs, x, w, b, 1, len(x))
	return d.h
}

// rotate writes x rotated to position p into out with the model's rotary
// tables (p < 0 rotates backwards); a copy without rotary.
func (d *Decoder[F]) rotate(out, x []F, p int) {
	if d.rot == nil {
		copy(out, x)
		return
	}
	d.rot.rotateTo(out, x, p)
}
