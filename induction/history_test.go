package induction

import (
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/attnlab/attnlab/model"
)

// TestTrackerHistory: a history continues on a tracker of the same batch
// with every field of every point (a NaN included); one of another batch,
// or whose steps do not increase, is refused.
func TestTrackerHistory(t *testing.T) {
	t.Parallel()
	tk := NewTracker(3)
	for i, pm := range []float64{0.1, 0.7} {
		h := HeadScores{HeadID: model.HeadID{Layer: 1, Head: i}, PrefixMatching: Stat{Mean: pm, Std: 0.01, Lo: pm - 0.02, Hi: pm + 0.02},
			OVCopying: math.NaN(), InductionCeil: 1.0 / 3}
		tk.Points = append(tk.Points, TrackPoint{Step: 10 * (i + 1), FirstRepeat: 4.1, SecondRepeat: 0.3 + float64(i), ICL: -1.7, Heads: []HeadScores{h, h}, Best: h})
	}
	b, err := tk.MarshalHistory()
	if err != nil {
		t.Fatal(err)
	}
	again := NewTracker(3)
	if err := again.UnmarshalHistory(b); err != nil {
		t.Fatal(err)
	}
	// NaN ≠ NaN: compare the points with their NaN replaced.
	nan := func(ps []TrackPoint) []TrackPoint {
		var out []TrackPoint
		for _, p := range ps {
			p.Heads = append([]HeadScores(nil), p.Heads...)
			for i := range p.Heads {
				if !math.IsNaN(p.Heads[i].OVCopying) {
					t.Fatalf("OVCopying %v, want NaN", p.Heads[i].OVCopying)
				}
				p.Heads[i].OVCopying = 42
			}
			p.Best.OVCopying = 42
			out = append(out, p)
		}
		return out
	}
	if got, want := nan(again.Points), nan(tk.Points); !reflect.DeepEqual(got, want) || !reflect.DeepEqual(again.MeasuredSteps(), []int{10, 20}) {
		t.Errorf("restored points %+v, want %+v", got, want)
	}
	if err := NewTracker(4).UnmarshalHistory(b); err == nil || !strings.Contains(err.Error(), "measured on another batch (seed 3") {
		t.Errorf("another seed: %v", err)
	}
	tk.Points[1].Step = 10
	if b, err = tk.MarshalHistory(); err != nil {
		t.Fatal(err)
	}
	if fresh := NewTracker(3); fresh.UnmarshalHistory(b) == nil || len(fresh.Points) != 0 {
		t.Error("a history with its steps out of order was accepted")
	}
}
