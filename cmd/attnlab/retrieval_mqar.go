package main

// The MQAR parts of attnlab retrieval: the trained grid (--parts mqar,
// --shard) and the evaluation of a trained model (--eval-only).

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/attnlab/attnlab/fixtures"
	"github.com/attnlab/attnlab/internal/shard"
	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/optim"
	"github.com/attnlab/attnlab/probes"
	"github.com/attnlab/attnlab/report"
	"github.com/attnlab/attnlab/studies/mqar"
	"github.com/attnlab/attnlab/tasks"
)

// applyGrid overrides the grid with the flags the user set.
func (o *retrievalOpts) applyGrid(g *mqar.Grid) error {
	var err error
	if o.kinds != "" {
		if g.Kinds, err = model.AttentionList(o.kinds); err != nil {
			return usagef("--kinds: %v", err)
		}
	}
	if o.dModels != "" {
		if g.DModels, err = intList("--d-models", o.dModels); err != nil {
			return err
		}
	}
	if o.kvPairs != "" {
		if g.KVPairs, err = intList("--kv-pairs", o.kvPairs); err != nil {
			return err
		}
	}
	for _, f := range []struct {
		name string
		v    int
		dst  *int
	}{{"--steps", o.steps, &g.Steps}, {"--batch", o.batch, &g.Batch}, {"--eval-seqs", o.evalN, &g.EvalSeqs}} {
		if f.v < 0 {
			return usagef("%s must be positive, got %d", f.name, f.v)
		}
		if f.v > 0 {
			*f.dst = f.v
		}
	}
	if o.seeds < 0 {
		return usagef("--seeds must be positive, got %d", o.seeds)
	}
	if o.seeds > 0 {
		g.Seeds = g.Seeds[:0]
		for s := range o.seeds {
			g.Seeds = append(g.Seeds, o.of.seed+uint64(s))
		}
	} else if o.of.seed != 1 {
		for i := range g.Seeds {
			g.Seeds[i] += o.of.seed - 1
		}
	}
	if o.lr < 0 || math.IsNaN(o.lr) {
		return usagef("--lr must be positive, got %v", o.lr)
	}
	if o.lr > 0 {
		g.LR = o.lr
	}
	if o.pure {
		g.ShiftSoftmax = false
	}
	if o.workers < 1 {
		return usagef("--workers must be positive, got %d", o.workers)
	}
	if err := g.Validate(); err != nil {
		return usageError{err}
	}
	return nil
}

// runGrid trains this shard's cells with a progress bar on stderr.
func (e *env) runGrid(o *retrievalOpts, g mqar.Grid, sh shard.Spec, r *report.Results) error {
	cells := mqar.ShardCells(g.Cells(), sh)
	if len(cells) == 0 {
		return usagef("shard %v holds no cell of this %d-cell grid", sh, len(g.Cells()))
	}
	var pretrained mqar.Pretrained
	toTrain := len(cells)
	if !o.train {
		pretrained = embeddedCell(g)
		for _, c := range cells {
			if m, _ := pretrained(c); m != nil {
				toTrain--
			}
		}
	}
	if !o.of.quiet {
		if n := len(cells) - toTrain; n > 0 {
			fmt.Fprintf(e.stderr, "evaluating %d MQAR cells from their embedded models (--train trains them here)\n", n)
		}
		if toTrain > 0 {
			fmt.Fprintf(e.stderr, "training %d MQAR cells (shard %v, from %s), %d steps each, %d at a time\n", toTrain, sh, sh.Source, g.Steps, o.workers)
		}
	}
	tick := optim.NewCounter(e.stderr, "mqar grid", "steps", toTrain*g.Steps, o.of.quiet || toTrain == 0)
	res, err := mqar.Run(e.ctx, g, cells, o.workers, tick.Add, pretrained)
	tick.Finish()
	if err != nil {
		return err
	}
	r.Append(g.Results(res))
	r.Extra["mqar_shard"] = sh.String()
	r.Extra["mqar_cells"] = len(g.Cells()) // the whole grid's, so merge can tell what is missing
	return nil
}

