package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/attnlab/attnlab/internal/cli"
	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/report"
	"github.com/attnlab/attnlab/studies/mqar"
)

func readTable(t *testing.T, path string) *report.Table {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tb, err := report.ReadCSV(f)
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

// tinyGrid is a grid that trains in well under a second per cell.
const tinyGrid = "retrieval --parts mqar --kinds softmax,linear:elu --d-models 16 --kv-pairs 2,4 --steps 4 --batch 4 --eval-seqs 8 -q"

func TestRetrievalBadInput(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ line, want string }{
		{"retrieval --shard 3/2", `attnlab: --shard "3/2" must be i/n with 0 ≤ i < n (e.g. 0/4), or auto` + "\n"},
		{"retrieval --shard x", `attnlab: --shard "x" must be i/n with 0 ≤ i < n (e.g. 0/4), or auto` + "\n"},
		{"retrieval --maps elu,cosine", `attnlab: --maps: unknown feature map "cosine" (known: elu, relu, favor, favor:M, taylor, identity)` + "\n"},
		{"retrieval --kinds linear:cosine", "attnlab: --kinds: model: unknown attention kind \"linear:cosine\""},
		{"retrieval --parts everything", `attnlab: --parts must list analytic, mqar or scaling, got "everything"` + "\n"},
		{"retrieval --eval-only", "attnlab: --eval-only needs --model: the weights file to evaluate\n"},
		{"retrieval --model m.safetensors", "attnlab: --model needs --eval-only: the grid trains its own models\n"},
		{"retrieval --kv-pairs 4,x", `attnlab: --kv-pairs must be a comma-separated list of positive integers, got "4,x"` + "\n"},
		{"merge", "attnlab: requires at least 1 arg(s), only received 0"},
	} {
		code, _, errs := runLine(t, c.line)
		if code != cli.ExitUsage || !strings.HasPrefix(errs, c.want) {
			t.Errorf("%s: exit %d, stderr %q; want exit 2 and %q", c.line, code, errs, c.want)
		}
		if strings.Count(errs, "\n") != 1 {
			t.Errorf("%s: stderr is not one line: %q", c.line, errs)
		}
	}
}

