package optim

import (
	"bytes"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestAdamWThreeSteps checks three steps on a two-element vector against the
// AdamW formula evaluated here in float64, with one decayed and one
// undecayed element. Tolerance 1e-6 relative: the optimizer stores M, V and
// params as float32, so each step rounds at ~6e-8 relative.
func TestAdamWThreeSteps(t *testing.T) {
	t.Parallel()
	const lr, wd, b1, b2, eps = 0.1, 0.5, 0.9, 0.999, 1e-8
	params := []float32{1.0, -2.0}
	grads := [][]float32{{0.5, -1.0}, {-0.25, 2.0}, {1.5, 0.125}}
	decay := []float32{1, 0}

	// Expected values, straight from the formula.
	p := []float64{1.0, -2.0}
	m := []float64{0, 0}
	v := []float64{0, 0}
	want := make([][]float64, 3)
	for step := 1; step <= 3; step++ {
		for i := range p {
			g := float64(grads[step-1][i])
			p[i] -= lr * wd * float64(decay[i]) * p[i]
			m[i] = b1*m[i] + (1-b1)*g
			v[i] = b2*v[i] + (1-b2)*g*g
			mhat := m[i] / (1 - math.Pow(b1, float64(step)))
			vhat := v[i] / (1 - math.Pow(b2, float64(step)))
			p[i] -= lr * mhat / (math.Sqrt(vhat) + eps)
		}
		want[step-1] = slices.Clone(p)
	}
	// Hand check of the first step for element 0: p = 1 − 0.1·0.5·1 = 0.95,
	// m̂ = 0.5, v̂ = 0.25, p = 0.95 − 0.1·0.5/0.5 = 0.85.
	if math.Abs(want[0][0]-0.85) > 1e-7 {
		t.Fatalf("formula step 1 p[0] = %v, want 0.85", want[0][0])
	}

	o := NewAdamW(2, lr, wd)
	gradsIn := slices.Clone(grads[0])
	for step := 1; step <= 3; step++ {
		g := grads[step-1]
		o.Update(params, g, decay, lr)
		if o.Step != step {
			t.Fatalf("Step = %d, want %d", o.Step, step)
		}
		for i := range params {
			got, w := float64(params[i]), want[step-1][i]
			if math.Abs(got-w) > 1e-6*math.Max(1, math.Abs(w)) {
				t.Errorf("step %d p[%d] = %.9f, want %.9f", step, i, got, w)
			}
		}
	}
	if !slices.Equal(gradsIn, grads[0]) {
		t.Errorf("Update changed grads: %v, was %v", grads[0], gradsIn)
	}
}

func TestAdamWDefaultsAndNilDecay(t *testing.T) {
	t.Parallel()
	o := NewAdamW(3, 1e-3, 0.01)
	if o.Beta1 != 0.9 || o.Beta2 != 0.999 || o.Eps != 1e-8 || o.WeightDecay != 0.01 {
		t.Fatalf("defaults = %+v", o)
	}
	a := []float32{1, 2, 3}
	b := slices.Clone(a)
	g := []float32{0.1, 0.2, 0.3}
	o.Update(a, g, nil, 0) // lr ≤ 0 → o.LR
	o2 := NewAdamW(3, 1e-3, 0.01)
	o2.Update(b, g, []float32{1, 1, 1}, 1e-3)
	if !slices.Equal(a, b) {
		t.Errorf("nil decay %v != all-ones decay %v", a, b)
	}
	o.Reset()
	if o.Step != 0 || o.M[0] != 0 || o.V[2] != 0 {
		t.Errorf("Reset left state: %+v", o)
	}
}

func TestSchedule(t *testing.T) {
	t.Parallel()
	const warm, total, maxLR, minLR = 10, 110, 1e-3, 1e-4
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-15 }
	if got := Schedule(0, warm, total, maxLR, minLR); !near(got, maxLR/warm) {
		t.Errorf("step 0 = %g, want %g", got, maxLR/warm)
	}
	if got := Schedule(warm-1, warm, total, maxLR, minLR); !near(got, maxLR) {
		t.Errorf("end of warmup = %g, want %g", got, maxLR)
	}
	if got := Schedule(warm, warm, total, maxLR, minLR); !near(got, maxLR) {
		t.Errorf("start of decay = %g, want %g", got, maxLR)
	}
	mid := warm + (total-1-warm)/2
	if got := Schedule(mid, warm, total, maxLR, minLR); math.Abs(got-(maxLR+minLR)/2) > 1e-5 {
		t.Errorf("middle of decay = %g, want about %g", got, (maxLR+minLR)/2)
	}
	if got := Schedule(total-1, warm, total, maxLR, minLR); !near(got, minLR) {
		t.Errorf("last step = %g, want %g", got, minLR)
	}
	if got := Schedule(total+50, warm, total, maxLR, minLR); !near(got, minLR) {
		t.Errorf("past the end = %g, want %g", got, minLR)
	}
	for s := 1; s < total+5; s++ {
		prev, cur := Schedule(s-1, warm, total, maxLR, minLR), Schedule(s, warm, total, maxLR, minLR)
		if s < warm && !(cur > prev) {
			t.Errorf("warmup not increasing at %d: %g → %g", s, prev, cur)
		}
		if s >= warm && cur > prev {
			t.Errorf("decay increasing at %d: %g → %g", s, prev, cur)
		}
	}
	// No warmup, and degenerate runs.
	if got := Schedule(0, 0, 100, 1, 0); got != 1 {
		t.Errorf("no warmup step 0 = %g, want 1", got)
	}
	if got := Schedule(0, 0, 1, 1, 0); got != 1 {
		t.Errorf("one-step run = %g, want 1", got)
	}
}

