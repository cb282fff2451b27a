package bench

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/attnlab/attnlab/internal/badinput"
)

// TestRunSmall runs every kernel at two small lengths: each point has a
// positive time and peak memory, the useful FLOPs of the formulas, and the
// tables and figures render.
func TestRunSmall(t *testing.T) {
	opt := Options{Ns: []int{64, 128}, E: 16, Window: 16, Repeats: 2, RingHosts: 2, RateTime: 10 * time.Millisecond}
	calls := 0
	opt.Progress = func(done, total int) { calls++ }
	r, err := Run(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Points) != 2*len(Kernels()) || calls != len(r.Points) {
		t.Fatalf("%d points, %d progress calls; want %d", len(r.Points), calls, 2*len(Kernels()))
	}
	for _, p := range r.Points {
		if p.Skipped != "" || p.Median <= 0 || len(p.Times) != 2 || p.Peak < 0 {
			t.Fatalf("point %+v", p)
		}
		want := map[string]float64{"dense-naive": 4 * 16 * float64(p.N*(p.N+1)/2), "linear-recurrent": 4 * float64(p.N) * 16 * 16}[p.Kernel]
		if want != 0 && p.FLOPs != want {
			t.Errorf("%s N=%d: %g FLOPs, want %g", p.Kernel, p.N, p.FLOPs, want)
		}
	}
	if !(r.Rate > 0) || !(r.RateAfter > 0) {
		t.Fatalf("matmul rates %g, %g", r.Rate, r.RateAfter)
	}
	if ts := r.Tables(); len(ts) != 3 || len(ts[0].Rows) != len(r.Points) || len(ts[1].Rows) != len(Kernels()) {
		t.Fatalf("tables: %d", len(ts))
	}
	for _, f := range r.Figures() {
		var b strings.Builder
		if err := f.Fig.Render(&b, "svg"); err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
	}
}

// TestBudgetSkips: a point whose estimate exceeds the budget is skipped
// with the reason, without being run.
func TestBudgetSkips(t *testing.T) {
	opt := Options{Ns: []int{512}, E: 16, Repeats: 1, Kernels: []string{"dense-naive", "dense-blockwise"}, MemBudget: 1 << 20, RateTime: time.Millisecond}
	r, err := Run(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Points[0].Skipped, "over the 1.0 MiB budget") || r.Points[1].Skipped != "" {
		t.Fatalf("skips: %q, %q", r.Points[0].Skipped, r.Points[1].Skipped)
	}
}

// TestFitSlope: the slope of exact power laws.
func TestFitSlope(t *testing.T) {
	var x, y []float64
	for _, n := range []float64{1024, 2048, 4096, 8192} {
		x, y = append(x, math.Log(n)), append(y, math.Log(3*n*n))
	}
	if s := fitSlope(x, y); math.Abs(s-2) > 1e-12 {
		t.Fatalf("slope of 3n² = %g", s)
	}
	if !math.IsNaN(fitSlope(x[:1], y[:1])) {
		t.Fatal("one point has a slope")
	}
}

// TestValidate names bad options.
func TestValidate(t *testing.T) {
	for _, c := range []struct {
		o   Options
		msg string
	}{
		{Options{Ns: []int{0}}, "ns: sequence length 0 outside"},
		{Options{Ns: []int{512, 256}}, "ascend"},
		{Options{Ns: []int{1e8}}, "outside"},
		{Options{Kernels: []string{"flash3"}}, `kernels: unknown kernel "flash3"`},
		{Options{Repeats: -1}, "repeats"},
	} {
		if err := c.o.Validate(); !badinput.Is(err) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%+v: %v, want %q", c.o, err, c.msg)
		}
	}
}

// TestCancel: a cancelled context stops Run.
func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, Options{Ns: []int{64}, E: 8, RateTime: time.Millisecond}); err == nil {
		t.Fatal("no error after cancel")
	}
}

