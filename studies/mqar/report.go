package mqar

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/attnlab/attnlab/plots"
	"github.com/attnlab/attnlab/report"
)

// ParseShard parses "i/n" (0 ≤ i < n) as given to --shard.
func ParseShard(s string) (i, n int, err error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return 0, 0, fmt.Errorf("mqar: shard %q must be i/n with 0 ≤ i < n, e.g. 0/4", s)
	}
	return i, n, nil
}

// ShardCells returns the cells of shard i of n: those whose Index ≡ i
// (mod n). Round-robin keeps shards balanced across kinds and sizes, and
// the n shards together hold every cell exactly once.
func ShardCells(cells []Cell, i, n int) []Cell {
	var out []Cell
	for _, c := range cells {
		if c.Index%n == i {
			out = append(out, c)
		}
	}
	return out
}

// mqarColumns are mqar.csv's columns, in order.
var mqarColumns = []report.Column{
	{Name: "cell"}, {Name: "attention"}, {Name: "feature_map"}, {Name: "d_model"}, {Name: "kv_pairs"},
	{Name: "seed"}, {Name: "layers"}, {Name: "seq_len"}, {Name: "accuracy", Format: "%.3f"}, {Name: "val_loss", Unit: "nats", Format: "%.3f"},
	{Name: "steps"}, {Name: "wall_time", Unit: "s", Format: "%.1f"}, {Name: "eval_hash"},
}

// Table is mqar.csv: one row per trained cell.
func Table(res []Result) *report.Table {
	t := report.NewTable("mqar", "Trained MQAR: held-out accuracy per cell", mqarColumns...)
	for _, r := range res {
		t.Add(r.Index, r.Kind, r.FeatureMap, r.DModel, r.KVPairs, int(r.Seed), r.Layers, r.SeqLen, r.Accuracy, r.ValLoss, r.Steps, r.Seconds, r.DataHash)
	}
	return t
}

// Merge joins shard tables of one grid: the columns must match; rows
// are sorted by cell, and a cell present in two shards (a re-run) must
// carry the same accuracy, else it is an error.
func Merge(ts []*report.Table) (*report.Table, error) {
	if len(ts) == 0 {
		return nil, fmt.Errorf("mqar: nothing to merge")
	}
	out := report.NewTable(ts[0].Name, ts[0].Title, ts[0].Columns...)
	names := func(t *report.Table) []string {
		var s []string
		for _, c := range t.Columns {
			s = append(s, c.Name)
		}
		return s
	}
	ci := ts[0].Column("cell")
	if ci < 0 {
		return nil, fmt.Errorf("mqar: shard table has no cell column")
	}
	seen := map[int64][]any{}
	for k, t := range ts {
		if !slices.Equal(names(t), names(ts[0])) {
			return nil, fmt.Errorf("mqar: table %d has columns %v, the first has %v", k+1, names(t), names(ts[0]))
		}
		for _, row := range t.Rows {
			cf, ok := report.Float(row[ci])
			if !ok {
				return nil, fmt.Errorf("mqar: table %d: cell %v is not a number", k+1, row[ci])
			}
			id := int64(cf)
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
			v := math.NaN()
			if n[k][kv] > 0 {
				v = sum[k][kv] / float64(n[k][kv])
			}
			cells = append(cells, v)
		}
		s.Add(cells...)
	}
	return s
}

// Charts draws accuracy vs kv pairs (log x), one chart per d_model.
func Charts(t *report.Table) map[int]plots.LineChart {
	s := Summary(t)
	charts := map[int]plots.LineChart{}
	var kvs []float64
	for _, c := range s.Columns[2:] {
		kv, _ := strconv.Atoi(strings.TrimPrefix(c.Name, "kv="))
		kvs = append(kvs, float64(kv))
	}
	for _, row := range s.Rows {
		d := row[1].(int)
		c, ok := charts[d]
		if !ok {
			c = plots.LineChart{Title: fmt.Sprintf("Trained MQAR, d_model = %d", d), XLabel: "key-value pairs per sequence (log scale)",
				YLabel: "held-out recall accuracy (fraction)", LogX: true, Height: 4.5}
		}
		se := plots.Series{Name: row[0].(string), X: kvs, Dashed: row[0] == "softmax"}
		for _, v := range row[2:] {
			se.Y = append(se.Y, v.(float64))
		}
		c.Series = append(c.Series, se)
		charts[d] = c
	}
	ref := plots.Series{Name: "guess among in-context values (1/kv)", X: kvs, Dashed: true}
	for _, kv := range kvs {
		ref.Y = append(ref.Y, 1/kv)
	}
	for d, c := range charts {
		c.Series = append(c.Series, ref)
		charts[d] = c
	}
	return charts
}

// Results returns the tables (mqar.csv), headline (the summary), figures
// (mqar_d{D}.png) and manifest entries (the grid and, per kv-pair count,
// the task spec and the hashes of the held-out sets) of cells trained on g.
func (g Grid) Results(res []Result) report.Results {
	t := Table(res)
	r := report.Results{Tables: []*report.Table{t}, Headline: []*report.Table{Summary(t)}, Extra: map[string]any{}}
	charts := Charts(t)
	for _, d := range g.DModels {
		if c, ok := charts[d]; ok {
			r.Figures = append(r.Figures, report.Figure{Name: fmt.Sprintf("mqar_d%d.png", d), Fig: c})
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