// runMQAREval evaluates a loaded model on MQAR held-out sequences.
func runMQAREval(e *env, o *retrievalOpts) error {
	if o.mf.path == "" {
		return usagef("--eval-only needs --model: the weights file to evaluate")
	}
	m, name, err := o.mf.load("")
	if err != nil {
		return err
	}
	cfg := tasks.DefaultMQARConfig()
	cfg.Vocab, cfg.SeqLen = m.Config.DVocab, m.Config.NCtx-m.Config.NCtx%2
	kvs := []int{4, 8, 16}
	if m.Task() == "mqar" {
		if cfg, err = tasks.ParseMQARSpec(m.TaskSpec()); err != nil {
			return fmt.Errorf("model %s: %w", name, err)
		}
		kvs = []int{cfg.NumKVPairs}
	}
	if o.kvPairs != "" {
		if kvs, err = intList("--kv-pairs", o.kvPairs); err != nil {
			return err
		}
	}
	n := o.evalN
	if n <= 0 {
		n = 256
	}
	for _, kv := range kvs {
		c := cfg
		c.NumKVPairs = kv
		if err := c.Validate(); err != nil {
			return usagef("model %s cannot be evaluated with %d key-value pairs: %v", name, kv, err)
		}
	}
	res, err := probes.EvalMQARPairs(m, name, cfg, kvs, n, o.of.seed)
	if err != nil {
		return err
	}
	res.Extra["config"] = json.RawMessage(m.Config.JSON())
	return e.finish(o.of, res)
}

// mqarFixture is the name of the embedded model of a quick-grid cell.
func mqarFixture(c mqar.Cell) string {
	return fmt.Sprintf("mqar-%s-d%d-kv%d", strings.ReplaceAll(c.Kind, ":", "-"), c.DModel, c.KVPairs)
}

// cellTrainArgs is the attnlab train command line that trains cell c of
// grid g: the same model, bit for bit, as mqar.TrainCell (one work unit,
// the grid's warmup of steps/10); every recipe setting is spelled out.
func cellTrainArgs(g mqar.Grid, c mqar.Cell) []string {
	kinds := make([]string, g.Layers)
	for l := range kinds {
		kinds[l] = c.Kind
	}
	if g.ShiftSoftmax && g.Layers > 1 {
		kinds[0] = "softmax"
	}
	return []string{"attnlab", "train", "--task", "mqar", "--kv-pairs", strconv.Itoa(c.KVPairs),
		"--vocab", strconv.Itoa(g.Vocab), "--seq-len", strconv.Itoa(g.SeqLenFor(c.KVPairs)), "--n-ctx", strconv.Itoa(g.SeqLenFor(slices.Max(g.KVPairs))),
		"--layers", strconv.Itoa(g.Layers), "--d-model", strconv.Itoa(c.DModel), "--heads", strconv.Itoa(g.Heads),
		"--attn", strings.Join(kinds, ","), "--steps", strconv.Itoa(g.Steps), "--batch", strconv.Itoa(g.Batch),
		"--lr", strconv.FormatFloat(g.LR, 'g', -1, 64), "--warmup", strconv.Itoa(g.Steps / 10), "--units", "1",
		"--seed", strconv.FormatUint(c.Seed, 10)}
}

// embeddedCell returns the embedded model of each cell of g that has one
// trained with exactly the cell's recipe (its recorded command is
// cellTrainArgs), so that evaluating it gives what training the cell here
// would.
func embeddedCell(g mqar.Grid) mqar.Pretrained {
	return func(c mqar.Cell) (*model.Model, string) {
		name := mqarFixture(c)
		if !slices.Contains(fixtures.Names(), name) {
			return nil, ""
		}
		m, err := fixtures.Model(name)
		if err != nil || m.Meta["trained_with"] != strings.Join(cellTrainArgs(g, c), " ") {
			return nil, ""
		}
		return m, "embedded:" + name
	}
}
