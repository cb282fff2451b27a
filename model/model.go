package model

import (
	"fmt"
	"math/rand/v2"
	"unsafe"

	"github.com/attnlab/attnlab/internal/membudget"
)

// Transformer is the model: a config, its parameters and each layer's
// attention rule. The numeric core is generic; Model (float32) is the engine
// everything else uses.
type Transformer[F Float] struct {
	Config Config
	Params *Params[F]
	// Meta carries attnlab's own metadata (task, tokenizer, training
	// provenance) to and from the weights file.
	Meta map[string]string

	attn  []Attention[F]   // [NLayers]
	heads [][]Attention[F] // [NLayers][NHeads] for rules that differ per head (attention.PerHead), else nil
	rot   *rotary[F]       // rotary only
}

// Model is the float32 engine.
type Model = Transformer[float32]

// New returns a model with zeroed parameters; call Init or load weights.
func New[F Float](cfg Config) (*Transformer[F], error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if n := cfg.NumParams(); membudget.Bytes(int(unsafe.Sizeof(F(0))), n) > 64<<20 { // small models skip formatting the message
		if err := membudget.Check(fmt.Sprintf("a model of %d parameters (%s)", n, cfg.Summary()), membudget.Bytes(int(unsafe.Sizeof(F(0))), n)); err != nil {
			return nil, fmt.Errorf("model: %w", err)
		}
	}
	m := &Transformer[F]{Config: cfg, Params: NewParams[F](cfg), Meta: map[string]string{}}
	for l := range cfg.NLayers {
		a, err := newAttention[F](cfg.AttentionKind(l))
		if err != nil {
			return nil, fmt.Errorf("model: layer %d: %w", l, err)
		}
		m.attn = append(m.attn, a)
		hs, err := headRules(a, cfg.NHeads)
		if err != nil {
			return nil, fmt.Errorf("model: layer %d: %w", l, err)
		}
		m.heads = append(m.heads, hs)
	}
	if cfg.Rotary() {
		m.rot = newRotary[F](cfg.RotaryDim, cfg.NCtx, cfg.RotaryBase)
	}
	return m, nil
}

// NewInit returns a model initialised as TransformerLens does, from cfg.Seed.
func NewInit[F Float](cfg Config) (*Transformer[F], error) {
	m, err := New[F](cfg)
	if err != nil {
		return nil, err
	}
	m.Params.Init(m.Config, rand.New(rand.NewPCG(m.Config.Seed, 0x5eed)))
	return m, nil
}

// NumParams is the number of scalar parameters.
func (m *Transformer[F]) NumParams() int { return len(m.Params.Data) }

// Workspace holds the activations and gradients of one forward/backward on
// a [B, T] batch. It is allocated once and reused: Forward and Backward
// allocate nothing. A workspace is used by one goroutine at a time; several
// workspaces may share one model.
type Workspace[F Float] struct {
	m     *Transformer[F]
	B, T  int
	Grads *Params[F] // gradients, same layout as the model's parameters; allocated by the first ZeroGrad or Backward

	tokens  []int32   // [B, T]
	targets []int32   // [B, T]
	mask    []float32 // [B, T] or nil
	count   float64   // Σ mask of the last ForwardLoss

	pack   *QKVPack[F] // the workspace's own packed W_Q|W_K|W_V, packed at each forward pass
	shared *QKVPack[F] // packed weights shared with other workspaces (ShareQKV), or nil
	dwqkv  []F         // [D, 3HE]
	dbqkv  []F         // [3HE]

	cleared []int // the gradients BackwardSet clears (accumulated, not set), by index in Tensors

	resid  [][]F // [L+1][B, T, D]: resid[l] is blocks.l.hook_resid_pre, resid[L] the final stream
	layers []layerActs[F]
	lnf    normActs[F]
	logits []F       // [B, T, V]; probs then dlogits after ForwardLoss
	Losses []float32 // [B, T] per-token cross-entropy of the last ForwardLoss

	// backward scratch
	dresid, dln, dattn []F // [B, T, D]
	dqkv               []F // [B, T, 3HE]
	dz                 []F // [B, T, HE]
	dpattern           []F // [dpatternHeads, T, T]
	dmlp               []F // [B, T, M]

	elems int // F elements of the views above (WorkspaceBytes is checked against it)
}

type normActs[F Float] struct {
	out, mean, rstd []F // [B,T,D], [B,T], [B,T]
}

type layerActs[F Float] struct {
	ln1      normActs[F]
	qkv      []F  // [B, T, 3, H, E] q|k|v after biases, before rotary
	qkRot    []F  // [B, T, 2, H, E] rotated q|k (rotary only)
	pattern  []F  // [B, H, T, T]; nil on the blockwise path until a run asks for it
	lse      []F  // [B, H, T] log-sum-exp of each query's scores (blockwise path)
	fused    bool // the last forward took the blockwise path (FusedMinT)
	z        []F  // [B, T, H, E]
	attnOut  []F  // [B, T, D]
	residMid []F  // [B, T, D]
	ln2      normActs[F]
	mlpPre   []F // [B, T, M]
	mlpPost  []F // [B, T, M]
	mlpOut   []F // [B, T, D]
}

