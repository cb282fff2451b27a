package attention

import (
	"fmt"
	"math"
	"sync"
	"unsafe"

	"github.com/attnlab/attnlab/internal/gemm"
)

// FeatureMap is the feature map φ: R^E → R^M of linear attention
// (Katharopoulos et al. 2020), which replaces exp(q·k) by φ(q)·φ(k).
// Maps work on one row at a time in float64 and are safe for concurrent
// use.
type FeatureMap interface {
	// Name is the map's name in a kind ("elu" in "linear:elu").
	Name() string
	// Dim is the feature dimension M for inputs of dimension E.
	Dim(E int) int
	// Map writes phi [M] = φ(x) for x [E]. query is true for queries: a map
	// may then scale φ by a positive constant of its own choosing, which
	// cancels in the normalised pattern (FAVOR+ uses this for stability).
	Map(phi, x []float64, query bool)
	// Grad accumulates dx [E] += (∂φ/∂x)ᵀ·dphi, given x and phi =
	// Map(phi, x, query).
	Grad(dx, dphi, x, phi []float64, query bool)
}

// LinearEps is the ε of the linear-attention normaliser:
//
//	pattern[i,j] = φ(q_i)·φ(k_j) / (s_i + ε·sgn(s_i)),   s_i = Σ_{j'≤i} φ(q_i)·φ(k_j')
//
// with sgn(0) = +1. For the positive maps (elu, relu, favor, taylor) s_i ≥ 0
// and this is Katharopoulos et al.'s s_i + ε; a relu row whose features
// are all zero gets an all-zero pattern instead of 0/0. The identity map's
// s_i has either sign and may cross zero: the normaliser then flips the sign
// of the whole row and its magnitude is unbounded near s_i = 0. That is the
// point of including it — positive features keep every weight in [0, 1].
const LinearEps = 1e-6

// den is the normaliser s + ε·sgn(s); its derivative in s is 1.
func den(s float64) float64 {
	if s < 0 {
		return s - LinearEps
	}
	return s + LinearEps
}

// Linear is causal linear attention with feature map Map, in the masked
// quadratic form the engine trains (Katharopoulos et al. 2020, eq. 4–6):
//
//	a[i,j] = φ(q_i)·φ(k_j) for j ≤ i, 0 above the diagonal
//	pattern[i,j] = a[i,j] / (Σ_{j'≤i} a[i,j'] + ε·sgn)     (see LinearEps)
//
// so z = pattern·v is exactly the recurrent form's output (Recurrent),
// which needs O(T·M·E) time instead of O(T²·M). Unlike softmax there is no
// 1/sqrt(E) scaling of q·k except where a map builds it in (favor, taylor).
type Linear[F Float] struct {
	Map FeatureMap
}

// NewLinear returns linear attention with feature map name ("elu", "relu",
// "identity", "taylor", "favor" with DefaultFAVORFeatures, or "favor:M").
// FAVOR+ features are drawn from a seed derived from "linear:"+name and E,
// so a kind always means the same features.
func NewLinear[F Float](name string) (Linear[F], error) {
	fm, err := NewFeatureMap(name)
	if err != nil {
		return Linear[F]{}, err
	}
	return Linear[F]{Map: fm}, nil
}

// NewFeatureMap returns the feature map called name (see NewLinear).
func NewFeatureMap(name string) (FeatureMap, error) {
	switch name {
	case "elu":
		return ELU{}, nil
	case "relu":
		return ReLU{}, nil
	case "identity":
		return Identity{}, nil
	case "taylor":
		return Taylor{}, nil
	case "favor":
		return NewFAVOR(DefaultFAVORFeatures, "linear:favor"), nil
	}
	var m int
	if _, err := fmt.Sscanf(name, "favor:%d", &m); err == nil && m > 0 && name == fmt.Sprintf("favor:%d", m) {
		return NewFAVOR(m, "linear:"+name), nil
	}
	return nil, fmt.Errorf("attention: unknown linear feature map %q (known: elu, relu, favor, favor:M, taylor, identity)", name)
}

// linearRule is the constructor New registers for kind "linear:"+name.
func linearRule[F Float](name string) func() Rule[F] {
	return func() Rule[F] {
		l, err := NewLinear[F](name)
		if err != nil {
			panic(err) // only registered names reach here
		}
		return l
	}
}

func (l Linear[F]) Name() string { return "linear:" + l.Map.Name() }