func TestClipGradNorm(t *testing.T) {
	t.Parallel()
	g := []float32{3, 4}
	if n := ClipGradNorm(g, 10); n != 5 || g[0] != 3 || g[1] != 4 {
		t.Errorf("no clip: norm %g, grads %v", n, g)
	}
	n := ClipGradNorm(g, 1)
	if n != 5 {
		t.Errorf("norm = %g, want 5", n)
	}
	coef := 1 / (5 + 1e-6)
	if math.Abs(float64(g[0])-3*coef) > 1e-7 || math.Abs(float64(g[1])-4*coef) > 1e-7 {
		t.Errorf("clipped grads %v, want %v", g, []float64{3 * coef, 4 * coef})
	}
	if n := ClipGradNorm(g, 1); math.Abs(n-1) > 1e-6 {
		t.Errorf("norm after clip = %g, want about 1", n)
	}
	g = []float32{3, 4}
	if n := ClipGradNorm(g, 0); n != 5 || g[0] != 3 {
		t.Errorf("maxNorm 0 should only measure: %g %v", n, g)
	}
	bad := []float32{1, float32(math.NaN())}
	if n := ClipGradNorm(bad, 1); !math.IsNaN(n) || bad[0] != 1 {
		t.Errorf("NaN grads: norm %g, grads %v", n, bad)
	}
	// The norm does not depend on anything but the values and their order.
	r := rand.New(rand.NewPCG(1, 1))
	big := make([]float32, 10001)
	for i := range big {
		big[i] = float32(r.NormFloat64())
	}
	a, b := ClipGradNorm(slices.Clone(big), 0), ClipGradNorm(slices.Clone(big), 0)
	if a != b {
		t.Errorf("norm not reproducible: %v vs %v", a, b)
	}
}

func TestFirstNonFinite(t *testing.T) {
	t.Parallel()
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	for _, tc := range []struct {
		x    []float32
		want int
	}{
		{nil, -1},
		{[]float32{1, 2, 3}, -1},
		{[]float32{1, nan, inf}, 1},
		{[]float32{0, 0, -inf}, 2},
		{[]float32{math.MaxFloat32, -math.MaxFloat32}, -1},
	} {
		if got := FirstNonFinite(tc.x); got != tc.want {
			t.Errorf("FirstNonFinite(%v) = %d, want %d", tc.x, got, tc.want)
		}
	}
}

// firstNonFiniteRef is FirstNonFinite's definition, one element at a time.
func firstNonFiniteRef(x []float32) int {
	for i, v := range x {
		if f := float64(v); math.IsNaN(f) || math.IsInf(f, 0) {
			return i
		}
	}
	return -1
}

