package mqar

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/attnlab/attnlab/internal/badinput"
	"github.com/attnlab/attnlab/report"
)

// TestReadShards: two shards' files (one with its manifest) merge into one
// table sorted by cell, with the manifest's shard run; a missing file, a
// CSV that is not an mqar.csv and shards that disagree are bad input.
func TestReadShards(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name string, t0 *report.Table) string {
		p := filepath.Join(dir, name, "mqar.csv")
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := report.WriteFileAtomic(p, t0.WriteCSV); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cells := func(acc float64, idx ...int) *report.Table {
		var res []Result
		for _, i := range idx {
			res = append(res, Result{Cell: Cell{Index: i, Kind: "softmax", DModel: 32, KVPairs: 4, Seed: 1}, Accuracy: acc})
		}
		return Table(res)
	}
	a, b := write("a", cells(0.5, 1, 3)), write("b", cells(0.5, 0, 2))
	out := report.NewOutput(filepath.Dir(a))
	if err := out.WriteManifest(report.Manifest{Command: []string{"attnlab"}, Version: "v", Extra: map[string]any{"mqar_shard": "1/2", "mqar_cells": 4}}); err != nil {
		t.Fatal(err)
	}
	m, runs, err := ReadShards([]string{a, b})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Rows) != 4 || m.Rows[0][0] != int64(0) || m.Rows[3][0] != int64(3) || len(runs) != 1 || runs[0].Cells != 4 || runs[0].Shard.Index != 1 {
		t.Errorf("merged %v, runs %+v", m.Rows, runs)
	}
	other := report.NewTable("x", "X", report.Column{Name: "a"})
	other.Add(1)
	// A missing or damaged file is a file problem, not bad input (as a
	// damaged weights file); the same file twice is what the caller asked.
	for _, c := range []struct {
		paths []string
		want  string
	}{
		{[]string{a, filepath.Join(dir, "none.csv")}, "shard file " + filepath.Join(dir, "none.csv") + " does not exist"},
		{[]string{write("c", other)}, filepath.Join(dir, "c", "mqar.csv") + " is not an mqar.csv written by attnlab retrieval (no cell or accuracy column)"},
		{[]string{a, write("d", cells(0.25, 1))}, "mqar: cell 1 appears twice with different results"},
	} {
		if _, _, err := ReadShards(c.paths); err == nil || badinput.Is(err) || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%v: error %v, want a plain error %q", c.paths, err, c.want)
		}
	}
	for _, paths := range [][]string{{a, b, a}, {a, filepath.Join(filepath.Dir(a), ".", "mqar.csv")}} {
		if _, _, err := ReadShards(paths); !badinput.Is(err) || !strings.Contains(err.Error(), "each shard is merged once") {
			t.Errorf("%v: error %v, want bad input: the same shard twice", paths, err)
		}
	}
}
