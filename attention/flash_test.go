package attention

import (
	"context"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
)

// refAttend is the plain float64 reference of BlockForward: refMasked
// with key j visible to query i iff kpos[j] ≤ qpos[i].
func refAttend(q, k, v []float64, qpos, kpos []int, E int, scale float64) (out, lse []float64) {
	return refMasked(q, k, v, len(qpos), len(kpos), E, scale, func(i, j int) bool { return kpos[j] <= qpos[i] })
}

// refMasked is masked dense attention in float64: for each query, the
// softmax of scale·q·k over the keys vis allows, then out = Σ p·v and
// lse = log Σ e^s; a query that sees nothing gets 0, −Inf.
func refMasked(q, k, v []float64, Tq, Tk, E int, scale float64, vis func(i, j int) bool) (out, lse []float64) {
	out, lse = make([]float64, Tq*E), make([]float64, Tq)
	for i := range Tq {
		s := make([]float64, Tk)
		mx := math.Inf(-1)
		for j := range Tk {
			s[j] = math.Inf(-1)
			if vis(i, j) {
				s[j] = 0
				for e := range E {
					s[j] += q[i*E+e] * k[j*E+e]
				}
				s[j] *= scale
				mx = max(mx, s[j])
			}
		}
		if math.IsInf(mx, -1) {
			lse[i] = mx
			continue
		}
		z := 0.0
		for j := range Tk {
			z += math.Exp(s[j] - mx)
		}
		for j := range Tk {
			pj := math.Exp(s[j]-mx) / z
			for e := range E {
				out[i*E+e] += pj * v[j*E+e]
			}
		}
		lse[i] = mx + math.Log(z)
	}
	return out, lse
}

// refAttendBackward is refMaskedBackward for BlockForward's rule.
func refAttendBackward(dout, q, k, v []float64, qpos, kpos []int, E int, scale float64) (dq, dk, dv []float64) {
	return refMaskedBackward(dout, q, k, v, len(qpos), len(kpos), E, scale, func(i, j int) bool { return kpos[j] <= qpos[i] })
}

// refMaskedBackward is refMasked's backward written from the pattern:
//
//	dv[j] = Σ_i p[i,j]·dout[i],  dp[i,j] = dout[i]·v[j],
//	ds[i,j] = p[i,j]·(dp[i,j] − Σ_j' p[i,j']·dp[i,j']),
//	dq[i] = scale·Σ_j ds[i,j]·k[j],  dk[j] = scale·Σ_i ds[i,j]·q[i]
func refMaskedBackward(dout, q, k, v []float64, Tq, Tk, E int, scale float64, vis func(i, j int) bool) (dq, dk, dv []float64) {
	dq, dk, dv = make([]float64, Tq*E), make([]float64, Tk*E), make([]float64, Tk*E)
	_, lse := refMasked(q, k, v, Tq, Tk, E, scale, vis)
	for i := range Tq {
		if math.IsInf(lse[i], -1) {
			continue
		}
		p, dp := make([]float64, Tk), make([]float64, Tk)
		dot := 0.0
		for j := range Tk {
			if !vis(i, j) {
				continue
			}
			s := 0.0
			for e := range E {
				s += q[i*E+e] * k[j*E+e]
				dp[j] += dout[i*E+e] * v[j*E+e]
			}
			p[j] = math.Exp(s*scale - lse[i])
			dot += p[j] * dp[j]
		}
		for j := range Tk {
			ds := p[j] * (dp[j] - dot) * scale
			for e := range E {
				dv[j*E+e] += p[j] * dout[i*E+e]
				dq[i*E+e] += ds * k[j*E+e]
				dk[j*E+e] += ds * q[i*E+e]
			}
		}
	}
	return dq, dk, dv
}

// relErr is max |got − want| / max |want| (the "relative" of the acceptance
// tests: a tensor's error against its own scale); against an all-zero want
// (a single key has no score gradient) it is the absolute error.
func relErr(got []float32, want []float64) float64 {
	d, big := 0.0, 0.0
	for i, w := range want {
		d = max(d, math.Abs(float64(got[i])-w))
		big = max(big, math.Abs(w))
	}
	if big < 1e-12 {
		return d
	}
	return d / big
}