// TestRetrievalShardsMerge: two shards merged equal the unsharded grid,
// cell for cell, and the manifest records the MQAR spec and data hash.
func TestRetrievalShardsMerge(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, run := range []struct{ sub, extra string }{{"all", ""}, {"s0", " --shard 0/2"}, {"s1", " --shard 1/2"}} {
		if code, _, errs := runLine(t, tinyGrid+run.extra+" --out "+filepath.Join(dir, run.sub)); code != 0 {
			t.Fatalf("%s: exit %d: %s", run.sub, code, errs)
		}
	}
	code, out, errs := runLine(t, "merge "+filepath.Join(dir, "s1", "mqar.csv")+" "+filepath.Join(dir, "s0", "mqar.csv")+
		" --out "+filepath.Join(dir, "merged.csv"))
	if code != 0 {
		t.Fatalf("merge: exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "merged 4 cells from 2 files") || !strings.Contains(out, "kv=4") {
		t.Errorf("merge output:\n%s", out)
	}
	all, merged := readTable(t, filepath.Join(dir, "all", "mqar.csv")), readTable(t, filepath.Join(dir, "merged.csv"))
	if len(all.Rows) != 4 || len(merged.Rows) != 4 {
		t.Fatalf("rows: unsharded %d, merged %d, want 4", len(all.Rows), len(merged.Rows))
	}
	skip := all.Column("wall_time")
	for i := range all.Rows {
		for j := range all.Rows[i] {
			if j != skip && all.Rows[i][j] != merged.Rows[i][j] {
				t.Errorf("row %d column %s: unsharded %v, merged %v", i, all.Columns[j].Name, all.Rows[i][j], merged.Rows[i][j])
			}
		}
	}
	man, err := os.ReadFile(filepath.Join(dir, "all", "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"num_kv_pairs": 4`, `"eval_hashes"`, `"gap_distribution"`, "mqar.png"} {
		if !strings.Contains(string(man), want) {
			t.Errorf("manifest lacks %s", want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "mqar.png")); err != nil {
		t.Errorf("merge wrote no plot: %v", err)
	}
	// merging conflicting results is refused (the files disagree: exit 1)
	bad := readTable(t, filepath.Join(dir, "s0", "mqar.csv"))
	bad.Rows[0][bad.Column("accuracy")] = 0.123456
	badPath := filepath.Join(dir, "bad.csv")
	if err := report.WriteFileAtomic(badPath, bad.WriteCSV); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := runLine(t, "merge "+badPath+" "+filepath.Join(dir, "s0", "mqar.csv")+" --out "+filepath.Join(dir, "m2.csv")); code != cli.ExitRuntime || !strings.Contains(errs, "appears twice with different results") {
		t.Errorf("conflicting merge: exit %d, %s", code, errs)
	}
}

func TestRetrievalAnalyticScalingEval(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	code, out, errs := runLine(t, "retrieval --parts analytic,scaling --dims 8 --maps elu,taylor --scaling-n 32,64 --out "+dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"softmax β=64", "linear:taylor", "recurrent form"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	for _, f := range []string{"analytic.csv", "analytic_d8.png", "scaling.csv", "scaling.png", "manifest.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	sc := readTable(t, filepath.Join(dir, "scaling.csv"))
	if len(sc.Rows) != 8 {
		t.Errorf("scaling.csv has %d rows, want 4 forms × 2 N", len(sc.Rows))
	}
	// --eval-only on a model trained by attnlab train: the MQAR spec comes
	// from the weights file's metadata.
	mpath := filepath.Join(dir, "m", "m.safetensors")
	if code, _, errs := runLine(t, "train --task mqar --kv-pairs 2 --vocab 64 --seq-len 16 --layers 1 --d-model 16 --heads 2 --steps 3 --batch 4 -q --out "+mpath); code != 0 {
		t.Fatalf("train: exit %d: %s", code, errs)
	}
	code, out, errs = runLine(t, "retrieval --eval-only --model "+mpath+" --eval-seqs 16 --out "+filepath.Join(dir, "ev"))
	if code != 0 {
		t.Fatalf("eval: exit %d: %s", code, errs)
	}
	ev := readTable(t, filepath.Join(dir, "ev", "mqar_eval.csv"))
	if len(ev.Rows) != 1 || ev.Rows[0][ev.Column("kv_pairs")] != int64(2) || ev.Rows[0][ev.Column("queries")] != int64(32) {
		t.Errorf("mqar_eval.csv rows %v, want kv 2 with 16×2 queries (stdout %s)", ev.Rows, out)
	}
}

// TestCellTrainArgsTrainTheCell: the attnlab train command a grid cell
// records (mqar.TrainArgs, what the embedded quick-grid models were trained
// with) trains the same weights, bit for bit, as the study's TrainModel,
// here for a softmax and a linear cell shortened to 30 steps.
func TestCellTrainArgsTrainTheCell(t *testing.T) {
	g := mqar.Quick()
	g.Steps = 30
	dir := t.TempDir()
	for _, c := range []mqar.Cell{{Kind: "softmax", DModel: 32, KVPairs: 4, Seed: 1}, {Kind: "linear:elu", DModel: 32, KVPairs: 8, Seed: 2}} {
		out := filepath.Join(dir, mqar.FixtureName(c)+".safetensors")
		args := append(mqar.TrainArgs(g, c)[1:], "-q", "--out", out)
		if _, stderr, code := runCLI(t, args...); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		cmdModel, err := model.Load(out, "")
		if err != nil {
			t.Fatal(err)
		}
		if got, want := cmdModel.Meta["trained_with"], strings.Join(mqar.TrainArgs(g, c), " "); got != want {
			t.Errorf("recorded %q, want %q", got, want)
		}
		study, err := mqar.TrainModel(context.Background(), g, c, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(cmdModel.Params.Data, study.Params.Data) {
			t.Errorf("%s: attnlab train and mqar.TrainModel give different weights", mqar.FixtureName(c))
		}
	}
}
