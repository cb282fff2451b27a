package model

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
)

// Tensor is a float32 activation with its TransformerLens shape.
type Tensor struct {
	Shape []int
	Data  []float32
}

// NewTensor allocates a zeroed tensor.
func NewTensor(shape ...int) *Tensor {
	return &Tensor{Shape: slices.Clone(shape), Data: make([]float32, numel(shape))}
}

// Clone returns a deep copy.
func (t *Tensor) Clone() *Tensor {
	return &Tensor{Shape: slices.Clone(t.Shape), Data: slices.Clone(t.Data)}
}

// Cache maps TransformerLens hook names to the activations of one run.
type Cache map[string]*Tensor

// Hook intervenes at one hook point during the forward pass: Fn sees the
// activation (TransformerLens shape) and may change it in place; the forward
// pass continues from the changed value. Hooks are for analysis runs: the
// gradients of Backward ignore them.
type Hook struct {
	Name string
	Fn   func(act *Tensor)
}

// RunOptions says what to record and what to change during Run.
type RunOptions struct {
	// CacheNames lists the hook names to store in the returned cache;
	// "*" stores every hook point. Nil stores nothing.
	CacheNames []string
	Hooks      []Hook
	// Context, when set, is checked before each layer: a cancelled run
	// stops there and Run returns the context's error.
	Context context.Context
}

// Output is what Run returns.
type Output struct {
	Logits *Tensor // [B, T, V]
	Losses *Tensor // [B, T-1] next-token cross-entropy (nats)
	Cache  Cache
}

// Run runs the model on tokens [B, T] with the given cache and hooks. It does
// not change the model. Hook names are checked against the model's hook
// points, so a typo is an error rather than a silent no-op.
func (m *Transformer[F]) Run(tokens []int32, B, T int, opt RunOptions) (*Output, error) {
	known := m.HookNames()
	for _, h := range opt.Hooks {
		if !slices.Contains(known, h.Name) {
			return nil, fmt.Errorf("model: no hook point named %q in this model", h.Name)
		}
		if strings.HasSuffix(h.Name, "hook_scale") || strings.HasSuffix(h.Name, "hook_attn_scores") {
			return nil, fmt.Errorf("model: hook point %q can be cached but not changed", h.Name)
		}
	}
	for _, n := range opt.CacheNames {
		if n != "*" && !slices.Contains(known, n) {
			return nil, fmt.Errorf("model: no hook point named %q in this model", n)
		}
	}
	w, err := m.NewWorkspace(B, T)
	if err != nil {
		return nil, err
	}
	if err := w.setTokens(tokens); err != nil {
		return nil, err
	}
	r := &run[F]{cache: Cache{}, hooks: map[string][]Hook{}}
	for _, n := range opt.CacheNames {
		if n == "*" {
			r.all = true
		}
	}
	r.want = opt.CacheNames
	for _, h := range opt.Hooks {
		r.hooks[h.Name] = append(r.hooks[h.Name], h)
	}
	r.ctx = opt.Context
	w.forward(r)
	if r.ctx != nil && r.ctx.Err() != nil {
		return nil, r.ctx.Err()
	}
	V := m.Config.DVocab
	out := &Output{Logits: NewTensor(B, T, V), Cache: r.cache}
	for i, v := range w.logits {
		out.Logits.Data[i] = float32(v)
	}
	out.Losses = NextTokenLosses(out.Logits, tokens)
	return out, nil
}

// NextTokenLosses returns −log softmax(logits[b, t])[tokens[b, t+1]] as a
// [B, T-1] tensor, in float64 arithmetic.
func NextTokenLosses(logits *Tensor, tokens []int32) *Tensor {
	B, T, V := logits.Shape[0], logits.Shape[1], logits.Shape[2]
	out := NewTensor(B, max(T-1, 0))
	for b := range B {
		for t := 0; t+1 < T; t++ {
			row := logits.Data[(b*T+t)*V : (b*T+t+1)*V]
			out.Data[b*(T-1)+t] = float32(NLL(row, tokens[b*T+t+1]))
		}
	}
	return out
}

// NLL is −log softmax(logits)[target], computed in float64.
func NLL(logits []float32, target int32) float64 {
	mx := math.Inf(-1)
	for _, v := range logits {
		mx = max(mx, float64(v))
	}
	z := 0.0
	for _, v := range logits {
		z += math.Exp(float64(v) - mx)
	}
	return math.Log(z) - (float64(logits[target]) - mx)
}

