package ringlab

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/attnlab/attnlab/attention/ring"
	"github.com/attnlab/attnlab/internal/badinput"
	"github.com/attnlab/attnlab/internal/ringnet"
)

// The streamed reference for a few rows equals the dense float64
// reference on those rows (and its dq the dense dq).
func TestSpotMatchesTheDenseReference(t *testing.T) {
	t.Parallel()
	const N, E, seed = 70, 8, 3
	all := upto(N)
	var x [4][]float64
	for i := range 4 {
		for _, v := range rows(seed, i, all, E) {
			x[i] = append(x[i], float64(v))
		}
	}
	scale := 1 / math.Sqrt(E)
	out, lse := ring.ReferenceForward(x[0], x[1], x[2], N, E, scale, nil)
	dq, _, _ := ring.ReferenceBackward(x[3], x[0], x[1], x[2], N, E, scale)
	q := []int{0, 13, 69}
	so, sl, sdq := spot(seed, E, scale, q)
	for s, i := range q {
		if d := math.Abs(sl[s] - lse[i]); d > 1e-12 {
			t.Errorf("row %d: lse differs by %v", i, d)
		}
		for e := range E {
			if d := math.Abs(so[s*E+e] - out[i*E+e]); d > 1e-12 {
				t.Errorf("row %d: out[%d] differs by %v", i, e, d)
			}
			if d := math.Abs(sdq[s*E+e] - dq[i*E+e]); d > 1e-12 {
				t.Errorf("row %d: dq[%d] differs by %v", i, e, d)
			}
		}
	}
}

func TestRowsAreSeededPerRow(t *testing.T) {
	t.Parallel()
	a := rows(5, tensorK, []int{3, 9}, 4)
	b := rows(5, tensorK, []int{9}, 4)
	if !slices.Equal(a[4:], b) {
		t.Error("row 9 depends on which other rows are made")
	}
	if slices.Equal(rows(5, tensorQ, []int{9}, 4), b) || slices.Equal(rows(6, tensorK, []int{9}, 4), b) {
		t.Error("rows do not depend on the tensor and the seed")
	}
	if got := checkRows(10, 4); !slices.Equal(got, []int{2, 4, 6, 9}) {
		t.Errorf("checkRows(10, 4) = %v", got)
	}
	if got := checkRows(2, 4); !slices.Equal(got, []int{0, 1}) {
		t.Errorf("checkRows(2, 4) = %v", got)
	}
}

