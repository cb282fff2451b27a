package s2a

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/attnlab/attnlab/fixtures"
	"github.com/attnlab/attnlab/internal/badinput"
	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/probes"
)

// TestResultsAndSave: the embedded models evaluated on a small setup give
// the tables, pattern views and setup entries; saved and loaded again they
// are the same weights; models that do not fit the setup (the answerer's
// n_ctx too short for 40 facts) are bad input.
func TestResultsAndSave(t *testing.T) {
	t.Parallel()
	var ms Models
	for _, p := range []struct {
		name string
		dst  **model.Model
	}{{"s2a-answerer", &ms.Answerer}, {"s2a-instructed", &ms.Instructed}, {"s2a-regenerator", &ms.Regenerator}} {
		m, err := fixtures.Model(p.name)
		if err != nil {
			t.Fatal(err)
		}
		*p.dst = m
	}
	setup := DefaultSetup()
	setup.Rates, setup.Examples = []float64{0, 0.5}, 8
	r, err := Results(context.Background(), ms, setup, probes.S2AOptions{HeadThreshold: 0.3, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Tables) == 0 || len(r.Headline) == 0 || len(r.Patterns) == 0 || r.Extra["examples"] != 8 || r.Extra["facts"] != setup.Facts {
		t.Errorf("%d tables, %d headline, %d pattern views, extra %v", len(r.Tables), len(r.Headline), len(r.Patterns), r.Extra)
	}
	paths, err := Save(ms, filepath.Join(t.TempDir(), "models"))
	if err != nil {
		t.Fatal(err)
	}
	back, err := model.Load(paths["s2a-regenerator"], "")
	if err != nil || !slices.Equal(back.Params.Data, ms.Regenerator.Params.Data) || len(paths) != 3 {
		t.Errorf("saved regenerator: %v, paths %v", err, paths)
	}
	setup.Facts = 40
	if _, err := Results(context.Background(), ms, setup, probes.S2AOptions{HeadThreshold: 0.3, Workers: 2}); !badinput.Is(err) {
		t.Errorf("40 facts for a 64-token answerer: error %v, want bad input", err)
	}
}
