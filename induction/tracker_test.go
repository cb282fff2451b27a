package induction

import (
	"strings"
	"testing"

	"github.com/attnlab/attnlab/fixtures"
	"github.com/attnlab/attnlab/model"
)

// TestTrackerPhaseChange: the phase change is the first measurement whose
// best prefix-matching score reaches PhaseThreshold, read from typed points.
func TestTrackerPhaseChange(t *testing.T) {
	t.Parallel()
	tk := NewTracker(1)
	for i, pm := range []float64{0.1, 0.49, 0.5, 0.9, 0.2} {
		h := HeadScores{HeadID: model.HeadID{Layer: 1, Head: i % 2}, PrefixMatching: Stat{Mean: pm}}
		tk.Points = append(tk.Points, TrackPoint{Step: 100 * i, Heads: []HeadScores{h}, Best: h})
	}
	if s, ok := tk.PhaseChange(); !ok || s != 200 {
		t.Errorf("phase change at %d (%v), want step 200", s, ok)
	}
	phase, heads := tk.Tables()
	if len(phase.Rows) != 5 || len(heads.Rows) != 5 || phase.Rows[2][6] != "L1H0" {
		t.Errorf("phase rows %v, head rows %d", phase.Rows, len(heads.Rows))
	}
	c := tk.Chart()
	if len(c.Charts) != 2 || !strings.Contains(c.Title, "step 200") {
		t.Fatalf("chart %q has %d panels, want 2 and a title naming step 200", c.Title, len(c.Charts))
	}
	for _, p := range c.Charts {
		if len(p.VLines) != 1 || p.VLines[0].X != 200 {
			t.Errorf("panel %q marks %v, want step 200", p.Title, p.VLines)
		}
	}
	if _, ok := (&Tracker{}).PhaseChange(); ok {
		t.Error("an empty tracker reports a phase change")
	}
	// Without a phase change the title says so, and nothing is marked.
	none := NewTracker(1)
	none.Points = tk.Points[:2]
	if c := none.Chart(); !strings.HasPrefix(c.Title, "No induction head formed") || len(c.Charts[0].VLines) != 0 {
		t.Errorf("title %q, marks %v: want no phase change", c.Title, c.Charts[0].VLines)
	}
}

// TestTrackerMeasuresEmbeddedModel: on the trained two-layer model the
// tracker finds the induction head (prefix matching well above 0.5).
func TestTrackerMeasuresEmbeddedModel(t *testing.T) {
	t.Parallel()
	m, err := fixtures.Model("induction-2l")
	if err != nil {
		t.Fatal(err)
	}
	tk := NewTracker(1)
	if err := tk.Measure(7, m); err != nil {
		t.Fatal(err)
	}
	p := tk.Points[0]
	if s, ok := tk.PhaseChange(); !ok || s != 7 || p.Best.Layer != 1 || p.SecondRepeat >= p.FirstRepeat {
		t.Errorf("point %+v: want a layer-1 head past the threshold and a lower second-repeat loss", p)
	}
	if r := tk.Results(); len(r.Tables) != 2 || len(r.Headline) != 1 || len(r.Figures) != 1 {
		t.Errorf("results: %d tables, %d figures", len(r.Tables), len(r.Figures))
	}
}
