package attention

import (
	"context"
	"fmt"
	"sync"

	"github.com/attnlab/attnlab/internal/gemm"
)

// LinearChunk is the default chunk length of LinearChunked: 64 rows keep a
// chunk's [C, C] products and its [M, Ev] state in L1/L2 for d_head ≤ 128,
// and are long enough for the matmul kernels to run near their peak.
const LinearChunk = 64

// LinearChunked is causal linear attention with feature map Map (the rule
// Linear, Katharopoulos et al. 2020) in the chunkwise-parallel form of the
// gated/flash linear attention literature (Yang et al. 2024, Gated Linear
// Attention Transformers with Hardware-Efficient Training, §3 and
// flash-linear-attention's chunk kernels; here without gates, with the
// normaliser): the sequence is cut into chunks of C rows; inside a chunk
// the masked quadratic form runs on the matmul kernels, and the state of
// everything before it is carried forward. For chunk c with rows Q = φ(q),
// K = φ(k), V of its own and the state S [M, Ev], z [M] of all earlier
// rows:
//
//	A   = mask(Q·Kᵀ)                       [C, C], zero above the diagonal
//	num = Q·S + A·V                        [C, Ev]
//	s   = Q·z + rowsum(A)                  [C]
//	out = num / (s + ε·sgn s)              (LinearEps)
//	S  += Kᵀ·V,   z += Σ_rows K
//
// which is, row for row, the quadratic form pattern·v (Linear.Forward) and
// the recurrence (Linear.Recurrent), in O(T·C·(M+Ev) + T·M·Ev) time and
// O(C² + M·Ev) memory. Everything is float32 except z and the normaliser
// sums (float64). Feature maps elu, relu and identity run vectorised in
// float32; the others go through FeatureMap.Map in float64 one row at a
// time.
type LinearChunked struct {
	Map   FeatureMap
	Chunk int // rows per chunk; 0 means LinearChunk
}

// NewLinearChunked returns the chunked form of the linear kind with feature
// map name (see NewLinear) and the default chunk length.
func NewLinearChunked(name string) (LinearChunked, error) {
	fm, err := NewFeatureMap(name)
	if err != nil {
		return LinearChunked{}, err
	}
	return LinearChunked{Map: fm}, nil
}

func (l LinearChunked) chunk() int {
	if l.Chunk > 0 {
		return l.Chunk
	}
	return LinearChunk
}

// chunkScratch holds one call's buffers; pooled, so that steady-state calls
// do not allocate.
type chunkScratch struct {
	pq, pk, dpq, dpk []float32 // [C, M] (forward) or [T, M] (backward)
	a, p             []float32 // [C, C] (forward) or [T, C] (backward): A and P per chunk
	st               []float32 // [M, Ev]: S (forward, backward pass 1), R (backward pass 2)
	z, rz            []float64 // [M]
	gn               []float32 // [T, Ev] dout/d
	gs               []float64 // [T] −(dout·out)/d
	dens             []float64 // [C]
	row              []float32 // [M] scratch for feature maps
	x, phi, dx, dphi []float64 // [E], [M] for maps without a float32 path
}

var chunkPool sync.Pool

func getChunkScratch() *chunkScratch {
	if s, ok := chunkPool.Get().(*chunkScratch); ok {
		return s
	}
	return new(chunkScratch)
}

func (l LinearChunked) checkArgs(op string, T, E, Ev int) {
	if T < 0 || E < 1 || Ev < 1 {
		panic(fmt.Sprintf("attention: LinearChunked.%s with T=%d, E=%d, Ev=%d", op, T, E, Ev))
	}
}

// Forward writes out [T, E] (row stride ldo) = causal linear attention of
// x's q, k, v (x.Scale is not used: linear attention has no 1/√E).
func (l LinearChunked) Forward(x QKV, out []float32, ldo int) {
	l.forward(chunkIn{x.Q, x.K, x.V, x.LQ, x.LK, x.LV, x.T, x.E, x.E}, out, ldo)
}

// chunkIn is one head's inputs: q, k [T, E] and v [T, Ev] with row strides.
type chunkIn struct {
	q, k, v       []float32
	ldq, ldk, ldv int
	T, E, Ev      int
}

