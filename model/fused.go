package model

import (
	"context"
	"math"
	"unsafe"

	"github.com/attnlab/attnlab/attention"
)

// FusedMinT is the sequence length from which the float32 engine computes a
// layer's attention output blockwise (FlashAttention's online softmax,
// attention.Fused: softmax and the sparse kinds) instead of through the
// [T, T] pattern: z = attention(q, k)·v tile by tile, keeping only the
// log-sum-exp [B, H, T] for the backward, which recomputes the
// probabilities (FlashAttention-2). The workspace then holds no [B, H, T, T]
// pattern, so long sequences fit. Below it the pattern path is faster at
// the engine's head sizes: a training step of 2 layers × 4 heads × 16 on
// one core (BenchmarkAttentionPath*, tokens per CPU-second, shared
// machine) ran 85k against 60k at T = 128, 49k against 42k at T = 512 and
// 27k against 26k at T = 1024.
//
// The pattern is still there when asked for: a Run that caches or hooks a
// layer's hook_pattern or hook_attn_scores (or replaces its pattern) takes
// the pattern path for that layer, computing the pattern with the rule's
// Forward into a buffer allocated for that run, so caches, interventions
// and every analysis see the same pattern as at short lengths.
const FusedMinT = 1024

// fusedMinT is FusedMinT, changed only by benchmarks that time both paths.
var fusedMinT = FusedMinT

// canFuse reports whether layer l may take the blockwise path at the
// workspace's length: float32, T ≥ FusedMinT, and every head's rule
// implements attention.Fused.
func (w *Workspace[F]) canFuse(l int) bool {
	if unsafe.Sizeof(F(0)) != 4 || w.T < w.fusedFrom(l) {
		return false
	}
	for hd := range w.m.Config.NHeads {
		if _, ok := w.m.rule(l, hd).(attention.Fused); !ok {
			return false
		}
		if _, ok := w.m.rule(l, hd).(attention.HeadParams[F]); ok {
			return false
		}
	}
	return true
}

// fusedFromT is implemented by fused rules whose blockwise path pays from a
// length other than FusedMinT (attention.Linear's chunked form: from any).
type fusedFromT interface{ FusedMinT() int }

// fusedFrom is the length from which layer l takes the blockwise path:
// fusedMinT, or, unless a benchmark moved fusedMinT, the largest FusedMinT
// of the layer's rules when they all name one.
func (w *Workspace[F]) fusedFrom(l int) int {
	if fusedMinT != FusedMinT {
		return fusedMinT
	}
	from := 0
	for hd := range w.m.Config.NHeads {
		f, ok := w.m.rule(l, hd).(fusedFromT)
		if !ok {
			return fusedMinT
		}
		from = max(from, f.FusedMinT())
	}
	return from
}

// headQKV is head hd of sequence b as an attention.QKV: q, k [T, E] inside
// their buffer (row stride ld), v inside qkv (row stride 3HE).
func (w *Workspace[F]) headQKV(la *layerActs[F], q, k []F, ld, b, hd int) attention.QKV {
	c := w.m.Config
	T, H, E := w.T, c.NHeads, c.DHead
	HE := H * E
	qo, vo := b*T*ld+hd*E, b*T*3*HE+2*HE+hd*E
	return attention.QKV{Q: f32(q[qo:]), K: f32(k[qo:]), V: f32(la.qkv[vo:]), LQ: ld, LK: ld, LV: 3 * HE,
		T: T, E: E, Scale: float32(1 / math.Sqrt(float64(E)))}
}

// attnFusedForward: z[b, :, h] = attention(q, k)·v blockwise, for every
// sequence and head, log-sum-exp into la.lse [B, H, T].
func (w *Workspace[F]) attnFusedForward(l int, la *layerActs[F], q, k []F, ld int) {
	c := w.m.Config
	B, T, H, E := w.B, w.T, c.NHeads, c.DHead
	HE := H * E
	z, lse := f32(la.z), f32(la.lse)
	for b := range B {
		for hd := range H {
			f := w.m.rule(l, hd).(attention.Fused)
			x := w.headQKV(la, q, k, ld, b, hd)
			_ = f.FusedForward(context.Background(), x, z[b*T*HE+hd*E:], HE, lse[(b*H+hd)*T:(b*H+hd+1)*T])
		}
	}
}

// attnFusedBackward is attnFusedForward's backward: dq, dk, dv (row stride
// 3HE inside w.dqkv) from w.dz.
func (w *Workspace[F]) attnFusedBackward(l int, la *layerActs[F], q, k []F, ld int) {
	c := w.m.Config
	B, T, H, E := w.B, w.T, c.NHeads, c.DHead
	HE := H * E
	z, lse, dz, dqkv := f32(la.z), f32(la.lse), f32(w.dz), f32(w.dqkv)
	for b := range B {
		for hd := range H {
			f := w.m.rule(l, hd).(attention.Fused)
			x := w.headQKV(la, q, k, ld, b, hd)
			o := b*T*3*HE + hd*E
			g := attention.Grads{DQ: dqkv[o:], DK: dqkv[o+HE:], DV: dqkv[o+2*HE:], LDQ: 3 * HE, LDK: 3 * HE, LDV: 3 * HE}
			zo := b*T*HE + hd*E
			_ = f.FusedBackward(context.Background(), x, z[zo:], HE, lse[(b*H+hd)*T:(b*H+hd+1)*T], dz[zo:], HE, g)
		}
	}
}