// TestSparseCost: every kernel agrees with the float64 masked reference
// (1e-5 relative), the pair fractions are the patterns', and the masks
// draw.
func TestSparseCost(t *testing.T) {
	rows, err := SparseCost(context.Background(), CostOptions{Kinds: []string{"window:16", "window:8:d1,3", "window:16:g4", "block-sparse:16"},
		N: 300, E: 16, Repeats: 1, Rows: 40})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 6 {
		t.Fatalf("%d rows", len(rows))
	}
	for _, r := range rows {
		if r.Skipped != "" || r.MaxErr > 1e-5 || r.LSEErr > 1e-4 || r.Time <= 0 {
			t.Errorf("%+v", r)
		}
	}
	if rows[0].PairsFrac != 1 || rows[2].Pairs != 16*300-15*16/2 {
		t.Errorf("pairs: dense %g, window:16 %d (want %d)", rows[0].PairsFrac, rows[2].Pairs, 16*300-15*16/2)
	}
	if tb := CostTable(rows, 300, 16); len(tb.Rows) != 6 {
		t.Fatal("cost table rows")
	}
	figs, err := MaskFigures([]string{"softmax", "window:4", "window:4:d1,2"}, 12)
	if err != nil || len(figs) != 4 || figs[3].Name != "mask_window4_d1_2_h1.png" {
		t.Fatalf("mask figures: %v %v", err, figs)
	}
	for _, f := range figs {
		var b strings.Builder
		if err := f.Fig.Render(&b, "svg"); err != nil {
			t.Fatal(err)
		}
	}
}

// TestTimeLimitSkips: a point whose runs would take longer than MaxTime at
// the matmul rate is skipped, with the reason, without being run; a run
// whose every point is skipped returns ErrNothingRun, before measuring
// anything when none fits the memory budget.
func TestTimeLimitSkips(t *testing.T) {
	opt := Options{Ns: []int{64, 8192}, E: 16, Repeats: 1, Kernels: []string{"dense-blockwise"}, MaxTime: time.Millisecond, RateTime: 10 * time.Millisecond}
	r, err := Run(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	if r.Points[0].Skipped != "" || !strings.Contains(r.Points[1].Skipped, "at the matmul rate, over the 1ms limit") {
		t.Fatalf("skips: %q, %q", r.Points[0].Skipped, r.Points[1].Skipped)
	}
	opt.Ns = []int{8192}
	if _, err := Run(context.Background(), opt); err != ErrNothingRun {
		t.Fatalf("every point over the time limit: %v, want ErrNothingRun", err)
	}
	st := time.Now()
	opt = Options{Ns: []int{1 << 22}, Kernels: []string{"window", "dense-naive"}}
	if _, err := Run(context.Background(), opt); err != ErrNothingRun || time.Since(st) > 500*time.Millisecond {
		t.Fatalf("every point over the memory budget: %v after %v, want ErrNothingRun at once", err, time.Since(st))
	}
}

func TestDoublingAndParseKernels(t *testing.T) {
	t.Parallel()
	if ns, err := Doubling(256, 1100); err != nil || len(ns) != 3 || ns[2] != 1024 {
		t.Errorf("Doubling(256, 1100) = %v, %v", ns, err)
	}
	for _, c := range [][2]int{{0, 8}, {16, 8}, {1, MaxN + 1}} {
		if _, err := Doubling(c[0], c[1]); !badinput.Is(err) || !strings.HasPrefix(err.Error(), "min_n and max_n must satisfy") {
			t.Errorf("Doubling(%d, %d): %v", c[0], c[1], err)
		}
	}
	if ks, err := ParseKernels("window, ring"); err != nil || len(ks) != 2 || ks[1] != "ring" {
		t.Errorf("ParseKernels = %v, %v", ks, err)
	}
	for s, want := range map[string]string{" ": "kernels is empty: name at least one of dense-naive, ", "ring,window,ring": `kernels lists ring twice ("ring,window,ring"): give each value once`} {
		if _, err := ParseKernels(s); !badinput.Is(err) || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("ParseKernels(%q): %v, want %q", s, err, want)
		}
	}
}
