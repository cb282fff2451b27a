package attention

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// refLinearZ is the plain definition z = pattern·v in float64 (refPattern
// is the O(T²·M) pattern): out [T, Ev] with row stride Ev.
func refLinearZ(fm FeatureMap, q, k []float64, ld int, v []float64, ldv, T, E, Ev int) []float64 {
	p := refPattern(fm, q, k, ld, T, E)
	z := make([]float64, T*Ev)
	for i := range T {
		for j := 0; j <= i; j++ {
			for c := range Ev {
				z[i*Ev+c] += p[i*T+j] * v[j*ldv+c]
			}
		}
	}
	return z
}

func toF32(x []float64) []float32 {
	y := make([]float32, len(x))
	for i, v := range x {
		y[i] = float32(v)
	}
	return y
}

func toF64(x []float32) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	return y
}

// chunkCase is one shape: T rows in chunks of C, E and Ev dimensions, row
// strides above the minimum.
type chunkCase struct{ T, C, E, Ev int }

var chunkCases = []chunkCase{{1, 0, 4, 3}, {7, 4, 5, 6}, {33, 8, 8, 8}, {64, 16, 16, 16}, {100, 0, 16, 9}, {130, 64, 32, 32}, {200, 32, 8, 16}}

func randV(r *rand.Rand, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = r.NormFloat64()
	}
	return v
}

// TestLinearChunkedForward: the chunked form equals the float64 definition,
// the float32 quadratic form (Linear.Forward, then pattern·v) and the
// recurrence (Linear.Recurrent), within 1e-5 (relative to the largest output,
// about 1 here, so absolute), for every feature map, chunk lengths that do
// and do not divide T, and strided inputs; it leaves its inputs unchanged.
func TestLinearChunkedForward(t *testing.T) {
	t.Parallel()
	for _, name := range linearMaps {
		for _, c := range chunkCases {
			if name == "taylor" && c.E > 16 {
				continue // M = 1 + E + E²: slow float64 reference, nothing new
			}
			t.Run(fmt.Sprintf("%s/T%d_C%d_E%d_Ev%d", name, c.T, c.C, c.E, c.Ev), func(t *testing.T) {
				t.Parallel()
				ld, ldv, ldo := c.E+3, c.Ev+2, c.Ev+1
				r := rand.New(rand.NewPCG(7, uint64(c.T)))
				q, k := randQK(r, name, c.T, c.E, ld)
				v := randV(r, c.T*ldv)
				want := refLinearZ(mustMap(t, name), q, k, ld, v, ldv, c.T, c.E, c.Ev)

				fm := mustMap(t, name)
				q32, k32, v32 := toF32(q), toF32(k), toF32(v)
				q0, k0, v0 := slices.Clone(q32), slices.Clone(k32), slices.Clone(v32)
				got := make([]float32, c.T*ldo)
				LinearChunked{Map: fm, Chunk: c.C}.forward(chunkIn{q32, k32, v32, ld, ld, ldv, c.T, c.E, c.Ev}, got, ldo)
				if !slices.Equal(q32, q0) || !slices.Equal(k32, k0) || !slices.Equal(v32, v0) {
					t.Fatal("Forward changed its inputs")
				}
				// The quadratic form in float32 and the recurrence (float64 state).
				quad := make([]float32, c.T*ldo)
				pat := make([]float32, c.T*c.T)
				Linear[float32]{Map: fm}.Forward(pat, nil, q32, k32, ld, c.T, c.E)
				for i := range c.T {
					for j := 0; j <= i; j++ {
						for e := range c.Ev {
							quad[i*ldo+e] += pat[i*c.T+j] * v32[j*ldv+e]
						}
					}
				}
				rec := make([]float32, c.T*ldo)
				Linear[float32]{Map: fm}.Recurrent(rec, ldo, q32, k32, ld, v32, ldv, c.T, c.E, c.Ev)

				scale := 0.0
				for _, x := range want {
					scale = max(scale, math.Abs(x))
				}
				tol := 1e-5 * math.Max(1, scale)
				for _, other := range []struct {
					name string
					z    []float32
				}{{"chunked vs float64", got}, {"quadratic vs float64", quad}, {"recurrent vs float64", rec}} {
					worst := 0.0
					for i := range c.T {
						for e := range c.Ev {
							worst = max(worst, math.Abs(float64(other.z[i*ldo+e])-want[i*c.Ev+e]))
						}
					}
					if worst > tol && other.name == "chunked vs float64" {
						t.Errorf("%s: max difference %.3g, want ≤ %.3g", other.name, worst, tol)
					}
					t.Logf("%s: %.3g", other.name, worst)
				}
				for i := range c.T {
					for e := range c.Ev {
						if d := math.Abs(float64(got[i*ldo+e] - quad[i*ldo+e])); d > tol {
							t.Fatalf("out[%d,%d]: chunked %g, quadratic %g", i, e, got[i*ldo+e], quad[i*ldo+e])
						}
						if d := math.Abs(float64(got[i*ldo+e] - rec[i*ldo+e])); d > tol {
							t.Fatalf("out[%d,%d]: chunked %g, recurrent %g", i, e, got[i*ldo+e], rec[i*ldo+e])
						}
					}
					if ldo > c.Ev && got[i*ldo+c.Ev] != 0 {
						t.Fatalf("Forward wrote into the padding of row %d", i)
					}
				}
			})
		}
	}
}

