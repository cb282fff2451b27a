package model

import (
	"fmt"
	"github.com/attnlab/attnlab/attention"
	"math"
	"math/rand/v2"
)

// Float is the element type of the numeric core.
type Float = attention.Float

// Block holds one transformer block's parameter views, TransformerLens names.
type Block[F Float] struct {
	Ln1W, Ln1B []F // [D] ("LN" only)
	WQ, WK, WV []F // [H, D, E]
	WO         []F // [H, E, D]
	BQ, BK, BV []F // [H, E]
	BO         []F // [D]
	AttnP      []F // [H, P] the rule's per-head parameters (attention.HeadParams only, e.g. k_sink)
	Ln2W, Ln2B []F // [D] ("LN" with MLP only)
	WIn        []F // [D, M]
	BIn        []F // [M]
	WOut       []F // [M, D]
	BOut       []F // [D]
}

// ParamTensor names one parameter tensor inside Params.Data.
type ParamTensor[F Float] struct {
	Name  string // TransformerLens state-dict key, e.g. "blocks.0.attn.W_Q"
	Shape []int
	Data  []F  // a view into Params.Data
	Decay bool // AdamW weight decay applies: weight matrices and embeddings (nanoGPT), not biases, LayerNorm weights or a learned sink key
}

// Params holds every parameter in one flat slice, cut into named views.
type Params[F Float] struct {
	Data    []F
	Tensors []ParamTensor[F] // in TransformerLens state-dict order
	WE      []F              // [V, D]
	WPos    []F              // [NCtx, D] ("standard" positions only)
	Blocks  []Block[F]
	LnFW    []F // [D] ("LN" only)
	LnFB    []F // [D]
	WU      []F // [D, V]
	BU      []F // [V]
}

// NewParams allocates zeroed parameters laid out for cfg (its derived
// fields filled in, as NumParams counts them).
func NewParams[F Float](cfg Config) *Params[F] {
	return paramsOver(cfg, make([]F, cfg.NumParams()))
}

// NewParamsSet allocates n zeroed parameter sets laid out for cfg one
// after another in all: set i is all[i*P : (i+1)*P], P = cfg.NumParams(),
// so the same element of every set is P apart (e.g. per-unit gradients
// summed with vecmath.SumRowsStride).
func NewParamsSet[F Float](cfg Config, n int) (all []F, sets []*Params[F]) {
	P := cfg.NumParams()
	all = make([]F, n*P)
	for i := range n {
		sets = append(sets, paramsOver(cfg, all[i*P:(i+1)*P:(i+1)*P]))
	}
	return all, sets
}

// paramsOver cuts data (cfg.NumParams() elements) into cfg's views.
func paramsOver[F Float](cfg Config, data []F) *Params[F] {
	cfg = cfg.WithDefaults()
	p := &Params[F]{Blocks: make([]Block[F], cfg.NLayers), Data: data}
	off := 0
	for _, s := range paramSpecs[F](cfg) {
		k := numel(s.shape)
		view := p.Data[off : off+k : off+k]
		off += k
		p.Tensors = append(p.Tensors, ParamTensor[F]{Name: s.name, Shape: s.shape, Data: view, Decay: s.decay})
		*s.field(p) = view
	}
	if off != len(data) {
		panic(fmt.Sprintf("model: %d parameters laid out in %d", off, len(data)))
	}
	return p
}

// Init draws weights as TransformerLens does for its default init: every
// weight matrix (W_E, W_pos, W_Q, W_K, W_V, W_O, W_in, W_out, W_U) from
// N(0, init_range²), biases zero, LayerNorm weights one.
func (p *Params[F]) Init(cfg Config, r *rand.Rand) {
	for _, t := range p.Tensors {
		switch {
		case len(t.Shape) >= 2:
			for i := range t.Data {
				t.Data[i] = F(r.NormFloat64() * cfg.InitRange)
			}
		case len(t.Name) > 2 && t.Name[len(t.Name)-2:] == ".w":
			for i := range t.Data {
				t.Data[i] = 1
			}
		default:
			clear(t.Data)
		}
	}
}

// Tensor returns the parameter named by its TransformerLens key.
func (p *Params[F]) Tensor(name string) (ParamTensor[F], bool) {
	for _, t := range p.Tensors {
		if t.Name == name {
			return t, true
		}
	}
	return ParamTensor[F]{}, false
}

