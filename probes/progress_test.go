package probes

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"
)

// TestProgressTicksAddUp: AnalyticProgress and ScalingProgress tick once
// per cell or point, with work adding up to AnalyticWork and ScalingWork,
// and give the rows and points of Analytic and Scaling.
func TestProgressTicksAddUp(t *testing.T) {
	cfg := DefaultAnalytic()
	cfg.Dims, cfg.Ratios, cfg.Queries = []int{8, 16}, []float64{0.5, 2}, 64
	var mu sync.Mutex
	sum, ticks := 0, 0
	rows, err := AnalyticProgress(context.Background(), cfg, func(w int) {
		mu.Lock()
		defer mu.Unlock()
		if w <= 0 {
			t.Errorf("tick of %d", w)
		}
		sum += w
		ticks++
	})
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := Analytic(context.Background(), cfg)
	if ticks != len(rows) || sum != AnalyticWork(cfg) || !slices.Equal(rows, plain) {
		t.Errorf("analytic: %d ticks for %d cells, work %d of %d; rows equal to Analytic's: %v", ticks, len(rows), sum, AnalyticWork(cfg), slices.Equal(rows, plain))
	}
	// The estimate follows the cost: a softmax cell at twice N costs about
	// twice as much (N² per trial, half as many trials).
	a, b := analyticCellSpec{16, 32, "softmax", 4}, analyticCellSpec{16, 64, "softmax", 4}
	if r := float64(b.work(cfg)) / float64(a.work(cfg)); r < 1.5 || r > 2.5 {
		t.Errorf("softmax work ratio N 64 : 32 = %.2f, want about 2", r)
	}

	ns := []int{64, 128}
	sum, ticks = 0, 0
	pts, err := ScalingProgress(context.Background(), ns, 16, "elu", time.Millisecond, func(w int) { sum += w; ticks++ })
	if err != nil {
		t.Fatal(err)
	}
	if ticks != len(pts) || ticks != len(ns)*len(ScalingForms) || sum != ScalingWork(ns, 16, "elu", time.Millisecond) {
		t.Errorf("scaling: %d ticks for %d points, work %d of %d", ticks, len(pts), sum, ScalingWork(ns, 16, "elu", time.Millisecond))
	}
	// Dense attention's estimate grows as N², the recurrence's as N.
	d1, d2 := scalingPointWork("softmax", "elu", 4096, 64, 0), scalingPointWork("softmax", "elu", 8192, 64, 0)
	r1, r2 := scalingPointWork("recurrent", "elu", 4096, 64, 0), scalingPointWork("recurrent", "elu", 8192, 64, 0)
	if q := float64(d2) / float64(d1); q < 3.5 || q > 4.5 {
		t.Errorf("dense estimate ratio at 2N: %.2f, want 4", q)
	}
	if q := float64(r2) / float64(r1); q < 1.8 || q > 2.2 {
		t.Errorf("recurrent estimate ratio at 2N: %.2f, want 2", q)
	}
}