func mustMap(t *testing.T, name string) FeatureMap {
	t.Helper()
	fm, err := NewFeatureMap(name)
	if err != nil {
		t.Fatal(err)
	}
	return fm
}

// TestLinearChunkedGradient checks Backward against central differences of
// L = Σ w ⊙ z(q, k, v) in float64 (the float64 definition refLinearZ), for
// every map, with several chunks, and that it accumulates into dq, dk, dv.
func TestLinearChunkedGradient(t *testing.T) {
	t.Parallel()
	const T, C, E, Ev, ld, ldv, ldo, ldd, h = 11, 4, 4, 3, 6, 5, 4, 7, 1e-6
	for _, name := range linearMaps {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := rand.New(rand.NewPCG(8, 9))
			q, k := randQK(r, name, T, E, ld)
			v, w := randV(r, T*ldv), randV(r, T*Ev)
			fm := mustMap(t, name)
			loss := func() float64 {
				z := refLinearZ(fm, q, k, ld, v, ldv, T, E, Ev)
				s := 0.0
				for i := range z {
					s += z[i] * w[i]
				}
				return s
			}
			l := LinearChunked{Map: fm, Chunk: C}
			q32, k32, v32 := toF32(q), toF32(k), toF32(v)
			out := make([]float32, T*ldo)
			x := chunkIn{q32, k32, v32, ld, ld, ldv, T, E, Ev}
			l.forward(x, out, ldo)
			dout := make([]float32, T*ldo)
			for i := range T {
				for e := range Ev {
					dout[i*ldo+e] = float32(w[i*Ev+e])
				}
			}
			// Start the gradients at 1 to see that Backward accumulates.
			dq, dk, dv := make([]float32, T*ldd), make([]float32, T*ldd), make([]float32, T*ldd)
			for i := range dq {
				dq[i], dk[i], dv[i] = 1, 1, 1
			}
			l.backward(x, out, ldo, dout, ldo, Grads{dq, dk, dv, ldd, ldd, ldd})
			worst := 0.0
			for _, x := range []struct {
				x    []float64
				g    []float32
				n    string
				cols int
				ld   int
			}{{q, dq, "q", E, ld}, {k, dk, "k", E, ld}, {v, dv, "v", Ev, ldv}} {
				for i := range T {
					for e := range x.cols {
						at := i*x.ld + e
						x0 := x.x[at]
						x.x[at] = x0 + h
						lp := loss()
						x.x[at] = x0 - h
						lm := loss()
						x.x[at] = x0
						num := (lp - lm) / (2 * h)
						got := float64(x.g[i*ldd+e]) - 1
						rel := math.Abs(num-got) / math.Max(math.Max(math.Abs(num), math.Abs(got)), 1e-2)
						worst = max(worst, rel)
						if rel > 5e-4 {
							t.Errorf("d%s[%d,%d] = %.6g, finite difference %.6g (rel err %.2g)", x.n, i, e, got, num, rel)
						}
					}
				}
			}
			t.Logf("%s: max rel err %.2g (float32 gradient against float64 differences)", name, worst)
		})
	}
}

