package main

import (
	"encoding/json"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/attnlab/attnlab/attention"
	"github.com/attnlab/attnlab/optim"
	"github.com/attnlab/attnlab/probes"
	"github.com/attnlab/attnlab/report"
	"github.com/attnlab/attnlab/studies/mqar"
	"github.com/attnlab/attnlab/tasks"
	"github.com/spf13/cobra"
)

type retrievalOpts struct {
	of       outFlags
	mf       modelFlags
	parts    string
	full     bool
	shard    string
	evalOnly bool

	maps    string // analytic feature maps
	dims    string
	kinds   string // grid attention kinds
	dModels string
	kvPairs string
	seeds   int
	steps   int
	batch   int
	lr      float64
	workers int
	evalN   int
	pure    bool

	scalingN  string
	scalingFM string
}

func newRetrievalCmd(e *env) *cobra.Command {
	o := &retrievalOpts{}
	c := &cobra.Command{
		Use:   "retrieval",
		Short: "Exact recall of softmax vs linear attention: analytic probe, trained MQAR grid, time vs N",
		Long: `Compare softmax attention with linear attention (feature maps elu, relu, favor,
taylor, identity) on exact key-value retrieval, in three parts:

  analytic  N random unit key→value pairs in d dims, every key queried (no training):
            analytic.csv, analytic_d{16,32,64}.png
  mqar      tiny 2-layer models trained on Zoology's multi-query associative recall with
            the same budget per cell (attention × d_model × kv pairs × seed), accuracy on
            held-out sequences: mqar.csv, mqar_d{D}.png. Layer 0 stays softmax (the token
            shift that Based gets from a short convolution); layer 1, the lookup, uses the
            kind under test. --pure makes both layers the kind.
  scaling   one head's causal attention time vs N for dense softmax and linear attention's
            quadratic and O(N) recurrent forms, fitted log-log slopes: scaling.csv, scaling.png

The default MQAR grid is quick (a few minutes on 2 cores); --full runs the paper-sized
grid, which --shard i/n splits across machines (attnlab merge joins the CSVs).
--eval-only --model M evaluates a trained model on MQAR without training.`,
		Example: `  attnlab retrieval
  attnlab retrieval --parts analytic,scaling
  attnlab retrieval --full --shard 0/4 --out shard0 && attnlab merge shard*/mqar.csv --out mqar.csv
  attnlab retrieval --eval-only --model m.safetensors --kv-pairs 4,8,16`,
		Args: cobra.NoArgs,
		RunE: func(_ *cobra.Command, _ []string) error { return runRetrieval(e, o) },
	}
	o.of.add(c, "attnlab-out/retrieval")
	o.mf.add(c, "with --eval-only: the weights file to evaluate")
	f := c.Flags()
	f.StringVar(&o.parts, "parts", "analytic,mqar,scaling", "which parts to run: analytic, mqar, scaling (comma-separated)")
	f.BoolVar(&o.full, "full", false, "run the paper-sized MQAR grid (hours on 2 cores) instead of the quick one")
	f.StringVar(&o.shard, "shard", "", "run only MQAR cells i, i+n, i+2n, … of the grid (i/n, 0 ≤ i < n); implies --parts mqar")
	f.BoolVar(&o.evalOnly, "eval-only", false, "evaluate --model on MQAR held-out sequences, no training")
	f.StringVar(&o.maps, "maps", "elu,relu,favor,taylor,identity", "analytic: linear feature maps (favor:M for M features)")
	f.StringVar(&o.dims, "dims", "16,32,64", "analytic: key dimensions d")
	f.StringVar(&o.kinds, "kinds", "", "mqar: attention kinds of the grid (default: the grid's)")
	f.StringVar(&o.dModels, "d-models", "", "mqar: d_model values (default: the grid's)")
	f.StringVar(&o.kvPairs, "kv-pairs", "", "mqar: key-value pair counts (default: the grid's, or the model's with --eval-only)")
	f.IntVar(&o.seeds, "seeds", 0, "mqar: seeds per cell (default: the grid's)")
	f.IntVar(&o.steps, "steps", 0, "mqar: training steps per cell (default: the grid's)")
	f.IntVar(&o.batch, "batch", 0, "mqar: sequences per step (default: the grid's)")
	f.Float64Var(&o.lr, "lr", 0, "mqar: peak learning rate (default: the grid's)")
	f.IntVar(&o.workers, "workers", runtime.GOMAXPROCS(0), "mqar: cells trained in parallel (one core each; results do not depend on it)")
	f.BoolVar(&o.pure, "pure", false, "mqar: every layer uses the kind under test (default: layer 0 stays softmax as the token shift)")
	f.IntVar(&o.evalN, "eval-seqs", 0, "mqar: held-out sequences per cell (default: the grid's, 256 quick)")
	f.StringVar(&o.scalingN, "scaling-n", "256,1024,4096,16384", "scaling: sequence lengths N")
	f.StringVar(&o.scalingFM, "scaling-map", "elu", "scaling: feature map of the linear forms")
	return c
}