// flashCase is one problem: sizes and a position layout.
type flashCase struct {
	name       string
	qpos, kpos []int
}

func flashCases(r *rand.Rand) []flashCase {
	var cs []flashCase
	for _, T := range []int{1, 2, 63, 64, 65, 130, 200} {
		cs = append(cs, flashCase{"causal", positions(T), positions(T)})
	}
	shift := func(p []int, d int) []int {
		q := slices.Clone(p)
		for i := range q {
			q[i] += d
		}
		return q
	}
	// Ring-style blocks: queries after, before (nothing visible) and
	// overlapping the keys.
	cs = append(cs,
		flashCase{"after", shift(positions(70), 200), positions(130)},
		flashCase{"before", positions(40), shift(positions(90), 100)},
		flashCase{"overlap", shift(positions(100), 50), positions(129)},
		flashCase{"one-query", []int{77}, positions(150)},
	)
	// Zigzag-like, non-monotone key positions (the per-row mask path).
	perm := r.Perm(150)
	cs = append(cs, flashCase{"permuted", r.Perm(97), perm})
	return cs
}

func randF32(r *rand.Rand, n int, sd float64) ([]float32, []float64) {
	a, b := make([]float32, n), make([]float64, n)
	for i := range a {
		a[i] = float32(r.NormFloat64() * sd)
		b[i] = float64(a[i])
	}
	return a, b
}

// TestBlockForward compares BlockForward with the float64 reference on
// causal sequences crossing the tile sizes, ring-style blocks whose queries
// follow, precede or overlap the keys, one query, and permuted positions:
// out within 1e-5 relative, lse within 1e-5·(1+|lse|), −Inf exactly where
// nothing is visible, inputs unchanged.
func TestBlockForward(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(11, 1))
	for _, E := range []int{16, 64, 24} {
		for _, c := range flashCases(r) {
			Tq, Tk := len(c.qpos), len(c.kpos)
			q32, q := randF32(r, Tq*E, 1)
			k32, k := randF32(r, Tk*E, 1)
			v32, v := randF32(r, Tk*E, 1)
			q0, k0, v0 := slices.Clone(q32), slices.Clone(k32), slices.Clone(v32)
			scale := 1 / math.Sqrt(float64(E))
			want, wlse := refAttend(q, k, v, c.qpos, c.kpos, E, scale)
			out, lse := make([]float32, Tq*E), make([]float32, Tq)
			for i := range out {
				out[i] = 7 // overwritten, not accumulated
			}
			BlockForward(out, lse, q32, k32, v32, c.qpos, c.kpos, E, float32(scale))
			if e := relErr(out, want); e > 1e-5 {
				t.Errorf("%s Tq=%d Tk=%d E=%d: out error %.2g relative", c.name, Tq, Tk, E, e)
			}
			for i := range Tq {
				if math.IsInf(wlse[i], -1) != math.IsInf(float64(lse[i]), -1) ||
					!math.IsInf(wlse[i], -1) && math.Abs(float64(lse[i])-wlse[i]) > 1e-5*(1+math.Abs(wlse[i])) {
					t.Fatalf("%s Tq=%d Tk=%d E=%d: lse[%d] = %g, want %g", c.name, Tq, Tk, E, i, lse[i], wlse[i])
				}
			}
			if !slices.Equal(q0, q32) || !slices.Equal(k0, k32) || !slices.Equal(v0, v32) {
				t.Fatalf("%s: BlockForward changed its inputs", c.name)
			}
		}
	}
}