// Norm returns the L2 norm of x, accumulated in float64.
func Norm[F Float](x []F) float64 {
	s := 0.0
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s)
}

// NumParams returns the number of scalar parameters of a model with this
// config (its derived fields filled in as New fills them), without
// allocating them.
func (c Config) NumParams() int {
	c = c.WithDefaults() // d_head from d_model and n_heads: 0 would count no attention weights
	n := 0
	for _, s := range paramSpecs[float32](c) {
		n += numel(s.shape)
	}
	return n
}

func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// spec describes one tensor and where its view goes.
type spec[F Float] struct {
	name  string
	shape []int
	decay bool
	field func(p *Params[F]) *[]F
}

func paramSpecs[F Float](c Config) []spec[F] {
	D, H, E, M, V := c.DModel, c.NHeads, c.DHead, c.DMLP, c.DVocab
	var s []spec[F]
	add := func(name string, decay bool, f func(p *Params[F]) *[]F, shape ...int) {
		s = append(s, spec[F]{name, shape, decay, f})
	}
	add("embed.W_E", true, func(p *Params[F]) *[]F { return &p.WE }, V, D)
	if c.LearnedPos() {
		add("pos_embed.W_pos", true, func(p *Params[F]) *[]F { return &p.WPos }, c.NCtx, D)
	}
	for l := range c.NLayers {
		b := func(f func(b *Block[F]) *[]F) func(p *Params[F]) *[]F {
			return func(p *Params[F]) *[]F { return f(&p.Blocks[l]) }
		}
		pre := fmt.Sprintf("blocks.%d.", l)
		add(pre+"attn.W_Q", true, b(func(b *Block[F]) *[]F { return &b.WQ }), H, D, E)
		add(pre+"attn.W_K", true, b(func(b *Block[F]) *[]F { return &b.WK }), H, D, E)
		add(pre+"attn.W_V", true, b(func(b *Block[F]) *[]F { return &b.WV }), H, D, E)
		add(pre+"attn.W_O", true, b(func(b *Block[F]) *[]F { return &b.WO }), H, E, D)
		add(pre+"attn.b_Q", false, b(func(b *Block[F]) *[]F { return &b.BQ }), H, E)
		add(pre+"attn.b_K", false, b(func(b *Block[F]) *[]F { return &b.BK }), H, E)
		add(pre+"attn.b_V", false, b(func(b *Block[F]) *[]F { return &b.BV }), H, E)
		add(pre+"attn.b_O", false, b(func(b *Block[F]) *[]F { return &b.BO }), D)
		if hp, ok := headParams[F](c.AttentionKind(l)); ok {
			add(pre+"attn."+hp.ParamName(), false, b(func(b *Block[F]) *[]F { return &b.AttnP }), H, hp.ParamSize(E))
		}
		if c.HasLNWeights() {
			add(pre+"ln1.w", false, b(func(b *Block[F]) *[]F { return &b.Ln1W }), D)
			add(pre+"ln1.b", false, b(func(b *Block[F]) *[]F { return &b.Ln1B }), D)
		}
		if c.HasMLP() {
			if c.HasLNWeights() {
				add(pre+"ln2.w", false, b(func(b *Block[F]) *[]F { return &b.Ln2W }), D)
				add(pre+"ln2.b", false, b(func(b *Block[F]) *[]F { return &b.Ln2B }), D)
			}
			add(pre+"mlp.W_in", true, b(func(b *Block[F]) *[]F { return &b.WIn }), D, M)
			add(pre+"mlp.b_in", false, b(func(b *Block[F]) *[]F { return &b.BIn }), M)
			add(pre+"mlp.W_out", true, b(func(b *Block[F]) *[]F { return &b.WOut }), M, D)
			add(pre+"mlp.b_out", false, b(func(b *Block[F]) *[]F { return &b.BOut }), D)
		}
	}
	if c.HasLNWeights() {
		add("ln_final.w", false, func(p *Params[F]) *[]F { return &p.LnFW }, D)
		add("ln_final.b", false, func(p *Params[F]) *[]F { return &p.LnFB }, D)
	}
	add("unembed.W_U", true, func(p *Params[F]) *[]F { return &p.WU }, D, V)
	add("unembed.b_U", false, func(p *Params[F]) *[]F { return &p.BU }, V)
	return s
}