// linScratch holds one call's buffers; pooled so a training step
// allocates nothing once warm.
type linScratch[F Float] struct {
	pq, pk, dpq, dpk []F       // [T, M]
	x, dx            []float64 // [E]
	phi, dphi, zs    []float64 // [M]
	dens             []float64 // [T]
}

// linPools holds scratch for 4- and 8-byte elements.
var linPools [2]sync.Pool

func grow[T any](b []T, n int) []T {
	if cap(b) < n {
		return make([]T, n)
	}
	return b[:n]
}

func getScratch[F Float](T, E, M int) *linScratch[F] {
	s, ok := linPools[unsafe.Sizeof(F(0))/8].Get().(*linScratch[F])
	if !ok {
		s = new(linScratch[F])
	}
	s.pq, s.pk, s.dpq, s.dpk = grow(s.pq, T*M), grow(s.pk, T*M), grow(s.dpq, T*M), grow(s.dpk, T*M)
	s.x, s.dx = grow(s.x, E), grow(s.dx, E)
	s.phi, s.dphi, s.zs = grow(s.phi, M), grow(s.dphi, M), grow(s.zs, M)
	s.dens = grow(s.dens, T)
	return s
}

func putScratch[F Float](s *linScratch[F]) { linPools[unsafe.Sizeof(F(0))/8].Put(s) }

// features fills pq, pk [T, M] with φ(q_i), φ(k_i).
func (l Linear[F]) features(s *linScratch[F], q, k []F, ld, T, E, M int) {
	for _, side := range []struct {
		src   []F
		dst   []F
		query bool
	}{{q, s.pq, true}, {k, s.pk, false}} {
		for i := range T {
			for e := range E {
				s.x[e] = float64(side.src[i*ld+e])
			}
			l.Map.Map(s.phi, s.x, side.query)
			row := side.dst[i*M : (i+1)*M]
			for m, v := range s.phi {
				row[m] = F(v)
			}
		}
	}
}

// normalisers returns den(s_i), s_i = φ(q_i)·Σ_{j≤i} φ(k_j), from prefix
// sums of the key features (O(T·M), float64).
func normalisers[F Float](dst, zs []float64, pq, pk []F, T, M int) {
	clear(zs) // [M] running Σ φ(k_j)
	for i := range T {
		kr, qr := pk[i*M:(i+1)*M], pq[i*M:(i+1)*M]
		s := 0.0
		for m := range M {
			zs[m] += float64(kr[m])
			s += float64(qr[m]) * zs[m]
		}
		dst[i] = den(s)
	}
}

func (l Linear[F]) Forward(pattern, scores []F, q, k []F, ld, T, E int) {
	M := l.Map.Dim(E)
	s := getScratch[F](T, E, M)
	defer putScratch(s)
	l.features(s, q, k, ld, T, E, M)
	// a = φ(Q)·φ(K)ᵀ   [T, T]
	gemm.MatMul(false, true, T, T, M, s.pq, M, s.pk, M, pattern, T, false)
	for i := range T {
		row := pattern[i*T : (i+1)*T]
		if scores != nil {
			srow := scores[i*T : (i+1)*T]
			copy(srow[:i+1], row[:i+1])
			for j := i + 1; j < T; j++ {
				srow[j] = F(math.Inf(-1))
			}
		}
		sum := 0.0
		for j := 0; j <= i; j++ {
			sum += float64(row[j])
		}
		inv := 1 / den(sum)
		for j := 0; j <= i; j++ {
			row[j] = F(float64(row[j]) * inv)
		}
		clear(row[i+1:])
	}
}

// Backward differentiates pattern[i,j] = a[i,j]/den_i, a[i,j] = φ(q_i)·φ(k_j):
//
//	da[i,j] = (dpattern[i,j] − Σ_j' pattern[i,j']·dpattern[i,j']) / den_i   (j ≤ i)
//	dφ(Q) = da·φ(K),  dφ(K) = daᵀ·φ(Q),  dq += Jφ(q)ᵀ·dφ(q),  dk += Jφ(k)ᵀ·dφ(k)
func (l Linear[F]) Backward(dq, dk []F, ldd int, dpattern, pattern, q, k []F, ld, T, E int) {
	M := l.Map.Dim(E)
	s := getScratch[F](T, E, M)
	defer putScratch(s)
	l.features(s, q, k, ld, T, E, M)
	dens := s.dens
	normalisers(dens, s.zs, s.pq, s.pk, T, M)
	for i := range T {
		p, d := pattern[i*T:(i+1)*T], dpattern[i*T:(i+1)*T]
		dot := 0.0
		for j := 0; j <= i; j++ {
			dot += float64(p[j]) * float64(d[j])
		}
		inv := 1 / dens[i]
		for j := 0; j <= i; j++ {
			d[j] = F((float64(d[j]) - dot) * inv)
		}
		clear(d[i+1:])
	}
	gemm.MatMul(false, false, T, M, T, dpattern, T, s.pk, M, s.dpq, M, false)
	gemm.MatMul(true, false, T, M, T, dpattern, T, s.pq, M, s.dpk, M, false)
	for _, side := range []struct {
		src, dsrc []F
		phi, dphi []F
		query     bool
	}{{q, dq, s.pq, s.dpq, true}, {k, dk, s.pk, s.dpk, false}} {
		for i := range T {
			for e := range E {
				s.x[e] = float64(side.src[i*ld+e])
			}
			clear(s.dx)
			for m := range M {
				s.phi[m] = float64(side.phi[i*M+m])
				s.dphi[m] = float64(side.dphi[i*M+m])
			}
			l.Map.Grad(s.dx, s.dphi, s.x, s.phi, side.query)
			for e := range E {
				side.dsrc[i*ldd+e] += F(s.dx[e])
			}
		}
	}
}

