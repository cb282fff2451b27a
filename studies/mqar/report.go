package mqar

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/attnlab/attnlab/internal/shard"
	"github.com/attnlab/attnlab/plots"
	"github.com/attnlab/attnlab/report"
)

// ShardCells returns the cells shard s runs: those whose Index ≡ s.Index
// (mod s.Count). Round-robin keeps shards balanced across kinds and sizes,
// and the shards together hold every cell exactly once.
func ShardCells(cells []Cell, s shard.Spec) []Cell {
	var out []Cell
	for _, c := range cells {
		if s.Holds(c.Index) {
			out = append(out, c)
		}
	}
	return out
}

// ShardRun is what a shard's manifest records: which shard it was and how
// many cells the whole grid has.
type ShardRun struct {
	Shard shard.Spec
	Cells int
}

// ShardRunOf reads a ShardRun from a retrieval manifest's extra entries
// ("mqar_shard": "i/n", "mqar_cells": N).
func ShardRunOf(extra map[string]any) (ShardRun, bool) {
	spec, ok1 := extra["mqar_shard"].(string)
	cells, ok2 := extra["mqar_cells"].(float64)
	if !ok1 || !ok2 || cells < 1 || cells != math.Trunc(cells) {
		return ShardRun{}, false
	}
	s, err := shard.Parse(spec, func(string) string { return "" })
	if err != nil {
		return ShardRun{}, false
	}
	return ShardRun{Shard: s, Cells: int(cells)}, true
}

// Completeness says what a merge lacks, "" if nothing: the shards of the
// grid that no input was (from the shards' manifests), and the cells no row
// holds. Without manifests the grid's size is unknown, so only the cells
// below the largest id present can be found missing.
func Completeness(merged *report.Table, runs []ShardRun) string {
	cells, count := 0, 0
	seen := map[int]bool{}
	for _, r := range runs {
		if count != 0 && (r.Shard.Count != count || r.Cells != cells) {
			return fmt.Sprintf("the shards come from different grids (%d shards of %d cells, and %d of %d)", count, cells, r.Shard.Count, r.Cells)
		}
		count, cells = r.Shard.Count, r.Cells
		seen[r.Shard.Index] = true
	}
	if cells == 0 { // no manifest: up to the largest cell present
		ci := merged.Column("cell")
		for _, row := range merged.Rows {
			if v, ok := report.Float(row[ci]); ok {
				cells = max(cells, int(v)+1)
			}
		}
	}
	var parts []string
	var shards []string
	for i := range count {
		if !seen[i] {
			shards = append(shards, fmt.Sprintf("%d/%d", i, count))
		}
	}
	if len(shards) > 0 {
		parts = append(parts, fmt.Sprintf("%d of %d shards missing (%s)", len(shards), count, list(shards, 8)))
	}
	if miss := Missing(merged, cells); len(miss) > 0 {
		ids := make([]string, len(miss))
		for i, c := range miss {
			ids[i] = strconv.Itoa(c)
		}
		parts = append(parts, fmt.Sprintf("%d of %d cells missing (%s)", len(miss), cells, list(ids, 12)))
	}
	return strings.Join(parts, "; ")
}

// list joins at most n items, then "…".
func list(items []string, n int) string {
	if len(items) > n {
		return strings.Join(items[:n], ", ") + ", …"
	}
	return strings.Join(items, ", ")
}

// Missing returns the cell ids in 0…cells−1 that no row of the merged table
// t holds, in order.
func Missing(t *report.Table, cells int) []int {
	ci := t.Column("cell")
	have := make([]bool, cells)
	for _, row := range t.Rows {
		if v, ok := report.Float(row[ci]); ok && v >= 0 && int(v) < cells {
			have[int(v)] = true
		}
	}
	var out []int
	for c, ok := range have {
		if !ok {
			out = append(out, c)
		}
	}
	return out
}

// mqarColumns are mqar.csv's columns, in order.
var mqarColumns = []report.Column{
	{Name: "cell"}, {Name: "attention"}, {Name: "feature_map"}, {Name: "d_model"}, {Name: "kv_pairs"},
	{Name: "seed"}, {Name: "layers"}, {Name: "seq_len"}, {Name: "accuracy", Format: "%.3f"}, {Name: "val_loss", Unit: "nats", Format: "%.3f"},
	{Name: "steps"}, {Name: "wall_time", Unit: "s", Format: "%.1f"}, {Name: "eval_hash"}, {Name: "model"},
}

// Table is mqar.csv: one row per trained cell.
func Table(res []Result) *report.Table {
	t := report.NewTable("mqar", "Trained MQAR: held-out accuracy per cell", mqarColumns...)
	for _, r := range res {
		t.Add(r.Index, r.Kind, r.FeatureMap, r.DModel, r.KVPairs, int(r.Seed), r.Layers, r.SeqLen, r.Accuracy, r.ValLoss, r.Steps, r.Seconds, r.DataHash, r.Model)
	}
	return t
}

