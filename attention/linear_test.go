package attention

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

var linearMaps = []string{"elu", "relu", "favor", "favor:16", "taylor", "identity"}

// randQK returns q, k [T, E] with row stride ld > E (so strides are
// exercised); identity gets an offset keeping its normaliser away from 0,
// where the map is ill-conditioned by design.
func randQK(r *rand.Rand, name string, T, E, ld int) (q, k []float64) {
	q, k = make([]float64, T*ld), make([]float64, T*ld)
	off := 0.0
	if name == "identity" {
		off = 0.7
	}
	for i := range q {
		q[i], k[i] = r.NormFloat64()*0.8+off, r.NormFloat64()*0.8+off
	}
	return q, k
}

// refPattern is the plain O(T²·M) definition, in float64.
func refPattern(fm FeatureMap, q, k []float64, ld, T, E int) []float64 {
	M := fm.Dim(E)
	p := make([]float64, T*T)
	pq, pk := make([]float64, M), make([]float64, M)
	for i := range T {
		fm.Map(pq, q[i*ld:i*ld+E], true)
		s := 0.0
		for j := 0; j <= i; j++ {
			fm.Map(pk, k[j*ld:j*ld+E], false)
			p[i*T+j] = dot(pq, pk)
			s += p[i*T+j]
		}
		for j := 0; j <= i; j++ {
			p[i*T+j] /= den(s)
		}
	}
	return p
}

func TestLinearForwardMatchesReference(t *testing.T) {
	t.Parallel()
	for _, name := range linearMaps {
		for _, sz := range [][2]int{{1, 3}, {7, 5}, {33, 8}} {
			T, E, ld := sz[0], sz[1], sz[1]+3
			r := rand.New(rand.NewPCG(1, uint64(T)))
			q, k := randQK(r, name, T, E, ld)
			q0, k0 := slices.Clone(q), slices.Clone(k)
			l, err := NewLinear[float64](name)
			if err != nil {
				t.Fatal(err)
			}
			got, scores := make([]float64, T*T), make([]float64, T*T)
			l.Forward(got, scores, q, k, ld, T, E)
			want := refPattern(l.Map, q, k, ld, T, E)
			for i := range got {
				if d := math.Abs(got[i] - want[i]); d > 1e-9*math.Max(1, math.Abs(want[i])) {
					t.Fatalf("%s T=%d E=%d: pattern[%d] = %g, want %g", name, T, E, i, got[i], want[i])
				}
			}
			if !math.IsInf(scores[T-1], -1) && T > 1 {
				t.Errorf("%s: masked score = %g, want -Inf", name, scores[T-1])
			}
			if !slices.Equal(q, q0) || !slices.Equal(k, k0) {
				t.Errorf("%s: Forward changed its inputs", name)
			}
			// float32 path agrees with the float64 reference to float32 precision
			l32, _ := NewLinear[float32](name)
			q32, k32, p32 := make([]float32, len(q)), make([]float32, len(k)), make([]float32, T*T)
			for i := range q {
				q32[i], k32[i] = float32(q[i]), float32(k[i])
			}
			l32.Forward(p32, nil, q32, k32, ld, T, E)
			for i := range p32 {
				if d := math.Abs(float64(p32[i]) - want[i]); d > 2e-4*math.Max(1, math.Abs(want[i])) {
					t.Fatalf("%s float32: pattern[%d] = %g, want %g", name, i, p32[i], want[i])
				}
			}
		}
	}
}

// TestLinearGradient checks Backward against central differences of
// L = Σ dP ⊙ pattern(q, k) in float64.
func TestLinearGradient(t *testing.T) {
	t.Parallel()
	const T, E, ld, h = 9, 4, 6, 1e-6
	for _, name := range linearMaps {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := rand.New(rand.NewPCG(2, 3))
			q, k := randQK(r, name, T, E, ld)
			dP := make([]float64, T*T)
			for i := range dP {
				dP[i] = r.NormFloat64()
			}
			l, _ := NewLinear[float64](name)
			loss := func() float64 {
				p := make([]float64, T*T)
				l.Forward(p, nil, q, k, ld, T, E)
				s := 0.0
				for i := range p {
					s += p[i] * dP[i]
				}
				return s
			}
			p := make([]float64, T*T)
			l.Forward(p, nil, q, k, ld, T, E)
			dq, dk := make([]float64, T*ld), make([]float64, T*ld)
			l.Backward(dq, dk, ld, slices.Clone(dP), p, q, k, ld, T, E)
			worst := 0.0
			for _, v := range []struct {
				x, g []float64
				n    string
			}{{q, dq, "q"}, {k, dk, "k"}} {
				for i := range T {
					for e := range E {
						at := i*ld + e
						x0 := v.x[at]
						v.x[at] = x0 + h
						lp := loss()
						v.x[at] = x0 - h
						lm := loss()
						v.x[at] = x0
						num := (lp - lm) / (2 * h)
						rel := math.Abs(num-v.g[at]) / math.Max(math.Max(math.Abs(num), math.Abs(v.g[at])), 1e-3)
						worst = max(worst, rel)
						if rel > 1e-4 {
							t.Errorf("d%s[%d,%d] = %.8g, finite difference %.8g (rel err %.2g)", v.n, i, e, v.g[at], num, rel)
						}
					}
				}
			}
			t.Logf("%s: max rel err %.2g", name, worst)
		})
	}
}

