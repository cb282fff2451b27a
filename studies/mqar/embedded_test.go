package mqar

import (
	"context"
	"strings"
	"testing"

	"github.com/attnlab/attnlab/internal/badinput"
	"github.com/attnlab/attnlab/internal/shard"
)

// TestQuickGridFixtures: every cell of the quick grid has an embedded model
// that records the cell's train command (so RunShard evaluates it
// instead of training), and a grid with another recipe uses none.
func TestQuickGridFixtures(t *testing.T) {
	g := Quick()
	pre := Embedded(g)
	for _, c := range g.Cells() {
		m, name := pre(c)
		if m == nil {
			t.Errorf("no embedded model for cell %s (want %s, trained with %q)", FixtureName(c), FixtureName(c), strings.Join(TrainArgs(g, c), " "))
			continue
		}
		if name != "embedded:"+FixtureName(c) {
			t.Errorf("cell %d: model %q", c.Index, name)
		}
	}
	other := g
	other.Steps = 100
	if m, _ := Embedded(other)(other.Cells()[0]); m != nil {
		t.Error("a grid of 100 steps used the embedded 2400-step model")
	}
}

// TestRunShard: a shard runs its own cells (round robin), logs what it
// trains, and records which shard of how many cells it was; a shard with
// no cell is bad input. A quick-grid cell comes from its embedded model
// unless Train is set.
func TestRunShard(t *testing.T) {
	t.Parallel()
	g := Quick()
	g.Kinds, g.DModels, g.KVPairs, g.Steps, g.Batch, g.EvalSeqs = []string{"softmax", "linear:elu", "linear:relu"}, []int{16}, []int{2}, 3, 4, 8
	var log strings.Builder
	r, err := RunShard(context.Background(), g, ShardOptions{Shard: shard.Spec{Index: 1, Count: 2, Source: "flag"}, Workers: 1, Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	tab := r.Tables[0]
	if len(tab.Rows) != 1 || tab.Rows[0][tab.Column("cell")] != 1 || r.Extra["mqar_shard"] != "1/2" || r.Extra["mqar_cells"] != 3 {
		t.Errorf("shard 1/2 of 3 cells: rows %v, extra %v", tab.Rows, r.Extra)
	}
	if !strings.Contains(log.String(), "training 1 MQAR cells (shard 1/2, from flag), 3 steps each") {
		t.Errorf("log %q", log.String())
	}
	// The training's progress lines (optim.NewCounter) show the time left.
	if !strings.Contains(log.String(), "mqar grid: 3/3 steps (100%)") || !strings.Contains(log.String(), ", eta ") {
		t.Errorf("log %q: no progress line with the time left", log.String())
	}
	// The whole grid (no --shard) names no source.
	log.Reset()
	if _, err := RunShard(context.Background(), g, ShardOptions{Shard: shard.Spec{Index: 1, Count: 3}, Workers: 1, Log: &log}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "training 1 MQAR cells (shard 1/3), 3 steps each") {
		t.Errorf("log %q", log.String())
	}
	if _, err := RunShard(context.Background(), g, ShardOptions{Shard: shard.Spec{Index: 4, Count: 5}, Workers: 1}); !badinput.Is(err) {
		t.Errorf("an empty shard: error %v, want bad input", err)
	}

	q := Quick()
	q.Kinds, q.DModels, q.KVPairs = q.Kinds[:1], q.DModels[:1], q.KVPairs[:1]
	r, err = RunShard(context.Background(), q, ShardOptions{Shard: shard.Spec{Index: 0, Count: 1}, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Tables[0].Rows[0][r.Tables[0].Column("model")]; got != "embedded:"+FixtureName(q.Cells()[0]) {
		t.Errorf("quick-grid cell evaluated from %v, want its embedded model", got)
	}
}
