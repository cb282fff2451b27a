package retrieval

import (
	"context"
	"strings"
	"testing"

	"github.com/attnlab/attnlab/internal/badinput"
	"github.com/attnlab/attnlab/probes"
)

// TestRun: the analytic and scaling parts give their tables, figures and
// manifest entries, in part order, and say on the log what they time; an
// unknown part and a scaling size over the memory budget are refused
// before anything runs.
func TestRun(t *testing.T) {
	t.Parallel()
	a := probes.DefaultAnalytic()
	a.Dims, a.Ratios, a.Maps, a.Queries = []int{8}, []float64{0.5, 2}, []string{"elu"}, 16
	var log strings.Builder
	r, err := Run(context.Background(), Options{Parts: []string{"analytic", "scaling"}, Analytic: a, ScalingN: []int{16, 32}, ScalingMap: "elu", Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tab := range r.Tables {
		names = append(names, tab.Name)
	}
	if got := strings.Join(names, ","); got != "analytic,kernel,scaling" {
		t.Errorf("tables %s, want analytic,kernel,scaling", got)
	}
	if len(r.Figures) == 0 || r.Model != "trained per cell" || r.Extra["analytic"] == nil || len(r.Extra["parts"].([]string)) != 2 {
		t.Errorf("figures %d, model %q, extra %v", len(r.Figures), r.Model, r.Extra)
	}
	if !strings.Contains(log.String(), "timing attention at N = [16 32]") {
		t.Errorf("log %q", log.String())
	}
	for _, o := range []Options{{Parts: []string{"everything"}, ScalingMap: "elu"}, {Parts: []string{"scaling"}, ScalingN: []int{16, 1 << 27}, ScalingMap: "elu"}} {
		if _, err := Run(context.Background(), o); err == nil {
			t.Errorf("parts %v, N %v: no error", o.Parts, o.ScalingN)
		}
	}
	for _, c := range []struct {
		o    Options
		want string
	}{
		{Options{Analytic: probes.AnalyticConfig{Maps: []string{"elu", "cosine"}}, ScalingMap: "elu"}, `maps: unknown feature map "cosine"`},
		{Options{ScalingMap: "cosine"}, `scaling_map: unknown feature map "cosine"`},
		{Options{Parts: []string{"analytic", "everything"}, ScalingMap: "elu"}, `parts must list analytic, mqar or scaling, got "everything"`},
		{Options{Parts: []string{"scaling"}, ScalingN: []int{8, 8}, ScalingMap: "elu"}, `scaling_n must list at least two different lengths to fit a slope, got "8,8"`},
	} {
		if err := c.o.Check(); !badinput.Is(err) || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("got %v, want bad input %q…", err, c.want)
		}
	}
	if p, err := ParseParts("scaling,mqar"); err != nil || strings.Join(p, " ") != "scaling mqar" {
		t.Errorf("ParseParts = %v, %v", p, err)
	}
	if _, err := ParseParts("mqar,"); !badinput.Is(err) || err.Error() != `parts must list analytic, mqar or scaling, got ""` {
		t.Errorf("ParseParts(mqar,) = %v", err)
	}
}
