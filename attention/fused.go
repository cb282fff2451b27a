package attention

import "context"

// Fused is implemented by rules that can compute a head's output
// z = pattern·v directly, blockwise, without the [T, T] pattern: the fast
// path the model takes where nothing asks for the pattern (see
// model.FusedMinT). z [T, E] (row stride ldz) and lse [T] are what the
// backward needs; float32 only.
type Fused interface {
	FusedForward(ctx context.Context, x QKV, z []float32, ldz int, lse []float32) error
	// FusedBackward adds to g the gradients of z given dz [T, E] (row
	// stride lddz) and the forward's z and lse.
	FusedBackward(ctx context.Context, x QKV, z []float32, ldz int, lse, dz []float32, lddz int, g Grads) error
}

// FusedForward is causal softmax attention computed blockwise (flash.go).
func (Softmax[F]) FusedForward(ctx context.Context, x QKV, z []float32, ldz int, lse []float32) error {
	pos := positions(x.T)
	return newFlash(x.Q, x.K, x.V, x.LQ, x.LK, x.LV, pos, pos, x.E, x.Scale).forward(ctx, z, ldz, lse, 1)
}

// FusedBackward is FusedForward's backward (FlashAttention-2).
func (Softmax[F]) FusedBackward(ctx context.Context, x QKV, z []float32, ldz int, lse, dz []float32, lddz int, g Grads) error {
	pos := positions(x.T)
	p := newFlash(x.Q, x.K, x.V, x.LQ, x.LK, x.LV, pos, pos, x.E, x.Scale)
	fg := flashGrads{dq: g.DQ, dk: g.DK, dv: g.DV, dout: dz, ldq: g.LDQ, ldk: g.LDK, ldv: g.LDV, ldo: lddz,
		lse: lse, delta: deltaRows(dz, lddz, z, ldz, x.T, x.E), ll: 1}
	p.checkGrads(&fg)
	return p.backward(ctx, &fg, sweepBoth)
}

// FusedForward is the head's pattern by the O(T·w) kernel (Sparse.Forward).
func (r SparseRule[F]) FusedForward(ctx context.Context, x QKV, z []float32, ldz int, lse []float32) error {
	return r.head.Forward(ctx, x, z, ldz, lse)
}

// FusedBackward is Sparse.Backward.
func (r SparseRule[F]) FusedBackward(ctx context.Context, x QKV, z []float32, ldz int, lse, dz []float32, lddz int, g Grads) error {
	return r.head.Backward(ctx, x, z, ldz, lse, dz, lddz, g)
}

// deltaRows returns delta[i] = Σ_e dout[i,e]·out[i,e] (float64 sums).
func deltaRows(dout []float32, ldo int, out []float32, lo, T, E int) []float32 {
	delta := make([]float32, T)
	for i := range T {
		d := 0.0
		for e := range E {
			d += float64(dout[i*ldo+e]) * float64(out[i*lo+e])
		}
		delta[i] = float32(d)
	}
	return delta
}