// FirstNonFinite scans 8 elements at a time: every length and position of
// the first bad element (NaN payloads, ±Inf, largest finites, subnormals,
// −0 around it), and a second bad element after it, must give the plain
// loop's answer.
func TestFirstNonFiniteEveryPosition(t *testing.T) {
	t.Parallel()
	bad := []float32{float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()),
		math.Float32frombits(0x7f800001), math.Float32frombits(0xffc00000), math.Float32frombits(0x7fffffff)}
	fill := []float32{math.MaxFloat32, -math.MaxFloat32, math.SmallestNonzeroFloat32,
		math.Float32frombits(0x80000000), 1, -3.3e38, 0x1p-126}
	for n := 0; n <= 40; n++ {
		x := make([]float32, n)
		for i := range x {
			x[i] = fill[i%len(fill)]
		}
		if got, want := FirstNonFinite(x), firstNonFiniteRef(x); got != want {
			t.Fatalf("n=%d all finite: got %d, want %d", n, got, want)
		}
		for pos := range n {
			for bi, b := range bad {
				y := slices.Clone(x)
				y[pos] = b
				if pos+3 < n {
					y[pos+3] = bad[(bi+1)%len(bad)]
				}
				if got, want := FirstNonFinite(y), firstNonFiniteRef(y); got != want {
					t.Fatalf("n=%d bad %x at %d: got %d, want %d", n, math.Float32bits(b), pos, got, want)
				}
			}
		}
	}
}

// fakeClock advances 1 s per call after the first.
func fakeClock() func() time.Time {
	t0 := time.Unix(0, 0)
	calls := 0
	return func() time.Time {
		d := time.Duration(calls) * time.Second
		calls++
		return t0.Add(d)
	}
}

func TestProgressPlainLines(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	p := newProgress(&buf, 40, false, false, fakeClock())
	if p.Every != 2 {
		t.Fatalf("Every = %d, want 2", p.Every)
	}
	p.Every = 20
	for s := 1; s <= 40; s++ {
		p.Update(s, 2.34567, 1000)
	}
	p.Finish()
	p.Update(41, 1, 1) // ignored after Finish
	want := "step 20/40  loss 2.3457  1000 tok/s  eta 20s\n" +
		"step 40/40  loss 2.3457  1000 tok/s  eta 0s\n"
	if got := buf.String(); got != want {
		t.Errorf("output\n%q\nwant\n%q", got, want)
	}
}

// TestProgressETAAfterResume: a run resumed at step 30 of 40 estimates the
// time left from the steps it has done, not from step 0.
func TestProgressETAAfterResume(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	p := newProgress(&buf, 40, false, false, fakeClock())
	p.Every = 5
	for s := 31; s <= 35; s++ { // one second per step
		p.Update(s, 1, 1000)
	}
	if want := "step 35/40  loss 1.0000  1000 tok/s  eta 5s\n"; buf.String() != want {
		t.Errorf("output %q, want %q", buf.String(), want)
	}
}

func TestProgressQuietAndBar(t *testing.T) {
	t.Parallel()
	var quiet bytes.Buffer
	q := NewProgress(&quiet, 10, true)
	for s := 1; s <= 10; s++ {
		q.Update(s, 1, 10)
	}
	q.Finish()
	if quiet.Len() != 0 {
		t.Errorf("quiet wrote %q", quiet.String())
	}
	// A buffer is not a terminal: NewProgress writes plain lines.
	var plain bytes.Buffer
	NewProgress(&plain, 1, false).Update(1, 0.5, 8)
	if !strings.HasPrefix(plain.String(), "step 1/1  loss 0.5000") {
		t.Errorf("plain output %q", plain.String())
	}
	// The bar path, forced, renders step counts and the loss.
	var bar bytes.Buffer
	b := newProgress(&bar, 5, false, true, time.Now)
	for s := 1; s <= 5; s++ {
		b.Update(s, 1.25, 100)
	}
	b.Finish()
	b.Finish()
	if out := bar.String(); !strings.Contains(out, "5/5") || !strings.Contains(out, "loss 1.2500") {
		t.Errorf("bar output %q lacks 5/5 or the loss", out)
	}
}

// TestCounterTenths: a counter fed from many goroutines writes one plain
// line per tenth crossed, the last at 100%, and the bar path counts them all.
func TestCounterTenths(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	var mu sync.Mutex
	clock := time.Unix(0, 0)
	c := newCounter(&buf, "mqar grid", "steps", 100, false, false, func() time.Time {
		mu.Lock() // called under the counter's lock; one second per call
		defer mu.Unlock()
		clock = clock.Add(time.Second)
		return clock
	})
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 25 {
				c.Add(1)
			}
		}()
	}
	wg.Wait()
	c.Finish()
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	// The clock moves a second per reading: the start, then each line.
	if len(lines) != 10 || lines[9] != "mqar grid: 100/100 steps (100%), 10s, eta 0s" || lines[0] != "mqar grid: 10/100 steps (10%), 1s, eta 9s" {
		t.Errorf("counter lines %q, want one per tenth", lines)
	}
	var quiet bytes.Buffer
	q := NewCounter(&quiet, "x", "steps", 10, true)
	q.Add(10)
	q.Finish()
	if quiet.Len() != 0 {
		t.Errorf("quiet counter wrote %q", quiet.String())
	}
	var bar bytes.Buffer
	b := newCounter(&bar, "grid", "steps", 8, false, true, time.Now)
	b.Add(5)
	b.Add(3)
	b.Finish()
	if !strings.Contains(bar.String(), "8/8") {
		t.Errorf("bar output %q lacks 8/8", bar.String())
	}
}