// TestMergeLSE splits the keys of each case in two at random and merges the
// halves' results: the merge equals the whole (1e-5 relative), including
// rows that see only one half or neither; merging an all-(−Inf) part
// changes nothing.
func TestMergeLSE(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(11, 2))
	const E = 32
	for _, c := range flashCases(r) {
		Tq, Tk := len(c.qpos), len(c.kpos)
		if Tk < 2 {
			continue
		}
		q32, q := randF32(r, Tq*E, 1)
		k32, k := randF32(r, Tk*E, 1)
		v32, v := randF32(r, Tk*E, 1)
		want, _ := refAttend(q, k, v, c.qpos, c.kpos, E, 0.2)
		cut := 1 + r.IntN(Tk-1)
		o1, l1 := make([]float32, Tq*E), make([]float32, Tq)
		o2, l2 := make([]float32, Tq*E), make([]float32, Tq)
		BlockForward(o1, l1, q32, k32[:cut*E], v32[:cut*E], c.qpos, c.kpos[:cut], E, 0.2)
		BlockForward(o2, l2, q32, k32[cut*E:], v32[cut*E:], c.qpos, c.kpos[cut:], E, 0.2)
		MergeLSE(o1, l1, o2, l2, E)
		if e := relErr(o1, want); e > 1e-5 {
			t.Errorf("%s cut %d: merged out error %.2g", c.name, cut, e)
		}
		before := slices.Clone(o1)
		none := make([]float32, Tq)
		for i := range none {
			none[i] = float32(math.Inf(-1))
		}
		MergeLSE(o1, l1, make([]float32, Tq*E), none, E)
		if !slices.Equal(before, o1) {
			t.Errorf("%s: merging an empty part changed out", c.name)
		}
	}
}

// TestRefAttendBackwardFD checks the float64 reference backward against
// central finite differences of L = Σ g·out, on a small problem with
// ring-style and permuted positions.
func TestRefAttendBackwardFD(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(11, 3))
	const E = 5
	for _, c := range []flashCase{{"causal", positions(7), positions(7)}, {"overlap", []int{3, 4, 9, 1}, []int{0, 5, 2, 8, 6, 4}}} {
		Tq, Tk := len(c.qpos), len(c.kpos)
		_, q := randF32(r, Tq*E, 1)
		_, k := randF32(r, Tk*E, 1)
		_, v := randF32(r, Tk*E, 1)
		_, g := randF32(r, Tq*E, 1)
		loss := func() float64 {
			out, _ := refAttend(q, k, v, c.qpos, c.kpos, E, 0.4)
			s := 0.0
			for i := range out {
				s += out[i] * g[i]
			}
			return s
		}
		dq, dk, dv := refAttendBackward(g, q, k, v, c.qpos, c.kpos, E, 0.4)
		for name, pair := range map[string][2][]float64{"q": {q, dq}, "k": {k, dk}, "v": {v, dv}} {
			x, grad := pair[0], pair[1]
			for i := range x {
				const h = 1e-6
				x0 := x[i]
				x[i] = x0 + h
				lp := loss()
				x[i] = x0 - h
				lm := loss()
				x[i] = x0
				fd := (lp - lm) / (2 * h)
				if math.Abs(fd-grad[i]) > 1e-7*(1+math.Abs(fd)) {
					t.Fatalf("%s: d%s[%d] = %g, finite difference %g", c.name, name, i, grad[i], fd)
				}
			}
		}
	}
}