func (l LinearChunked) forward(x chunkIn, out []float32, ldo int) {
	q, k, v, ldq, ldk, ldv, T, E, Ev := x.q, x.k, x.v, x.ldq, x.ldk, x.ldv, x.T, x.E, x.Ev
	l.checkArgs("Forward", T, E, Ev)
	if T == 0 {
		return
	}
	C, M := min(l.chunk(), T), l.Map.Dim(E)
	s := getChunkScratch()
	defer chunkPool.Put(s)
	s.pq, s.pk, s.a = grow(s.pq, C*M), grow(s.pk, C*M), grow(s.a, C*C)
	s.st, s.z, s.dens = grow(s.st, M*Ev), grow(s.z, M), grow(s.dens, C)
	clear(s.st)
	clear(s.z)
	for c0 := 0; c0 < T; c0 += C {
		r := min(C, T-c0)
		l.features(s, s.pq, q[c0*ldq:], ldq, r, E, M, true)
		l.features(s, s.pk, k[c0*ldk:], ldk, r, E, M, false)
		vc, oc := v[c0*ldv:], out[c0*ldo:]
		// A = mask(Q·Kᵀ), s_i = Q_i·z + Σ_j A_ij
		causalProduct(s.a, s.pq, s.pk, r, M)
		for i := range r {
			sum := 0.0
			for _, x := range s.a[i*r : i*r+i+1] {
				sum += float64(x)
			}
			for m, x := range s.pq[i*M : (i+1)*M] {
				sum += float64(x) * s.z[m]
			}
			s.dens[i] = den(sum)
		}
		// num = Q·S + A·V (the first chunk has S = 0)
		gemm.MatMul(false, false, r, Ev, M, s.pq, M, s.st, Ev, oc, ldo, false)
		gemm.MatMulTri(gemm.LowerA, false, false, r, Ev, r, s.a, r, vc, ldv, oc, ldo, true)
		for i := range r {
			inv := float32(1 / s.dens[i])
			o := oc[i*ldo : i*ldo+Ev]
			for e := range o {
				o[e] *= inv
			}
		}
		// S += Kᵀ·V, z += Σ K
		if c0+r < T {
			gemm.MatMul(true, false, M, Ev, r, s.pk, M, vc, ldv, s.st, Ev, true)
			addColumns(s.z, s.pk, r, M)
		}
	}
}

// causalProduct writes a [r, r] = mask(x·yᵀ) for x, y [r, M]: the lower
// triangle with the diagonal, zeros above it.
func causalProduct(a, x, y []float32, r, M int) {
	gemm.MatMulTri(gemm.LowerC, false, true, r, r, M, x, M, y, M, a, r, false)
	for i := range r {
		clear(a[i*r+i+1 : (i+1)*r])
	}
}

// addColumns adds the r rows of x [r, M] into z [M] in float64.
func addColumns(z []float64, x []float32, r, M int) {
	for i := range r {
		for m, v := range x[i*M : (i+1)*M] {
			z[m] += float64(v)
		}
	}
}

// Backward adds to g's dq, dk, dv the gradient of Σ dout·out, where dout
// is [T, E] (row stride lddo) and out (stride ldo) is Forward's output for
// x. With d_i = s_i + ε·sgn s_i,
// gn_i = dout_i/d_i and gs_i = −(dout_i·out_i)/d_i, the gradient of the
// unnormalised attention with values [v, 1] is:
//
//	dφq_i = Σ_{j≤i} (gn_i·v_j + gs_i)·φk_j
//	dφk_j = Σ_{i≥j} (gn_i·v_j + gs_i)·φq_i
//	dv_j  = Σ_{i≥j} (φq_i·φk_j)·gn_i
//
// computed chunkwise: a forward sweep carries S = Σ φkᵀv, z = Σ φk (for
// dφq), a backward sweep R = Σ φqᵀgn, rz = Σ φq·gs (for dφk, dv); inside a
// chunk, with P = mask(gn·Vᵀ + gs·1ᵀ) and A = mask(Q·Kᵀ):
//
//	dQ = gn·Sᵀ + gs·zᵀ + P·K
//	dK = Pᵀ·Q + V·Rᵀ + 1·rzᵀ
//	dV += Aᵀ·gn + K·R
//
// then dq += Jφ(q)ᵀ·dQ, dk += Jφ(k)ᵀ·dK.
func (l LinearChunked) Backward(x QKV, out []float32, ldo int, dout []float32, lddo int, g Grads) {
	l.backward(chunkIn{x.Q, x.K, x.V, x.LQ, x.LK, x.LV, x.T, x.E, x.E}, out, ldo, dout, lddo, g)
}