// intList parses "4,8,16" for flag name.
func intList(name, s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || v <= 0 {
			return nil, usagef("%s must be a comma-separated list of positive integers, got %q", name, s)
		}
		out = append(out, v)
	}
	return out, nil
}

func runRetrieval(e *env, o *retrievalOpts) error {
	if o.evalOnly {
		return runMQAREval(e, o)
	}
	if o.mf.path != "" {
		return usagef("--model needs --eval-only: the grid trains its own models")
	}
	parts := strings.Split(o.parts, ",")
	for _, p := range parts {
		if !slices.Contains([]string{"analytic", "mqar", "scaling"}, p) {
			return usagef("--parts must list analytic, mqar or scaling, got %q", p)
		}
	}
	grid := mqar.Quick()
	if o.full {
		grid = mqar.Full()
	}
	si, sn := 0, 1
	if o.shard != "" {
		var err error
		if si, sn, err = mqar.ParseShard(o.shard); err != nil {
			return usagef("--shard %q must be i/n with 0 ≤ i < n, e.g. --shard 0/4", o.shard)
		}
		parts = []string{"mqar"}
	}
	if err := o.applyGrid(&grid); err != nil {
		return err
	}
	var maps []string
	for _, m := range strings.Split(o.maps, ",") {
		if _, err := attention.NewFeatureMap(m); err != nil {
			return usagef("--maps: unknown feature map %q (known: elu, relu, favor, favor:M, taylor, identity)", m)
		}
		maps = append(maps, m)
	}
	if _, err := attention.NewFeatureMap(o.scalingFM); err != nil {
		return usagef("--scaling-map: unknown feature map %q (known: elu, relu, favor, favor:M, taylor, identity)", o.scalingFM)
	}
	dims, err := intList("--dims", o.dims)
	if err != nil {
		return err
	}
	ns, err := intList("--scaling-n", o.scalingN)
	if err != nil {
		return err
	}
	r := report.Results{Model: "trained per cell", Extra: map[string]any{"parts": parts}}
	if slices.Contains(parts, "analytic") {
		cfg := probes.DefaultAnalytic()
		cfg.Dims, cfg.Maps, cfg.Seed = dims, maps, o.of.seed
		rows := probes.Analytic(cfg)
		r.Tables = append(r.Tables, probes.AnalyticTable(rows))
		r.Headline = append(r.Headline, probes.AnalyticSummary(rows))
		charts := probes.AnalyticCharts(rows)
		for _, d := range dims {
			r.Figures = append(r.Figures, report.Figure{Name: fmt.Sprintf("analytic_d%d.png", d), Fig: charts[d]})
		}
		r.Extra["analytic"] = cfg
	}
	if slices.Contains(parts, "mqar") {
		if err := e.runGrid(o, grid, si, sn, &r); err != nil {
			return err
		}
	}
	if slices.Contains(parts, "scaling") {
		const E = 64
		if !o.of.quiet {
			fmt.Fprintf(e.stderr, "timing attention at N = %v (dense softmax at N = 16384 takes a few seconds)\n", ns)
		}
		pts, err := probes.Scaling(e.ctx, ns, E, o.scalingFM, 500*time.Millisecond)
		if err != nil {
			return err
		}
		t := probes.ScalingTable(pts, E, o.scalingFM)
		r.Tables = append(r.Tables, t)
		r.Headline = append(r.Headline, t)
		r.Figures = append(r.Figures, report.Figure{Name: "scaling.png", Fig: probes.ScalingChart(pts, E, o.scalingFM)})
	}
	return e.finish(o.of, r)
}