// TestBlockBackward compares BlockBackward (with the whole problem's lse
// and delta from BlockForward) with the reference backward: dq, dk, dv
// within 1e-5 relative, accumulated onto what was there. It also splits the
// keys in two blocks, as the ring does: the two calls with the final lse
// give the same gradients.
func TestBlockBackward(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(11, 4))
	for _, E := range []int{16, 64} {
		for _, c := range flashCases(r) {
			Tq, Tk := len(c.qpos), len(c.kpos)
			q32, q := randF32(r, Tq*E, 1)
			k32, k := randF32(r, Tk*E, 1)
			v32, v := randF32(r, Tk*E, 1)
			g32, g := randF32(r, Tq*E, 1)
			scale := float32(1 / math.Sqrt(float64(E)))
			wdq, wdk, wdv := refAttendBackward(g, q, k, v, c.qpos, c.kpos, E, float64(scale))
			out, lse, delta := make([]float32, Tq*E), make([]float32, Tq), make([]float32, Tq)
			BlockForward(out, lse, q32, k32, v32, c.qpos, c.kpos, E, scale)
			Delta(delta, g32, out, E)
			base := func(n int) ([]float32, []float64) { return randF32(r, n, 1) }
			dq, dq0 := base(Tq * E)
			dk, dk0 := base(Tk * E)
			dv, dv0 := base(Tk * E)
			BlockBackward(dq, dk, dv, g32, q32, k32, v32, lse, delta, c.qpos, c.kpos, E, scale)
			for name, x := range map[string]struct {
				got        []float32
				want, base []float64
			}{"dq": {dq, wdq, dq0}, "dk": {dk, wdk, dk0}, "dv": {dv, wdv, dv0}} {
				d := make([]float32, len(x.got))
				for i := range d {
					d[i] = float32(float64(x.got[i]) - x.base[i])
				}
				if e := relErr(d, x.want); e > 1e-5 {
					t.Errorf("%s Tq=%d Tk=%d E=%d: %s error %.2g relative", c.name, Tq, Tk, E, name, e)
				}
			}
			if Tk < 2 {
				continue
			}
			cut := 1 + r.IntN(Tk-1)
			dq2, dk2, dv2 := make([]float32, Tq*E), make([]float32, Tk*E), make([]float32, Tk*E)
			BlockBackward(dq2, dk2[:cut*E], dv2[:cut*E], g32, q32, k32[:cut*E], v32[:cut*E], lse, delta, c.qpos, c.kpos[:cut], E, scale)
			BlockBackward(dq2, dk2[cut*E:], dv2[cut*E:], g32, q32, k32[cut*E:], v32[cut*E:], lse, delta, c.qpos, c.kpos[cut:], E, scale)
			if e := relErr(dq2, wdq); e > 1e-5 {
				t.Errorf("%s split at %d: dq error %.2g", c.name, cut, e)
			}
			if e := relErr(dk2, wdk); e > 1e-5 {
				t.Errorf("%s split at %d: dk error %.2g", c.name, cut, e)
			}
			if e := relErr(dv2, wdv); e > 1e-5 {
				t.Errorf("%s split at %d: dv error %.2g", c.name, cut, e)
			}
		}
	}
}

// TestFlashDeterministic runs a problem large enough to be split across
// goroutines with GOMAXPROCS 1 and 4: forward and backward bit-identical.
func TestFlashDeterministic(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 5))
	const T, E = 700, 64
	q, _ := randF32(r, T*E, 1)
	k, _ := randF32(r, T*E, 1)
	v, _ := randF32(r, T*E, 1)
	g, _ := randF32(r, T*E, 1)
	run := func(procs int) [][]float32 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		out, lse := make([]float32, T*E), make([]float32, T)
		if err := FlashForward(context.Background(), out, lse, q, k, v, T, E, 0.125); err != nil {
			t.Fatal(err)
		}
		dq, dk, dv := make([]float32, T*E), make([]float32, T*E), make([]float32, T*E)
		if err := FlashBackward(context.Background(), dq, dk, dv, g, q, k, v, out, lse, T, E, 0.125); err != nil {
			t.Fatal(err)
		}
		return [][]float32{out, lse, dq, dk, dv}
	}
	a, b := run(1), run(4)
	for i := range a {
		if !slices.Equal(a[i], b[i]) {
			t.Fatalf("output %d differs between GOMAXPROCS 1 and 4", i)
		}
	}
}

// TestFlashCancel: a cancelled context stops FlashForward with its error.
func TestFlashCancel(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	const T, E = 300, 16
	x := make([]float32, T*E)
	if err := FlashForward(ctx, make([]float32, T*E), make([]float32, T), x, x, x, T, E, 1); err != context.Canceled {
		t.Fatalf("got %v, want context.Canceled", err)
	}
}