// TestLinearChunkedBackwardMatchesQuadratic: on a training-sized head the
// engine's fused path (Linear's FusedForward and FusedBackward: the chunked
// form) equals the quadratic form (z = pattern·v; dpattern = dz·vᵀ, dv =
// patternᵀ·dz, then Linear.Backward) within float32 rounding, for chunk
// lengths below, equal to and above T.
func TestLinearChunkedBackwardMatchesQuadratic(t *testing.T) {
	t.Parallel()
	const T, E, ld = 65, 16, 48
	for _, name := range []string{"elu", "relu", "favor"} {
		for _, C := range []int{16, 64, 128} {
			r := rand.New(rand.NewPCG(10, uint64(C)))
			q, k := randQK(r, name, T, E, ld)
			v, dz := randV(r, T*ld), randV(r, T*E)
			q32, k32, v32, dz32 := toF32(q), toF32(k), toF32(v), toF32(dz)
			fm := mustMap(t, name)
			// quadratic
			lin := Linear[float32]{Map: fm}
			pat := make([]float32, T*T)
			lin.Forward(pat, nil, q32, k32, ld, T, E)
			z := make([]float32, T*E)
			dpat := make([]float32, T*T)
			wdq, wdk, wdv := make([]float32, T*ld), make([]float32, T*ld), make([]float32, T*ld)
			for i := range T {
				for j := 0; j <= i; j++ {
					for e := range E {
						z[i*E+e] += pat[i*T+j] * v32[j*ld+e]
						dpat[i*T+j] += dz32[i*E+e] * v32[j*ld+e]
						wdv[j*ld+e] += pat[i*T+j] * dz32[i*E+e]
					}
				}
			}
			lin.Backward(wdq, wdk, ld, dpat, pat, q32, k32, ld, T, E)
			// chunked, through the Fused interface the engine calls
			var f Fused = Linear[float32]{Map: fm}
			if C != LinearChunk {
				f = chunkedRule{LinearChunked{Map: fm, Chunk: C}}
			}
			x := QKV{Q: q32, K: k32, V: v32, LQ: ld, LK: ld, LV: ld, T: T, E: E}
			out, lse := make([]float32, T*E), make([]float32, T)
			if err := f.FusedForward(context.Background(), x, out, E, lse); err != nil {
				t.Fatal(err)
			}
			for i := range out {
				if d := math.Abs(float64(out[i] - z[i])); d > 1e-5 {
					t.Fatalf("%s C=%d: z[%d] = %g, quadratic form %g", name, C, i, out[i], z[i])
				}
			}
			dq, dk, dv := make([]float32, T*ld), make([]float32, T*ld), make([]float32, T*ld)
			if err := f.FusedBackward(context.Background(), x, out, E, lse, dz32, E, Grads{dq, dk, dv, ld, ld, ld}); err != nil {
				t.Fatal(err)
			}
			for _, g := range []struct {
				n         string
				got, want []float32
			}{{"dq", dq, wdq}, {"dk", dk, wdk}, {"dv", dv, wdv}} {
				scale, worst := 0.0, 0.0
				for i := range g.want {
					scale = max(scale, math.Abs(float64(g.want[i])))
					worst = max(worst, math.Abs(float64(g.got[i]-g.want[i])))
				}
				if worst > 1e-4*scale {
					t.Errorf("%s C=%d %s: max difference %.3g of max %.3g", name, C, g.n, worst, scale)
				}
			}
		}
	}
}

// chunkedRule runs a LinearChunked with its own chunk length as a Fused.
type chunkedRule struct{ l LinearChunked }

func (c chunkedRule) FusedForward(_ context.Context, x QKV, z []float32, ldz int, _ []float32) error {
	c.l.Forward(x, z, ldz)
	return nil
}

func (c chunkedRule) FusedBackward(_ context.Context, x QKV, z []float32, ldz int, _, dz []float32, lddz int, g Grads) error {
	c.l.Backward(x, z, ldz, dz, lddz, g)
	return nil
}
