package mqar

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/attnlab/attnlab/fixtures"
	"github.com/attnlab/attnlab/internal/badinput"
	"github.com/attnlab/attnlab/internal/shard"
	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/optim"
	"github.com/attnlab/attnlab/report"
)

// FixtureName is the name of the embedded model of a quick-grid cell.
func FixtureName(c Cell) string {
	return fmt.Sprintf("mqar-%s-d%d-kv%d", strings.ReplaceAll(c.Kind, ":", "-"), c.DModel, c.KVPairs)
}

// TrainArgs is the attnlab train command line that trains cell c of grid
// g: the same model, bit for bit, as TrainModel (one work unit, the grid's
// warmup of steps/10); every recipe setting is spelled out.
func TrainArgs(g Grid, c Cell) []string {
	kinds := g.config(c.Kind, c.DModel).Attention
	return []string{"attnlab", "train", "--task", "mqar", "--kv-pairs", strconv.Itoa(c.KVPairs),
		"--vocab", strconv.Itoa(g.Vocab), "--seq-len", strconv.Itoa(g.SeqLenFor(c.KVPairs)), "--n-ctx", strconv.Itoa(g.SeqLenFor(slices.Max(g.KVPairs))),
		"--layers", strconv.Itoa(g.Layers), "--d-model", strconv.Itoa(c.DModel), "--heads", strconv.Itoa(g.Heads),
		"--attn", strings.Join(kinds, ","), "--steps", strconv.Itoa(g.Steps), "--batch", strconv.Itoa(g.Batch),
		"--lr", strconv.FormatFloat(g.LR, 'g', -1, 64), "--warmup", strconv.Itoa(g.Steps / 10), "--units", "1",
		"--seed", strconv.FormatUint(c.Seed, 10)}
}

// Embedded returns the embedded model of each cell of g that has one
// trained with exactly the cell's recipe (its recorded command is
// TrainArgs), so that evaluating it gives what training the cell would.
func Embedded(g Grid) Pretrained {
	return func(c Cell) (*model.Model, string) {
		name := FixtureName(c)
		if !slices.Contains(fixtures.Names(), name) {
			return nil, ""
		}
		m, err := fixtures.Model(name)
		if err != nil || m.Meta[model.MetaTrainedWith] != strings.Join(TrainArgs(g, c), " ") {
			return nil, ""
		}
		return m, "embedded:" + name
	}
}

// ShardOptions say how RunShard runs its cells.
type ShardOptions struct {
	Shard   shard.Spec
	Workers int       // cells trained at once, one core each (results do not depend on it)
	Train   bool      // train every cell, also those with an embedded model (Embedded)
	Log     io.Writer // what runs, and a progress bar; nil for none
}

// RunShard runs shard o.Shard of grid g: the cells with an embedded model
// are evaluated (unless o.Train), the others trained, with a progress bar
// on o.Log. The results are g.Results' with the shard and the grid's
// cell count recorded (mqar_shard, mqar_cells), so Completeness can tell
// what a merge lacks. A shard that holds no cell is a *badinput.Error.
func RunShard(ctx context.Context, g Grid, o ShardOptions) (report.Results, error) {
	cells := ShardCells(g.Cells(), o.Shard)
	if len(cells) == 0 {
		return report.Results{}, badinput.Errorf("shard %v holds no cell of this %d-cell grid", o.Shard, len(g.Cells()))
	}
	var pretrained Pretrained
	toTrain := len(cells)
	if !o.Train {
		pretrained = Embedded(g)
		for _, c := range cells {
			if m, _ := pretrained(c); m != nil {
				toTrain--
			}
		}
	}
	log := o.Log
	if log == nil {
		log = io.Discard
	}
	if n := len(cells) - toTrain; n > 0 {
		fmt.Fprintf(log, "evaluating %d MQAR cells from their embedded models (--train trains them here)\n", n)
	}
	if toTrain > 0 {
		from := "" // a shard chosen by nobody (the whole grid) has no source
		if o.Shard.Source != "" {
			from = ", from " + o.Shard.Source
		}
		fmt.Fprintf(log, "training %d MQAR cells (shard %v%s), %d steps each, %d at a time\n", toTrain, o.Shard, from, g.Steps, o.Workers)
	}
	tick := optim.NewCounter(log, "mqar grid", "steps", toTrain*g.Steps, o.Log == nil || toTrain == 0)
	res, err := Run(ctx, g, cells, o.Workers, tick.Add, pretrained)
	tick.Finish()
	if err != nil {
		return report.Results{}, err
	}
	r := g.Results(res)
	r.Extra["mqar_shard"] = o.Shard.String()
	r.Extra["mqar_cells"] = len(g.Cells()) // the whole grid's, so merge can tell what is missing
	return r, nil
}