// HookNames lists this model's hook points in forward order.
func (m *Transformer[F]) HookNames() []string {
	c := m.Config
	ns := []string{HookEmbed}
	if c.LearnedPos() {
		ns = append(ns, HookPosEmbed)
	}
	for l := range c.NLayers {
		n := names[l]
		ns = append(ns, n.residPre)
		if c.HasNorm() {
			ns = append(ns, n.ln1Scale, n.ln1Norm)
		}
		ns = append(ns, n.q, n.k, n.v)
		if c.Rotary() {
			ns = append(ns, n.rotQ, n.rotK)
		}
		ns = append(ns, n.scores, n.pattern, n.z, n.attnOut)
		if c.HasMLP() {
			ns = append(ns, n.residMid)
			if c.HasNorm() {
				ns = append(ns, n.ln2Scale, n.ln2Norm)
			}
			ns = append(ns, n.mlpPre, n.mlpPost, n.mlpOut)
		}
		ns = append(ns, n.residPost)
	}
	if c.HasNorm() {
		ns = append(ns, HookFinalScale, HookFinalNormalized)
	}
	return ns
}

// run is the state of one hooked forward pass.
type run[F Float] struct {
	cache Cache
	want  []string
	all   bool
	hooks map[string][]Hook
	ctx   context.Context // nil: never cancelled
}

// stopped reports whether the run's context is cancelled.
func (r *run[F]) stopped() bool { return r.ctx != nil && r.ctx.Err() != nil }

func (r *run[F]) wants(name string) bool { return r.all || slices.Contains(r.want, name) }

func (r *run[F]) active(name string) bool { return r.wants(name) || len(r.hooks[name]) > 0 }

// apply runs the hooks on t and caches it; it reports whether a hook ran
// (and so t may have changed).
func (r *run[F]) apply(name string, t *Tensor) bool {
	hs := r.hooks[name]
	for _, h := range hs {
		h.Fn(t)
	}
	if r.wants(name) {
		r.cache[name] = t
	}
	return len(hs) > 0
}

// dense is a hook point whose activation is contiguous in data.
func (r *run[F]) dense(name string, data []F, shape ...int) {
	if !r.active(name) {
		return
	}
	t := NewTensor(shape...)
	for i := range t.Data {
		t.Data[i] = float32(data[i])
	}
	if r.apply(name, t) {
		for i := range t.Data {
			data[i] = F(t.Data[i])
		}
	}
}

// heads is a [B, T, H, E] hook point stored inside a wider buffer: row
// (token) stride ld, starting at column off (q, k and v share one buffer).
func (r *run[F]) heads(name string, data []F, ld, off, B, T, H, E int) {
	if !r.active(name) {
		return
	}
	t := NewTensor(B, T, H, E)
	HE := H * E
	for n := range B * T {
		for i := range HE {
			t.Data[n*HE+i] = float32(data[n*ld+off+i])
		}
	}
	if r.apply(name, t) {
		for n := range B * T {
			for i := range HE {
				data[n*ld+off+i] = F(t.Data[n*HE+i])
			}
		}
	}
}

// scale caches TransformerLens's hook_scale, sqrt(var + eps) [B, T, 1], from
// the reciprocal the engine keeps. It is read-only.
func (r *run[F]) scale(name string, rstd []F, B, T int) {
	if !r.wants(name) {
		return
	}
	t := NewTensor(B, T, 1)
	for i := range t.Data {
		t.Data[i] = float32(1 / float64(rstd[i]))
	}
	r.cache[name] = t
}

// embed computes hook_embed and hook_pos_embed separately (so each can be
// hooked) and writes their sum to out [B, T, D].
func (r *run[F]) embed(w *Workspace[F], out []F) {
	c, p := w.m.Config, w.m.Params
	B, T, D := w.B, w.T, c.DModel
	e := make([]F, B*T*D)
	encoderForward(e, w.tokens, p.WE, nil, B, T, D)
	r.dense(HookEmbed, e, B, T, D)
	copy(out, e)
	if c.LearnedPos() {
		pe := make([]F, B*T*D)
		for b := range B {
			copy(pe[b*T*D:(b+1)*T*D], p.WPos[:T*D])
		}
		r.dense(HookPosEmbed, pe, B, T, D)
		for i := range out {
			out[i] += pe[i]
		}
	}
}