func TestHostsRunReportsEveryHost(t *testing.T) {
	t.Parallel()
	c := Config{N: 150, E: 8, P: 3, Layouts: ring.Layouts(), Backward: true, Seed: 2, Check: 3}
	reports, err := InProcess(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if len(reports) != 3 {
		t.Fatalf("%d reports", len(reports))
	}
	for h, rep := range reports {
		if rep.Host != h || len(rep.Layouts) != 3 || rep.RSS <= 0 {
			t.Fatalf("report %d: host %d, %d layouts, rss %d", h, rep.Host, len(rep.Layouts), rep.RSS)
		}
		for _, lr := range rep.Layouts {
			if lr.Checked != 3 || !(lr.OutErr <= 1e-5 && lr.LSEErr <= 1e-5 && lr.DQErr <= 1e-5) {
				t.Errorf("host %d %v: checked %d rows, errors %v %v %v", h, lr.Layout, lr.Checked, lr.OutErr, lr.LSEErr, lr.DQErr)
			}
			if len(lr.Forward.Steps) != 3 || len(lr.Backward.Steps) != 3 || lr.Hash == "" {
				t.Errorf("host %d %v: %d and %d steps, hash %q", h, lr.Layout, len(lr.Forward.Steps), len(lr.Backward.Steps), lr.Hash)
			}
		}
	}
	// Over TCP the same bits; a different seed different ones.
	links, err := tcpLinks(context.Background(), 3, c.Hello())
	if err != nil {
		t.Fatal(err)
	}
	tcp, err := RunLinks(context.Background(), c, links)
	if err != nil {
		t.Fatal(err)
	}
	for l, same := range SameBits(reports, tcp) {
		if !same {
			t.Errorf("%v: TCP and in-process differ", l)
		}
	}
	c.Seed = 3
	other, err := InProcess(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	for l, same := range SameBits(reports, other) {
		if same {
			t.Errorf("%v: another seed gave the same bits", l)
		}
	}
}

func TestReportsSurviveJSONWithMissingErrors(t *testing.T) {
	t.Parallel()
	lr := LayoutRun{Layout: ring.Stripe, Hash: "x", OutErr: 1e-7, LSEErr: math.NaN(), DQErr: math.NaN()}
	lr.Forward.Visible = 42
	b, err := json.Marshal(HostReport{Host: 1, Layouts: []LayoutRun{lr}})
	if err != nil {
		t.Fatal(err)
	}
	var back HostReport
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	got := back.Layouts[0]
	if got.Layout != ring.Stripe || got.OutErr != 1e-7 || !math.IsNaN(got.LSEErr) || got.Forward.Visible != 42 {
		t.Errorf("round trip: %+v", got)
	}
}

func TestGatherFailsWithTheRing(t *testing.T) {
	t.Parallel()
	links := ringnet.Local(3)
	links[1].Abort(errOOM{})
	_, err := Gather(context.Background(), links[0], &HostReport{})
	if err == nil || err.Error() != "host 1 failed: out of memory" {
		t.Errorf("got %v", err)
	}
}

type errOOM struct{}

func (errOOM) Error() string { return "out of memory" }

func TestOverlapCondition(t *testing.T) {
	t.Parallel()
	// Liu et al. 2023: c ≥ F/B for a full block in bf16. A100 over NVLink:
	// 312e12 / 300e9 = 1040 tokens.
	if c := MinBlock(312e12, 300e9, 2, false); math.Abs(c-1040) > 1e-9 {
		t.Errorf("MinBlock = %v, want 1040", c)
	}
	if c := MinBlock(312e12, 300e9, 4, true); math.Abs(c-4160) > 1e-9 {
		t.Errorf("float32 half-masked MinBlock = %v, want 4160", c)
	}
	// The crossover solves 2Ec²/F = α + 8cE/B exactly.
	o := &OverlapResult{E: 64, Alpha: 20e3, Bandwidth: 3e9} // α = 20 µs
	F := 40e9
	c := o.Crossover(F)
	lhs := 2 * 64 * c * c / F
	rhs := 20e-6 + 8*c*64/3e9
	if math.Abs(lhs-rhs) > 1e-12 || c < 1 {
		t.Errorf("crossover %v: compute %v, transfer %v", c, lhs, rhs)
	}
	// Without latency it is 4F/B.
	o.Alpha = 0
	if c := o.Crossover(F); math.Abs(c-4*F/3e9) > 1e-6 {
		t.Errorf("α = 0: crossover %v, want 4F/B = %v", c, 4*F/3e9)
	}
}

func TestRunWritesEveryTable(t *testing.T) {
	t.Parallel()
	r, err := Run(context.Background(), Options{Config: Config{N: 96, E: 8, P: 4, Layouts: ring.Layouts(), Backward: true, Seed: 1, Check: 2},
		ErrorN: 40, ErrorMaxP: 5, OverlapP: 2, OverlapBlocks: []int{8, 16}})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tb := range r.Tables() {
		names = append(names, tb.Name)
	}
	if got := strings.Join(names, " "); got != "layouts hosts memory error overlap whatif" {
		t.Errorf("tables: %s", got)
	}
	var figs []string
	for _, f := range r.Figures() {
		figs = append(figs, f.Name)
	}
	if got := strings.Join(figs, " "); got != "work_by_host.png compute_by_host.png timeline.png error_vs_hosts.png time_vs_hosts.png overlap.png" {
		t.Errorf("figures: %s", got)
	}
	for _, e := range r.Errors {
		if !(max(e.Out, e.LSE, e.DQ, e.DK, e.DV) <= 1e-5) || !e.Reproduced {
			t.Errorf("%+v", e)
		}
	}
	if len(r.Overlap.Rows) != 2 || r.Overlap.Bandwidth <= 0 {
		t.Errorf("overlap: %+v", r.Overlap)
	}
	for _, row := range r.Overlap.Rows {
		if !(row.Predicted >= 0 && row.Predicted <= 1 && row.Measured >= 0 && row.Measured <= 1 && row.F > 0) {
			t.Errorf("overlap row %+v", row)
		}
	}
	if _, err := Run(context.Background(), Options{Config: Config{N: 3, E: 8, P: 4, Layouts: ring.Layouts()}}); err == nil {
		t.Error("3 positions on 4 hosts accepted")
	}
}

// TestFitLink: the link fit on given step times (no clock involved): α and
// B recovered exactly from a line, α clamped at 0, and a large step no
// slower than the small one refused by name.
func TestFitLink(t *testing.T) {
	t.Parallel()
	// α = 30 µs, B = 2 GB/s: 4 KiB in 32.048 µs, 4 MiB in 2127.152 µs.
	small, large := 4096, 4<<20
	t1, t2 := 30e-6+float64(small)/2e9, 30e-6+float64(large)/2e9
	alpha, B, err := fitLink(small, large, t1, t2)
	if err != nil || math.Abs(B-2e9) > 1e-3 || math.Abs(alpha.Seconds()-30e-6) > 1e-9 {
		t.Errorf("fitLink = %v, %g, %v; want 30µs, 2e9", alpha, B, err)
	}
	if alpha, _, err := fitLink(small, large, 0.5e-6, 1e-3); err != nil || alpha != 0 {
		t.Errorf("a line through negative latency: α = %v, %v; want 0", alpha, err)
	}
	for _, tt := range [][2]float64{{1e-3, 1e-3}, {2e-3, 1e-3}, {math.NaN(), 1e-3}} {
		if _, _, err := fitLink(small, large, tt[0], tt[1]); !errors.Is(err, errNoSlope) || !strings.Contains(err.Error(), "was not slower than a 4096-byte one") {
			t.Errorf("t1 %g, t2 %g: %v, want a refusal", tt[0], tt[1], err)
		}
	}
}

// TestConfigValidate: each shape out of range is bad input naming the
// setting; a run with no layout is refused too.
func TestConfigValidate(t *testing.T) {
	t.Parallel()
	good := Config{N: 64, E: 16, P: 4, Layouts: ring.Layouts(), Check: 2}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		edit func(c *Config)
		want string
	}{
		{func(c *Config) { c.P = 0 }, "hosts must be 1…1024, got 0"},
		{func(c *Config) { c.N = 3 }, "n must be 4…16777216 (at least one position per host), got 3"},
		{func(c *Config) { c.E = 2000 }, "d_head must be 1…1024, got 2000"},
		{func(c *Config) { c.Check = -1 }, "check must be 0…1024, got -1"},
		// A repeated layout indexed past the results (a panic) before.
		{func(c *Config) { c.Layouts = []ring.Layout{ring.Zigzag, ring.Zigzag} }, "layout lists zigzag twice: each layout runs once"},
	} {
		cfg := good
		c.edit(&cfg)
		if err := cfg.Validate(); !badinput.Is(err) || err.Error() != c.want {
			t.Errorf("got %v, want bad input %q", err, c.want)
		}
	}
	if err := (Config{N: 64, E: 16, P: 4}).Validate(); err == nil {
		t.Error("no layout: no error")
	}
}