func (l LinearChunked) backward(x chunkIn, out []float32, ldo int, dout []float32, lddo int, g Grads) {
	q, k, v, ldq, ldk, ldv, T, E, Ev := x.q, x.k, x.v, x.ldq, x.ldk, x.ldv, x.T, x.E, x.Ev
	dv, lddv := g.DV, g.LDV
	l.checkArgs("Backward", T, E, Ev)
	if T == 0 {
		return
	}
	C, M := min(l.chunk(), T), l.Map.Dim(E)
	s := getChunkScratch()
	defer chunkPool.Put(s)
	s.pq, s.pk, s.dpq, s.dpk = grow(s.pq, T*M), grow(s.pk, T*M), grow(s.dpq, T*M), grow(s.dpk, T*M)
	s.a, s.p, s.gn, s.gs = grow(s.a, T*C), grow(s.p, T*C), grow(s.gn, T*Ev), grow(s.gs, T)
	s.st, s.z, s.rz, s.dens = grow(s.st, M*Ev), grow(s.z, M), grow(s.rz, M), grow(s.dens, C)
	l.features(s, s.pq, q, ldq, T, E, M, true)
	l.features(s, s.pk, k, ldk, T, E, M, false)

	// Forward sweep: normalisers, gn, gs, P and dQ.
	clear(s.st)
	clear(s.z)
	for c0 := 0; c0 < T; c0 += C {
		r := min(C, T-c0)
		pq, pk := s.pq[c0*M:], s.pk[c0*M:]
		a, p, gn := s.a[c0*C:], s.p[c0*C:], s.gn[c0*Ev:]
		vc, dpq := v[c0*ldv:], s.dpq[c0*M:]
		causalProduct(a, pq, pk, r, M)
		for i := range r {
			sum := 0.0
			for _, x := range a[i*r : i*r+i+1] {
				sum += float64(x)
			}
			for m, x := range pq[i*M : (i+1)*M] {
				sum += float64(x) * s.z[m]
			}
			d := den(sum)
			do, o := dout[(c0+i)*lddo:][:Ev], out[(c0+i)*ldo:][:Ev]
			dot := 0.0
			g := gn[i*Ev : (i+1)*Ev]
			inv := 1 / d
			for e := range g {
				dot += float64(do[e]) * float64(o[e])
				g[e] = float32(float64(do[e]) * inv)
			}
			s.gs[c0+i] = -dot * inv
		}
		// P = mask(gn·Vᵀ + gs·1ᵀ)
		gemm.MatMulTri(gemm.LowerC, false, true, r, r, Ev, gn, Ev, vc, ldv, p, r, false)
		for i := range r {
			row := p[i*r : (i+1)*r]
			gsi := float32(s.gs[c0+i])
			for j := range i + 1 {
				row[j] += gsi
			}
			clear(row[i+1:])
		}
		// dQ = gn·Sᵀ + gs·zᵀ + P·K
		gemm.MatMul(false, true, r, M, Ev, gn, Ev, s.st, Ev, dpq, M, false)
		for i := range r {
			gsi := s.gs[c0+i]
			row := dpq[i*M : (i+1)*M]
			for m := range row {
				row[m] += float32(gsi * s.z[m])
			}
		}
		gemm.MatMulTri(gemm.LowerA, false, false, r, M, r, p, r, pk, M, dpq, M, true)
		if c0+r < T {
			gemm.MatMul(true, false, M, Ev, r, pk, M, vc, ldv, s.st, Ev, true)
			addColumns(s.z, pk, r, M)
		}
	}

	// Backward sweep: dK and dV, with R = Σ_{later} φqᵀ·gn, rz = Σ φq·gs.
	clear(s.st)
	clear(s.rz)
	last := (T - 1) / C * C
	for c0 := last; c0 >= 0; c0 -= C {
		r := min(C, T-c0)
		pq, pk := s.pq[c0*M:], s.pk[c0*M:]
		a, p, gn := s.a[c0*C:], s.p[c0*C:], s.gn[c0*Ev:]
		vc, dvc, dpk := v[c0*ldv:], dv[c0*lddv:], s.dpk[c0*M:]
		// dK = Pᵀ·Q + V·Rᵀ + 1·rzᵀ
		gemm.MatMulTri(gemm.UpperA, true, false, r, M, r, p, r, pq, M, dpk, M, false)
		if c0 != last {
			gemm.MatMul(false, true, r, M, Ev, vc, ldv, s.st, Ev, dpk, M, true)
			for i := range r {
				row := dpk[i*M : (i+1)*M]
				for m := range row {
					row[m] += float32(s.rz[m])
				}
			}
		}
		// dV += Aᵀ·gn + K·R
		gemm.MatMulTri(gemm.UpperA, true, false, r, Ev, r, a, r, gn, Ev, dvc, lddv, true)
		if c0 != last {
			gemm.MatMul(false, false, r, Ev, M, pk, M, s.st, Ev, dvc, lddv, true)
		}
		if c0 > 0 {
			// R += Qᵀ·gn, rz += Qᵀ·gs
			gemm.MatMul(true, false, M, Ev, r, pq, M, gn, Ev, s.st, Ev, true)
			for i := range r {
				gsi := s.gs[c0+i]
				for m, x := range pq[i*M : (i+1)*M] {
					s.rz[m] += float64(x) * gsi
				}
			}
		}
	}
	l.featureGrads(s, g.DQ, g.LDQ, s.dpq, s.pq, q, ldq, T, E, M, true)
	l.featureGrads(s, g.DK, g.LDK, s.dpk, s.pk, k, ldk, T, E, M, false)
}