// WorkspaceBytes returns the bytes NewWorkspace(B, T) allocates, computed
// from the shapes without allocating and without overflow (saturating at
// math.MaxInt64): callers add it to their memory estimate before they
// allocate anything for a batch.
func (m *Transformer[F]) WorkspaceBytes(B, T int) int64 {
	c := m.Config
	D, H, M, V, L := c.DModel, c.NHeads, c.DMLP, c.DVocab, c.NLayers
	HE := c.NHeads * c.DHead
	f := int(unsafe.Sizeof(F(0)))
	var e membudget.Estimate
	e.Add(4*3, B, T)                         // tokens, targets (int32), Losses (float32)
	e.Add(f, L+1, D*3*HE+3*HE)               // the packed W_QKV, b_QKV of every layer; dwqkv, dbqkv
	e.Add(f, L+1, B, T, D)                   // resid
	norm := func() { e.Add(f, B, T, D+2) }   // out, mean, rstd
	probe := &Workspace[F]{m: m, B: B, T: T} // canFuse reads only m and T
	needPattern := false
	for l := range L {
		norm()
		e.Add(f, B, T, 3*HE+HE+2*D) // qkv, z, attnOut, residMid
		if probe.canFuse(l) {
			e.Add(f, B, H, T) // lse
		} else {
			e.Add(f, B, H, T, T) // pattern
			needPattern = true
		}
		if c.Rotary() {
			e.Add(f, B, T, 2*HE)
		}
		if c.HasMLP() {
			norm()
			e.Add(f, B, T, 2*M+D)
		}
	}
	norm()                      // lnf
	e.Add(f, B, T, V)           // logits
	e.Add(f, B, T, 3*D+3*HE+HE) // dresid, dln, dattn, dqkv, dz
	if needPattern {
		e.Add(f, probe.dpatternHeads(), T, T)
	}
	if c.HasMLP() {
		e.Add(f, B, T, M)
	}
	return e.Bytes()
}

// NewWorkspace allocates the activations for batches of [B, T] tokens,
// after checking WorkspaceBytes(B, T) against the memory budget
// (internal/membudget).
func (m *Transformer[F]) NewWorkspace(B, T int) (*Workspace[F], error) {
	c := m.Config
	if B <= 0 || T <= 0 {
		return nil, fmt.Errorf("model: batch and sequence length must be positive, got [%d, %d]", B, T)
	}
	if T > c.NCtx {
		return nil, fmt.Errorf("model: sequence length %d exceeds the model's n_ctx %d", T, c.NCtx)
	}
	if err := membudget.Check(fmt.Sprintf("the activations of %d sequences × %d positions (%s)", B, T, c.Summary()), m.WorkspaceBytes(B, T)); err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	D, H, M, V, L := c.DModel, c.NHeads, c.DMLP, c.DVocab, c.NLayers
	N, HE := B*T, c.NHeads*c.DHead
	var a arena[F]
	w := &Workspace[F]{m: m, B: B, T: T}
	w.tokens, w.targets = make([]int32, N), make([]int32, N)
	w.Losses = make([]float32, N)
	w.pack = &QKVPack[F]{}
	for range L {
		w.pack.W, w.pack.B = append(w.pack.W, a.take(D*3*HE)), append(w.pack.B, a.take(3*HE))
	}
	w.dwqkv, w.dbqkv = a.take(D*3*HE), a.take(3*HE)
	norm := func() normActs[F] { return normActs[F]{a.take(N * D), a.take(N), a.take(N)} }
	for range L + 1 {
		w.resid = append(w.resid, a.take(N*D))
	}
	needPattern := false
	for l := range L {
		la := layerActs[F]{ln1: norm(), qkv: a.take(N * 3 * HE), z: a.take(N * HE), attnOut: a.take(N * D), residMid: a.take(N * D)}
		if w.canFuse(l) {
			la.lse = a.take(B * H * T)
		} else {
			la.pattern = a.take(B * H * T * T)
			needPattern = true
		}
		if c.Rotary() {
			la.qkRot = a.take(N * 2 * HE)
		}
		if c.HasMLP() {
			la.ln2, la.mlpPre, la.mlpPost, la.mlpOut = norm(), a.take(N*M), a.take(N*M), a.take(N*D)
		}
		w.layers = append(w.layers, la)
	}
	w.lnf = norm()
	w.logits = a.take(N * V)
	w.dresid, w.dln, w.dattn = a.take(N*D), a.take(N*D), a.take(N*D)
	w.dqkv, w.dz = a.take(N*3*HE), a.take(N*HE)
	if needPattern {
		w.dpattern = a.take(w.dpatternHeads() * T * T)
	}
	if c.HasMLP() {
		w.dmlp = a.take(N * M)
	}
	w.elems = a.used
	return w, nil
}

// arena hands out views of large chunks, so a workspace is a few
// allocations rather than dozens.
type arena[F Float] struct {
	buf  []F
	used int // elements handed out (tests compare it with WorkspaceBytes)
}

func (a *arena[F]) take(n int) []F {
	a.used += n
	if len(a.buf) < n {
		a.buf = make([]F, max(n, 1<<16))
	}
	v := a.buf[:n:n]
	a.buf = a.buf[n:]
	return v
}