func TestLinearRecurrentEqualsQuadratic(t *testing.T) {
	t.Parallel()
	for _, name := range linearMaps {
		const T, E, Ev, ld, ldv = 41, 6, 5, 7, 9
		r := rand.New(rand.NewPCG(3, 4))
		q, k := randQK(r, name, T, E, ld)
		v := make([]float64, T*ldv)
		for i := range v {
			v[i] = r.NormFloat64()
		}
		l, _ := NewLinear[float64](name)
		p := make([]float64, T*T)
		l.Forward(p, nil, q, k, ld, T, E)
		quad := make([]float64, T*Ev)
		for i := range T {
			for j := 0; j <= i; j++ {
				for c := range Ev {
					quad[i*Ev+c] += p[i*T+j] * v[j*ldv+c]
				}
			}
		}
		rec := make([]float64, T*Ev)
		l.Recurrent(rec, Ev, q, k, ld, v, ldv, T, E, Ev)
		worst := 0.0
		for i := range rec {
			worst = max(worst, math.Abs(rec[i]-quad[i])/math.Max(math.Abs(quad[i]), 1e-3))
		}
		if worst > 1e-5 {
			t.Errorf("%s: recurrent and quadratic forms differ by %.3g relative, want ≤ 1e-5", name, worst)
		}
	}
}

// TestFAVORUnbiased: over many independent feature draws, the mean of
// φ(q)·φ(k) is exp(q·k/√E) within 4 standard errors, and so is the
// orthogonal estimator's mean at several q·k.
func TestFAVORUnbiased(t *testing.T) {
	t.Parallel()
	const E, m, draws = 4, 8, 4000
	r := rand.New(rand.NewPCG(5, 6))
	for _, c := range []float64{-0.5, 0.3, 1.0} {
		q, k := make([]float64, E), make([]float64, E)
		for e := range E {
			q[e], k[e] = r.NormFloat64(), r.NormFloat64()
		}
		// rescale so q·k/√E = c
		s := c * math.Sqrt(E) / dot(q, k)
		for e := range E {
			q[e] *= math.Sqrt(math.Abs(s))
			k[e] *= math.Sqrt(math.Abs(s)) * math.Copysign(1, s)
		}
		want := math.Exp(dot(q, k) / math.Sqrt(E))
		pq, pk := make([]float64, m), make([]float64, m)
		var sum, sum2 float64
		for d := range draws {
			f := NewFAVOR(m, fmt.Sprintf("test:%d", d))
			f.Map(pq, q, false)
			f.Map(pk, k, false)
			x := dot(pq, pk)
			sum += x
			sum2 += x * x
		}
		mean := sum / draws
		se := math.Sqrt((sum2/draws - mean*mean) / draws)
		if math.Abs(mean-want) > 4*se {
			t.Errorf("q·k/√E = %g: mean estimate %.4f ± %.4f, want exp = %.4f", c, mean, se, want)
		}
	}
}

// TestFAVOROrthogonal: within a block the features are orthogonal, and the
// same seed string gives the same features.
func TestFAVOROrthogonal(t *testing.T) {
	t.Parallel()
	const E = 5
	w := NewFAVOR(12, "x").Features(E)
	for i := range E {
		for j := range i {
			if d := dot(w[i*E:(i+1)*E], w[j*E:(j+1)*E]); math.Abs(d) > 1e-9 {
				t.Errorf("ω_%d·ω_%d = %g, want 0", i, j, d)
			}
		}
	}
	if !slices.Equal(w, NewFAVOR(12, "x").Features(E)) {
		t.Error("same seed string, different features")
	}
	if slices.Equal(w, NewFAVOR(12, "y").Features(E)) {
		t.Error("different seed strings, same features")
	}
}

func TestLinearKinds(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{"linear:elu", "linear:relu", "linear:favor", "linear:taylor", "linear:identity"} {
		r, err := New[float32](kind)
		if err != nil {
			t.Fatal(err)
		}
		if r.Name() != kind {
			t.Errorf("New(%q).Name() = %q", kind, r.Name())
		}
	}
	if l, err := NewLinear[float32]("favor:32"); err != nil || l.Name() != "linear:favor:32" || l.Map.Dim(8) != 32 {
		t.Errorf("favor:32: %v, %v", l, err)
	}
	for _, bad := range []string{"cosine", "favor:0", "favor:x", "favor:3x"} {
		if _, err := NewFeatureMap(bad); err == nil {
			t.Errorf("NewFeatureMap(%q) succeeded", bad)
		}
	}
	if got := (Taylor{}).Dim(16); got != 273 {
		t.Errorf("taylor Dim(16) = %d, want 273", got)
	}
}

// TestTaylorKernel: φ(q)·φ(k) = 1 + q·k/√E + (q·k)²/(2E) exactly.
func TestTaylorKernel(t *testing.T) {
	t.Parallel()
	q, k := []float64{0.5, -1, 2}, []float64{1, 0.25, -0.5}
	pq, pk := make([]float64, 13), make([]float64, 13)
	Taylor{}.Map(pq, q, true)
	Taylor{}.Map(pk, k, false)
	x := dot(q, k)
	want := 1 + x/math.Sqrt(3) + x*x/6
	if got := dot(pq, pk); math.Abs(got-want) > 1e-12 {
		t.Errorf("φ(q)·φ(k) = %g, want %g", got, want)
	}
}