// Merge joins shard tables of one grid: the columns must match; rows
// are sorted by cell, and a cell present in two shards (a re-run) must
// carry the same result, else it is an error. Every table must hold at
// least one row, every cell id must be a non-negative integer and every
// accuracy a number in [0, 1]: a header-only file, a negative cell or a
// NaN accuracy is a damaged shard, not a result. Errors name a table by
// names[k] when given (the file it came from), else by its position.
func Merge(ts []*report.Table, names ...string) (*report.Table, error) {
	if len(ts) == 0 {
		return nil, fmt.Errorf("mqar: nothing to merge")
	}
	out := report.NewTable(ts[0].Name, ts[0].Title, ts[0].Columns...)
	tableName := func(k int) string {
		if k < len(names) {
			return names[k]
		}
		return fmt.Sprintf("table %d", k+1)
	}
	columns := func(t *report.Table) []string {
		var s []string
		for _, c := range t.Columns {
			s = append(s, c.Name)
		}
		return s
	}
	ci, ai := ts[0].Column("cell"), ts[0].Column("accuracy")
	if ci < 0 || ai < 0 {
		return nil, fmt.Errorf("mqar: %s has no cell or accuracy column", tableName(0))
	}
	seen := map[int64][]any{}
	for k, t := range ts {
		if !slices.Equal(columns(t), columns(ts[0])) {
			return nil, fmt.Errorf("mqar: %s has columns %v, %s has %v", tableName(k), columns(t), tableName(0), columns(ts[0]))
		}
		if len(t.Rows) == 0 {
			return nil, fmt.Errorf("mqar: %s holds no cells, only a header", tableName(k))
		}
		for _, row := range t.Rows {
			cf, ok := report.Float(row[ci])
			if !ok || cf < 0 || cf != math.Trunc(cf) || cf > 1<<53 {
				return nil, fmt.Errorf("mqar: %s: cell %v is not a non-negative integer", tableName(k), row[ci])
			}
			id := int64(cf)
			if acc, ok := report.Float(row[ai]); !ok || !(acc >= 0 && acc <= 1) {
				return nil, fmt.Errorf("mqar: %s: cell %d has accuracy %v, want a number in [0, 1]", tableName(k), id, row[ai])
			}
			if prev, dup := seen[id]; dup {
				if fmt.Sprint(prev[1:9]) != fmt.Sprint(row[1:9]) {
					return nil, fmt.Errorf("mqar: cell %d appears twice with different results (%v vs %v)", id, prev[1:9], row[1:9])
				}
				continue
			}
			seen[id] = row
			out.Rows = append(out.Rows, row)
		}
	}
	slices.SortFunc(out.Rows, func(a, b []any) int {
		x, _ := report.Float(a[ci])
		y, _ := report.Float(b[ci])
		return cmp.Compare(x, y)
	})
	return out, nil
}

// mqarRow is the part of an mqar.csv row the summaries use.
type mqarRow struct {
	kind     string
	d, kv    int
	accuracy float64
}

func mqarRows(t *report.Table) []mqarRow {
	ka, kd, kk, kacc := t.Column("attention"), t.Column("d_model"), t.Column("kv_pairs"), t.Column("accuracy")
	var rows []mqarRow
	for _, r := range t.Rows {
		d, _ := report.Float(r[kd])
		kv, _ := report.Float(r[kk])
		acc, _ := report.Float(r[kacc])
		rows = append(rows, mqarRow{fmt.Sprint(r[ka]), int(d), int(kv), acc})
	}
	return rows
}

// Summary is the terminal table: mean held-out accuracy over seeds,
// one row per attention × d_model, one column per kv-pair count.
func Summary(t *report.Table) *report.Table {
	rows := mqarRows(t)
	var kvs []int
	type key struct {
		kind string
		d    int
	}
	var keys []key
	sum, n := map[key]map[int]float64{}, map[key]map[int]int{}
	for _, r := range rows {
		k := key{r.kind, r.d}
		if sum[k] == nil {
			sum[k], n[k] = map[int]float64{}, map[int]int{}
			keys = append(keys, k)
		}
		sum[k][r.kv] += r.accuracy
		n[k][r.kv]++
		if !slices.Contains(kvs, r.kv) {
			kvs = append(kvs, r.kv)
		}
	}
	slices.Sort(kvs)
	slices.SortStableFunc(keys, func(a, b key) int { return cmp.Compare(a.d, b.d) })
	cols := []report.Column{{Name: "attention"}, {Name: "d_model"}}
	for _, kv := range kvs {
		cols = append(cols, report.Column{Name: fmt.Sprintf("kv=%d", kv), Format: "%.2f"})
	}
	s := report.NewTable("mqar_summary", "Trained MQAR accuracy (held-out, mean over seeds)", cols...)
	for _, k := range keys {
		cells := []any{k.kind, k.d}
		for _, kv := range kvs {
			var v any // a cell not trained: not applicable
			if n[k][kv] > 0 {
				v = sum[k][kv] / float64(n[k][kv])
			}
			cells = append(cells, v)
		}
		s.Add(cells...)
	}
	return s
}

