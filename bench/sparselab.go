package bench

import (
	"context"

	"github.com/attnlab/attnlab/attention"
	"github.com/attnlab/attnlab/internal/badinput"
	"github.com/attnlab/attnlab/probes"
	"github.com/attnlab/attnlab/report"
	"github.com/attnlab/attnlab/studies/reach"
)

// SparseMaxN is the longest sequence of the cost table: dense attention's
// two rows take about a minute and a half there on 2 cores (the naive one
// is skipped: 64 GiB).
const SparseMaxN = 1 << 17

// SparseOptions are attnlab sparse's three parts: the masks figure, the
// exactness and cost table, and the reach of the induction circuit.
type SparseOptions struct {
	MaskKinds []string    // kinds the masks figure draws ("softmax" or sparse kinds)
	MaskLen   int         // its sequence length
	Cost      CostOptions // the exactness and cost table (Kinds, N, E, Repeats, Seed)
	NoCost    bool        // skip the cost table
	// Reach are the reach study's models (reach.Models); none skips it.
	Reach    []reach.Model
	ReachOpt probes.ReachOptions
}

// Check validates every setting, whether or not its part runs: N, E,
// repeats, the mask length, the reach batch and both kind lists. Errors are
// *badinput.Setting naming n, d_head, repeats, mask_len, batch, kinds and
// mask_kinds.
func (o SparseOptions) Check() error {
	c := o.Cost
	switch {
	case c.N < 1 || c.N > SparseMaxN:
		return badinput.Settingf("{n} must be between 1 and %d (the dense rows' time grows as N²), got %d", SparseMaxN, c.N)
	case c.E < 1 || c.E > 1024:
		return badinput.Settingf("{d_head} must be between 1 and 1024, got %d", c.E)
	case c.Repeats < 1 || c.Repeats > 1000:
		return badinput.Settingf("{repeats} must be between 1 and 1000, got %d", c.Repeats)
	case o.MaskLen < 2 || o.MaskLen > 256:
		return badinput.Settingf("{mask_len} must be between 2 and 256, got %d", o.MaskLen)
	case o.ReachOpt.Batch < 1 || o.ReachOpt.Batch > 4096:
		return badinput.Settingf("{batch} must be between 1 and 4096, got %d", o.ReachOpt.Batch)
	}
	for _, k := range c.Kinds {
		if _, err := attention.ParseSparse(k); err != nil {
			return badinput.Settingf("{kinds}: %v", err)
		}
	}
	for _, k := range o.MaskKinds {
		if k != "softmax" {
			if _, err := attention.ParseSparse(k); err != nil {
				return badinput.Settingf("{mask_kinds}: %v", err)
			}
		}
	}
	return nil
}

// Sparse runs o's parts: the masks figure (MaskFigures), the cost table
// (SparseCost, CostTable: also the headline) and the reach study
// (reach.Run) on o.Reach.
func Sparse(ctx context.Context, o SparseOptions) (report.Results, error) {
	var r report.Results
	if err := o.Check(); err != nil {
		return r, err
	}
	masks, err := MaskFigures(o.MaskKinds, o.MaskLen)
	if err != nil {
		return r, err
	}
	r.Figures = masks
	if !o.NoCost {
		rows, err := SparseCost(ctx, o.Cost)
		if err != nil {
			return r, err
		}
		t := CostTable(rows, o.Cost.N, o.Cost.E)
		r.Tables, r.Headline = append(r.Tables, t), append(r.Headline, t)
	}
	if len(o.Reach) > 0 {
		res, err := reach.Run(ctx, o.Reach, o.ReachOpt)
		if err != nil {
			return r, err
		}
		r.Append(res.Results())
	}
	return r, nil
}