// ELU is φ(x) = elu(x) + 1 (Katharopoulos et al. 2020), M = E.
type ELU struct{}

func (ELU) Name() string  { return "elu" }
func (ELU) Dim(E int) int { return E }
func (ELU) Map(phi, x []float64, _ bool) {
	for i, v := range x {
		if v > 0 {
			phi[i] = v + 1
		} else {
			phi[i] = math.Exp(v)
		}
	}
}

// Grad: φ'(x) = 1 for x > 0, exp(x) = φ(x) otherwise.
func (ELU) Grad(dx, dphi, x, phi []float64, _ bool) {
	for i, v := range x {
		if v > 0 {
			dx[i] += dphi[i]
		} else {
			dx[i] += dphi[i] * phi[i]
		}
	}
}

// ReLU is φ(x) = max(x, 0), M = E.
type ReLU struct{}

func (ReLU) Name() string  { return "relu" }
func (ReLU) Dim(E int) int { return E }
func (ReLU) Map(phi, x []float64, _ bool) {
	for i, v := range x {
		phi[i] = max(v, 0)
	}
}

// Grad: φ'(x) = 1 for x > 0, else 0.
func (ReLU) Grad(dx, dphi, x, _ []float64, _ bool) {
	for i, v := range x {
		if v > 0 {
			dx[i] += dphi[i]
		}
	}
}

// Identity is φ(x) = x, M = E: not positive, so the normaliser can vanish
// or change sign (see LinearEps).
type Identity struct{}

func (Identity) Name() string                 { return "identity" }
func (Identity) Dim(E int) int                { return E }
func (Identity) Map(phi, x []float64, _ bool) { copy(phi, x) }
func (Identity) Grad(dx, dphi, _, _ []float64, _ bool) {
	for i := range dx {
		dx[i] += dphi[i]
	}
}

// Taylor is Based's second-order Taylor feature map (Arora et al. 2024):
//
//	φ(x) = [1, x/E^¼, vec(x⊗x)/(√2·√E)],   M = 1 + E + E²
//
// so φ(q)·φ(k) = 1 + q·k/√E + (q·k)²/(2E), the expansion of exp(q·k/√E)
// to second order; it is always ≥ ½ > 0.
type Taylor struct{}

func (Taylor) Name() string  { return "taylor" }
func (Taylor) Dim(E int) int { return 1 + E + E*E }
func (Taylor) Map(phi, x []float64, _ bool) {
	E := len(x)
	c1 := 1 / math.Pow(float64(E), 0.25)
	c2 := 1 / (math.Sqrt2 * math.Sqrt(float64(E)))
	phi[0] = 1
	for a, v := range x {
		phi[1+a] = v * c1
		row := phi[1+E+a*E : 1+E+(a+1)*E]
		for b, w := range x {
			row[b] = v * w * c2
		}
	}
}

// Grad: ∂φ_{ab}/∂x_c = (δ_ac·x_b + x_a·δ_bc)·c2.
func (Taylor) Grad(dx, dphi, x, _ []float64, _ bool) {
	E := len(x)
	c1 := 1 / math.Pow(float64(E), 0.25)
	c2 := 1 / (math.Sqrt2 * math.Sqrt(float64(E)))
	for a := range E {
		g := dphi[1+a] * c1
		for b, w := range x {
			g += (dphi[1+E+a*E+b] + dphi[1+E+b*E+a]) * w * c2
		}
		dx[a] += g
	}
}
