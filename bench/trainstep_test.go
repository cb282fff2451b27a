package bench

import (
	"context"
	"testing"

	"github.com/attnlab/attnlab/internal/badinput"
)

// TestTrainStep times a few reference steps on one core and checks the
// table's arithmetic: tokens per CPU-second from the measured steps and CPU
// time, GFLOP from the per-token count, fractions of the measured peak.
func TestTrainStep(t *testing.T) {
	r, err := TrainStep(context.Background(), StepOptions{Cores: []int{1}, Repeats: 2, Seconds: 0.01})
	if err != nil {
		t.Fatal(err)
	}
	if r.FLOPsPerToken != 321024 || r.TokensPerStep != 32*65 || len(r.Points) != 1 {
		t.Fatalf("flops/token %v, tokens/step %d, %d points", r.FLOPsPerToken, r.TokensPerStep, len(r.Points))
	}
	p := r.Points[0]
	if p.Cores != 1 || p.Units != 16 || len(p.Steps) != 2 || p.Steps[0] < 3 {
		t.Fatalf("point %+v", p)
	}
	tab := r.Table()
	row := tab.Rows[0]
	tokCPU := row[tab.Column("tokens_per_cpu_s")].(float64)
	lo, hi := row[tab.Column("tokens_per_cpu_s_min")].(float64), row[tab.Column("tokens_per_cpu_s_max")].(float64)
	if !(lo <= tokCPU && tokCPU <= hi && lo > 0) {
		t.Errorf("tokens per CPU-second %v outside its range [%v, %v]", tokCPU, lo, hi)
	}
	if g := row[tab.Column("gflops_per_cpu_s")].(float64); g != tokCPU*321024/1e9 {
		t.Errorf("GFLOP per CPU-second %v, want %v", g, tokCPU*321024/1e9)
	}
	if r.Peak > 0 {
		if f := row[tab.Column("of_peak_cpu")].(float64); !(f > 0.01 && f < 1.2) {
			t.Errorf("fraction of the FMA peak per CPU-second %v: not a plausible fraction", f)
		}
	}
	if _, err := TrainStep(context.Background(), StepOptions{Cores: []int{0}, Repeats: 1, Seconds: 0.01}); !badinput.Is(err) {
		t.Error("0 cores accepted")
	}
	for _, o := range []StepOptions{{Cores: []int{}, Repeats: 1, Seconds: 1}, {Repeats: 0, Seconds: 1}, {Repeats: 1, Seconds: 0.001}} {
		if err := o.Validate(); !badinput.Is(err) {
			t.Errorf("%+v: %v, want bad input", o, err)
		}
	}
	if o := (StepOptions{Repeats: 1, Seconds: 1}).WithDefaults(); len(o.Cores) == 0 || o.Validate() != nil {
		t.Errorf("default cores %v", o.Cores)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := TrainStep(ctx, StepOptions{Cores: []int{1}, Repeats: 1, Seconds: 3600}); err == nil {
		t.Error("a cancelled context did not stop the timing")
	}
}