// applyGrid overrides the grid with the flags the user set.
func (o *retrievalOpts) applyGrid(g *mqar.Grid) error {
	var err error
	if o.kinds != "" {
		g.Kinds = strings.Split(o.kinds, ",")
		for _, k := range g.Kinds {
			if _, err := attention.New[float32](k); err != nil {
				return usagef("--kinds: unknown attention kind %q (known: %s)", k, strings.Join(attention.Kinds(), ", "))
			}
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
func (e *env) runGrid(o *retrievalOpts, g mqar.Grid, si, sn int, r *report.Results) error {
	cells := mqar.ShardCells(g.Cells(), si, sn)
	if len(cells) == 0 {
		return usagef("shard %d/%d holds no cell of this %d-cell grid", si, sn, len(g.Cells()))
	}
	if !o.of.quiet {
		fmt.Fprintf(e.stderr, "training %d MQAR cells (shard %d/%d), %d steps each, %d at a time\n", len(cells), si, sn, g.Steps, o.workers)
	}
	tick := optim.NewCounter(e.stderr, "mqar grid", "steps", len(cells)*g.Steps, o.of.quiet)
	res, err := mqar.Run(e.ctx, g, cells, o.workers, tick.Add)
	tick.Finish()
	if err != nil {
		return err
	}
	r.Append(g.Results(res))
	r.Extra["mqar_shard"] = fmt.Sprintf("%d/%d", si, sn)
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
	var spec struct {
		Vocab    int     `json:"vocab"`
		KV       int     `json:"num_kv_pairs"`
		SeqLen   int     `json:"seq_len"`
		PowerA   float64 `json:"power_a"`
		RandomNQ *bool   `json:"random_non_queries"`
	}
	kvs := []int{4, 8, 16}
	if s, ok := m.Meta["task_spec"]; ok && m.Meta["task"] == "mqar" && json.Unmarshal([]byte(s), &spec) == nil {
		cfg.Vocab, cfg.SeqLen, cfg.PowerA, kvs = spec.Vocab, spec.SeqLen, spec.PowerA, []int{spec.KV}
		if spec.RandomNQ != nil {
			cfg.RandomNonQueries = *spec.RandomNQ
		}
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
	t := report.NewTable("mqar_eval", "MQAR held-out accuracy of "+name,
		report.Column{Name: "model"}, report.Column{Name: "attention"}, report.Column{Name: "kv_pairs"}, report.Column{Name: "seq_len"},
		report.Column{Name: "vocab"}, report.Column{Name: "queries"}, report.Column{Name: "accuracy", Format: "%.3f"},
		report.Column{Name: "val_loss", Unit: "nats", Format: "%.3f"}, report.Column{Name: "eval_hash"})
	specs := map[string]any{}
	var kinds []string
	for l := range m.Config.NLayers {
		kinds = append(kinds, m.Config.AttentionKind(l))
	}
	for _, kv := range kvs {
		c := cfg
		c.NumKVPairs = kv
		task, err := tasks.NewMQAR(c)
		if err != nil {
			return usagef("model %s cannot be evaluated with %d key-value pairs: %v", name, kv, err)
		}
		ev, err := probes.EvalMQAR(m, task, c.SeqLen, n, o.of.seed)
		if err != nil {
			return err
		}
		t.Add(name, strings.Join(kinds, ","), kv, c.SeqLen, c.Vocab, ev.Queries, ev.Accuracy, ev.Loss, ev.Hash)
		specs[strconv.Itoa(kv)] = map[string]any{"spec": task.Spec(), "eval_hash": ev.Hash}
	}
	return e.finish(o.of, report.Results{Tables: []*report.Table{t}, Headline: []*report.Table{t}, Model: name,
		Extra: map[string]any{"mqar_tasks": specs, "config": json.RawMessage(m.Config.JSON())}})
}