// features writes phi [n, M] = φ(x_i) for the rows of x [n, E] (stride ld).
func (l LinearChunked) features(s *chunkScratch, phi, x []float32, ld, n, E, M int, query bool) {
	if mapFeatures32(l.Map, phi, x, ld, n, E) {
		return
	}
	s.x, s.phi = grow(s.x, E), grow(s.phi, M)
	for i := range n {
		for e, v := range x[i*ld : i*ld+E] {
			s.x[e] = float64(v)
		}
		l.Map.Map(s.phi, s.x, query)
		row := phi[i*M : (i+1)*M]
		for m, v := range s.phi {
			row[m] = float32(v)
		}
	}
}

// featureGrads accumulates dx [n, E] (stride ldd) += Jφ(x_i)ᵀ·dphi_i, given
// phi = φ(x) [n, M].
func (l LinearChunked) featureGrads(s *chunkScratch, dx []float32, ldd int, dphi, phi, x []float32, ld, n, E, M int, query bool) {
	if gradFeatures32(l.Map, dx, ldd, dphi, phi, x, ld, n, E) {
		return
	}
	s.x, s.phi, s.dx, s.dphi = grow(s.x, E), grow(s.phi, M), grow(s.dx, E), grow(s.dphi, M)
	for i := range n {
		for e, v := range x[i*ld : i*ld+E] {
			s.x[e] = float64(v)
		}
		for m := range M {
			s.phi[m], s.dphi[m] = float64(phi[i*M+m]), float64(dphi[i*M+m])
		}
		clear(s.dx)
		l.Map.Grad(s.dx, s.dphi, s.x, s.phi, query)
		d := dx[i*ldd : i*ldd+E]
		for e := range d {
			d[e] += float32(s.dx[e])
		}
	}
}

// FusedForward is the rule's output without a pattern, in the chunked form
// (LinearChunked, chunks of LinearChunk): the engine's path for linear
// kinds where no pattern is asked for. lse has no meaning for linear
// attention and is set to 0.
func (l Linear[F]) FusedForward(ctx context.Context, x QKV, z []float32, ldz int, lse []float32) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	LinearChunked{Map: l.Map}.Forward(x, z, ldz)
	clear(lse[:x.T])
	return nil
}

// FusedMinT is the length from which the engine takes the fused path for
// this rule: 1, because the chunked form beats the quadratic one at every
// training length (model's BenchmarkAttentionPathLinear*: about 2× at T = 64
// and 256).
func (l Linear[F]) FusedMinT() int { return 1 }

// FusedBackward is FusedForward's backward (LinearChunked.Backward).
func (l Linear[F]) FusedBackward(ctx context.Context, x QKV, z []float32, ldz int, _, dz []float32, lddz int, g Grads) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	LinearChunked{Map: l.Map}.Backward(x, z, ldz, dz, lddz, g)
	return nil
}