// Chart is mqar.png, Zoology's figure: one panel per d_model, held-out
// accuracy against key-value pairs (log x, ticks at the measured counts),
// one line per attention kind with markers (the mean over seeds, and a
// band from the worst to the best seed when there are several), and the
// accuracy of a guess among the sequence's values (1/kv).
func Chart(t *report.Table) plots.Panels {
	rows := mqarRows(t)
	var kinds []string
	var ds, kvs []int
	seeds := map[string]int{} // kind/d/kv -> seeds
	for _, r := range rows {
		if !slices.Contains(kinds, r.kind) {
			kinds = append(kinds, r.kind)
		}
		if !slices.Contains(ds, r.d) {
			ds = append(ds, r.d)
		}
		if !slices.Contains(kvs, r.kv) {
			kvs = append(kvs, r.kv)
		}
		seeds[fmt.Sprint(r.kind, r.d, r.kv)]++
	}
	slices.Sort(ds)
	slices.Sort(kvs)
	maxSeeds := 0
	for _, n := range seeds {
		maxSeeds = max(maxSeeds, n)
	}
	x := make([]float64, len(kvs))
	guess := make([]float64, len(kvs))
	for i, kv := range kvs {
		x[i], guess[i] = float64(kv), 1/float64(kv)
	}
	zero, top := 0.0, 1.04
	var panels []plots.LineChart
	for _, d := range ds {
		c := plots.LineChart{Title: fmt.Sprintf("d_model = %d", d), XLabel: "key-value pairs (log scale)",
			YLabel: "held-out accuracy", LogX: true, XTicks: x, Markers: true, YMin: &zero, YMax: &top}
		// Every panel has every kind, in one order, so colours and
		// markers match across panels; a missing cell is a gap.
		for _, k := range kinds {
			se := plots.Series{Name: k, X: x}
			for _, kv := range kvs {
				mean, lo, hi, n := 0.0, math.Inf(1), math.Inf(-1), 0
				for _, r := range rows {
					if r.kind == k && r.d == d && r.kv == kv {
						mean += r.accuracy
						lo, hi, n = min(lo, r.accuracy), max(hi, r.accuracy), n+1
					}
				}
				if n == 0 {
					mean, lo, hi = math.NaN(), math.NaN(), math.NaN()
				} else {
					mean /= float64(n)
				}
				se.Y, se.Lo, se.Hi = append(se.Y, mean), append(se.Lo, lo), append(se.Hi, hi)
			}
			if maxSeeds < 2 {
				se.Lo, se.Hi = nil, nil
			}
			c.Series = append(c.Series, se)
		}
		c.Series = append(c.Series, plots.Series{Name: "guess among the values (1/kv)", X: x, Y: guess, Reference: true})
		panels = append(panels, c)
	}
	title := "Trained MQAR (Arora et al. 2023): held-out recall"
	if maxSeeds > 1 {
		title += fmt.Sprintf(", mean and range over %d seeds", maxSeeds)
	}
	return plots.Panels{Title: title, Charts: panels, SharedLegend: true, Width: 3.2*float64(len(ds)) + 1.9, Height: 4}
}

// Results returns the tables (mqar.csv), headline (the summary), figures
// (mqar.png) and manifest entries (the grid and, per kv-pair count,
// the task spec and the hashes of the held-out sets) of cells trained on g.
func (g Grid) Results(res []Result) report.Results {
	t := Table(res)
	r := report.Results{Tables: []*report.Table{t}, Headline: []*report.Table{Summary(t)}, Extra: map[string]any{},
		Figures: []report.Figure{{Name: "mqar.png", Fig: Chart(t)}}}
	for _, x := range res {
		if x.kernelMap != nil {
			r.Tables = append(r.Tables, x.kernelMap)
			r.Figures = append(r.Figures, x.kernelFigs...)
		}
	}
	specs := map[string]any{}
	for _, kv := range g.KVPairs {
		task, _ := g.Task(kv)
		var hashes []string
		for _, x := range res {
			if x.KVPairs == kv && !slices.Contains(hashes, x.DataHash) {
				hashes = append(hashes, x.DataHash)
			}
		}
		specs[strconv.Itoa(kv)] = map[string]any{"spec": task.Spec(), "eval_hashes": hashes}
	}
	r.Extra["mqar_grid"] = g
	r.Extra["mqar_tasks"] = specs
	return r
}
