package s2a

import (
	"context"
	"path/filepath"

	"github.com/attnlab/attnlab/internal/badinput"
	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/probes"
	"github.com/attnlab/attnlab/report"
)

// Save writes the three models as dir/NAME.safetensors, NAME the embedded
// fixture's (s2a-answerer, s2a-instructed, s2a-regenerator), and returns
// their paths by name.
func Save(ms Models, dir string) (map[string]string, error) {
	paths := map[string]string{}
	for _, p := range []struct {
		name string
		m    *model.Model
	}{{"s2a-answerer", ms.Answerer}, {"s2a-instructed", ms.Instructed}, {"s2a-regenerator", ms.Regenerator}} {
		path := filepath.Join(dir, p.name+".safetensors")
		if err := p.m.Save(path); err != nil {
			return nil, err
		}
		paths[p.name] = path
	}
	return paths, nil
}

// Results evaluates models on setup (Run) and returns the tables and
// figures, the HTML report's views of the answerer's retrieval heads
// (PatternViews) and the setup for the manifest (facts, rates, examples).
// A failed evaluation is a *badinput.Error: the models do not fit the
// setup (vocabulary, context length).
func Results(ctx context.Context, models Models, setup Setup, opt probes.S2AOptions) (report.Results, error) {
	r, err := Run(ctx, models, setup, opt)
	if err != nil {
		return report.Results{}, badinput.Wrap(err)
	}
	res := r.Results()
	if res.Patterns, err = PatternViews(ctx, models, setup, r.Answerer.Chosen); err != nil {
		return report.Results{}, err
	}
	if res.Extra == nil {
		res.Extra = map[string]any{}
	}
	res.Extra["facts"], res.Extra["rates"], res.Extra["examples"] = setup.Facts, setup.Rates, setup.Examples
	return res, nil
}