// TestAdamWApplyInRanges: Begin plus Apply over disjoint ranges, in any
// order, is Update bit for bit, and a scale of c equals scaling the
// gradient in place first (as ClipGradNorm does).
func TestAdamWApplyInRanges(t *testing.T) {
	const n = 1000
	r := rand.New(rand.NewPCG(4, 5))
	p0, g, decay := make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range p0 {
		p0[i], g[i] = float32(r.NormFloat64()), float32(r.NormFloat64())
		decay[i] = float32(i % 2)
	}
	const c = float32(0.37)
	whole, parts := NewAdamW(n, 1e-3, 0.1), NewAdamW(n, 1e-3, 0.1)
	pw, pp := slices.Clone(p0), slices.Clone(p0)
	for step := range 3 {
		gs := slices.Clone(g)
		for i := range gs {
			gs[i] *= c
		}
		whole.Update(pw, gs, decay, 1e-3*float64(step+1))
		s := parts.Begin(1e-3 * float64(step+1))
		for _, rg := range [][2]int{{700, 1000}, {0, 333}, {333, 700}} {
			parts.Apply(s, pp, g, decay, c, rg[0], rg[1])
		}
	}
	if !slices.Equal(pw, pp) || !slices.Equal(whole.M, parts.M) || !slices.Equal(whole.V, parts.V) || whole.Step != parts.Step {
		t.Error("Apply over ranges differs from Update")
	}
}

// TestAdamWFastPathBitExact: the update the package runs (the AVX-512 one
// where the CPU has it) gives the same bits as applyAdamWRef, with and
// without a decay mask, at every tail length, with a clip scale, over
// moments that grow across steps.
func TestAdamWFastPathBitExact(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 7))
	for _, n := range []int{1, 7, 8, 9, 31, 100} {
		for _, masked := range []bool{false, true} {
			p, g, decay := make([]float32, n), make([]float32, n), make([]float32, n)
			for i := range p {
				p[i], g[i], decay[i] = float32(r.NormFloat64()), float32(r.NormFloat64()*1e-2), float32(r.IntN(2))
			}
			if !masked {
				decay = nil
			}
			fast, ref := NewAdamW(n, 3e-3, 0.1), NewAdamW(n, 3e-3, 0.1)
			pf, pr := slices.Clone(p), slices.Clone(p)
			for step := range 5 {
				sc := float32(1)
				if step == 2 {
					sc = 0.3
				}
				s := fast.Begin(float64(step+1) * 1e-3)
				applyAdamW(s, pf, g, decay, fast.M, fast.V, sc)
				s = ref.Begin(float64(step+1) * 1e-3)
				applyAdamWRef(s, pr, g, decay, ref.M, ref.V, sc)
			}
			if !slices.Equal(pf, pr) || !slices.Equal(fast.M, ref.M) || !slices.Equal(fast.V, ref.V) {
				t.Errorf("n=%d masked=%v: fast AdamW differs from the reference", n, masked)
			}
		}
	}
}

func BenchmarkAdamW(b *testing.B) {
	const n = 1 << 16
	o := NewAdamW(n, 1e-3, 0.1)
	p, g, d := make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range p {
		p[i], g[i], d[i] = 1, 0.01, float32(i%2)
	}
	for b.Loop() {
		o.Update(p, g, d, 1e-3)
	}
	b.ReportMetric(n*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mparams/s")
}

// BenchmarkAdamWRef is the plain loop BenchmarkAdamW's kernel replaces.
func BenchmarkAdamWRef(b *testing.B) {
	const n = 1 << 16
	o := NewAdamW(n, 1e-3, 0.1)
	p, g, d := make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range p {
		p[i], g[i], d[i] = 1, 0.01, float32(i%2)
	}
	for b.Loop() {
		s := o.Begin(1e-3)
		applyAdamWRef(s, p, g, d, o.M, o.V, 1)
	}
	b.ReportMetric(n*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mparams/s")
}
