package induction

import (
	"testing"

	"github.com/attnlab/attnlab/fixtures"
)

// TestTrackerPhaseChange: the phase change is the first measurement whose
// best prefix-matching score reaches PhaseThreshold, read from typed points.
func TestTrackerPhaseChange(t *testing.T) {
	t.Parallel()
	tk := NewTracker(1)
	for i, pm := range []float64{0.1, 0.49, 0.5, 0.9, 0.2} {
		h := HeadScores{Layer: 1, Head: i % 2, PrefixMatching: Stat{Mean: pm}}
		tk.Points = append(tk.Points, TrackPoint{Step: 100 * i, Heads: []HeadScores{h}, Best: h})
	}
	if s, ok := tk.PhaseChange(); !ok || s != 200 {
		t.Errorf("phase change at %d (%v), want step 200", s, ok)
	}
	phase, heads := tk.Tables()
	if len(phase.Rows) != 5 || len(heads.Rows) != 5 || phase.Rows[2][6] != "L1H0" {
		t.Errorf("phase rows %v, head rows %d", phase.Rows, len(heads.Rows))
	}
	if c := tk.Chart(); len(c.VLines) != 1 || c.VLines[0].X != 200 {
		t.Errorf("chart marks %v, want step 200", c.VLines)
	}
	if _, ok := (&Tracker{}).PhaseChange(); ok {
		t.Error("an empty tracker reports a phase change")
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
