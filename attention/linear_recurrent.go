package attention

// LinearState is the recurrent state of causal linear attention for one
// head (Katharopoulos et al. 2020, eq. 10–12, "Transformers are RNNs"):
//
//	S_i = S_{i−1} + φ(k_i)·v_iᵀ   [M, Ev]
//	z_i = z_{i−1} + φ(k_i)         [M]
//	out_i = φ(q_i)ᵀ·S_i / (φ(q_i)·z_i + ε·sgn)
//
// O(M·Ev) memory whatever the context length, O(M·Ev) time per token. The
// state is float64: it sums the whole past.
type LinearState struct {
	Map   FeatureMap
	E, Ev int       // key and value dimensions
	M     int       // feature dimension Map.Dim(E)
	S     []float64 // [M, Ev]
	Z     []float64 // [M]
	N     int       // tokens seen

	x, phi, num []float64 // [E], [M], [Ev] scratch
}

// NewLinearState returns an empty state for keys of dimension E and values
// of dimension Ev.
func NewLinearState(fm FeatureMap, E, Ev int) *LinearState {
	M := fm.Dim(E)
	return &LinearState{Map: fm, E: E, Ev: Ev, M: M, S: make([]float64, M*Ev), Z: make([]float64, M),
		x: make([]float64, E), phi: make([]float64, M), num: make([]float64, Ev)}
}

// Step adds the pair (k, v) to the state, then writes out [Ev] = the
// attention output for query q; k, q [E], v [Ev].
func Step[F Float](s *LinearState, out, q, k, v []F) {
	for e := range s.E {
		s.x[e] = float64(k[e])
	}
	s.Map.Map(s.phi, s.x, false)
	for m, p := range s.phi {
		s.Z[m] += p
		if p == 0 {
			continue
		}
		row := s.S[m*s.Ev : (m+1)*s.Ev]
		for c := range row {
			row[c] += p * float64(v[c])
		}
	}
	s.N++
	for e := range s.E {
		s.x[e] = float64(q[e])
	}
	s.Map.Map(s.phi, s.x, true)
	clear(s.num)
	sum := 0.0
	for m, p := range s.phi {
		sum += p * s.Z[m]
		if p == 0 {
			continue
		}
		row := s.S[m*s.Ev : (m+1)*s.Ev]
		for c, w := range row {
			s.num[c] += p * w
		}
	}
	inv := 1 / den(sum)
	for c := range s.Ev {
		out[c] = F(s.num[c] * inv)
	}
}

// Recurrent computes causal linear attention for one sequence and head in
// O(T·M·Ev) time and O(M·Ev) memory: out [T, Ev] (row stride ldo) from
// q, k [T, E] (stride ld) and v [T, Ev] (stride ldv). It equals
// Forward's pattern·v (the quadratic form) up to rounding.
func (l Linear[F]) Recurrent(out []F, ldo int, q, k []F, ld int, v []F, ldv, T, E, Ev int) {
	s := NewLinearState(l.Map, E, Ev)
	for i := range T {
		Step(s, out[i*ldo:i*ldo+Ev], q[i*ld:i*ld+E], k[i*ld:i*ld+E], v[i*ldv:i*ldv+Ev])
	}
}
