package bench

import (
	"context"
	"strings"
	"testing"

	"github.com/attnlab/attnlab/internal/badinput"
	"github.com/attnlab/attnlab/probes"
)

// TestSparse: the masks alone (no cost table, no reach) give one figure per
// kind and no table; every setting out of range is bad input naming it,
// also for a part that does not run.
func TestSparse(t *testing.T) {
	t.Parallel()
	good := SparseOptions{MaskKinds: []string{"softmax", "window:4"}, MaskLen: 12, NoCost: true,
		Cost: CostOptions{Kinds: []string{"window:16"}, N: 256, E: 16, Repeats: 1}, ReachOpt: probes.ReachOptions{Batch: 4}}
	r, err := Sparse(context.Background(), good)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Figures) != 2 || len(r.Tables) != 0 {
		t.Errorf("%d figures, %d tables; want 2 and 0", len(r.Figures), len(r.Tables))
	}
	for _, c := range []struct {
		edit func(o *SparseOptions)
		want string
	}{
		{func(o *SparseOptions) { o.Cost.N = SparseMaxN + 1 }, "n must be between 1 and 131072"},
		{func(o *SparseOptions) { o.Cost.E = 0 }, "d_head must be between 1 and 1024, got 0"},
		{func(o *SparseOptions) { o.MaskLen = 1 }, "mask_len must be between 2 and 256, got 1"},
		{func(o *SparseOptions) { o.ReachOpt.Batch = 0 }, "batch must be between 1 and 4096, got 0"},
		{func(o *SparseOptions) { o.Cost.Kinds = []string{"window:x"} }, "kinds: "},
		{func(o *SparseOptions) { o.MaskKinds = []string{"softmax", "diagonal"} }, "mask_kinds: "},
	} {
		o := good
		c.edit(&o)
		if err := o.Check(); !badinput.Is(err) || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("got %v, want bad input %q…", err, c.want)
		}
	}
}
