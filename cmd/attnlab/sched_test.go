package main

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// schedGrid replaces the full grid's size (hours) by 16 cells of 2 steps
// each, appended after the scripts' own flags so that they win.
var schedGrid = []string{"--kinds", "softmax,linear:elu", "--d-models", "32", "--kv-pairs", "4,8", "--seeds", "4",
	"--steps", "2", "--batch", "4", "--eval-seqs", "8"}

// wrapper puts an `attnlab` on PATH that runs the test's binary, shrinking
// the grid of a retrieval run; everything else in the scripts runs as
// written.
func wrapper(t *testing.T) (pathEnv string) {
	t.Helper()
	bin := buildBinary(t)
	dir := t.TempDir()
	script := fmt.Sprintf("#!/bin/sh\nif [ \"$1\" = retrieval ]; then exec %q \"$@\" %s; fi\nexec %q \"$@\"\n",
		bin, strings.Join(schedGrid, " "), bin)
	if err := os.WriteFile(filepath.Join(dir, "attnlab"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return "PATH=" + dir + string(os.PathListSeparator) + os.Getenv("PATH")
}

// mqarRows reads a merged or unsharded mqar.csv without its wall_time
// column (the only one that depends on the machine).
func mqarRows(t *testing.T, path string) [][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	w := slices.Index(rows[0], "wall_time")
	for i := range rows {
		rows[i] = slices.Delete(rows[i], w, w+1)
	}
	return rows
}

// unsharded runs the tiny grid in one process: what every sharded run must
// merge into.
func unsharded(t *testing.T) [][]string {
	t.Helper()
	dir := t.TempDir()
	if _, stderr, code := runCLI(t, append([]string{"retrieval", "--full", "--out", dir, "-q", "--html=false", "--parts", "mqar"}, schedGrid...)...); code != 0 {
		t.Fatalf("unsharded run: exit %d: %s", code, stderr)
	}
	return mqarRows(t, filepath.Join(dir, "mqar.csv"))
}

func runShell(t *testing.T, env []string, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
}

// TestSlurmScript runs docs/slurm-retrieval.sbatch as Slurm would, once per
// array task with Slurm's variables set, then the merge line its header
// gives: the merge is complete and equals the unsharded run.
func TestSlurmScript(t *testing.T) {
	b, err := os.ReadFile("../../docs/slurm-retrieval.sbatch")
	if err != nil {
		t.Fatal(err)
	}
	script := string(b)
	m := regexp.MustCompile(`(?m)^#SBATCH --array=(\d+)-(\d+)(?::(\d+))?$`).FindStringSubmatch(script)
	if m == nil {
		t.Fatal("no #SBATCH --array=MIN-MAX line")
	}
	lo, _ := strconv.Atoi(m[1])
	hi, _ := strconv.Atoi(m[2])
	step := 1
	if m[3] != "" {
		step, _ = strconv.Atoi(m[3])
	}
	var ids []int
	for id := lo; id <= hi; id += step {
		ids = append(ids, id)
	}
	cpus := regexp.MustCompile(`(?m)^#SBATCH --cpus-per-task=(\d+)$`).FindStringSubmatch(script)
	if cpus == nil {
		t.Fatal("no #SBATCH --cpus-per-task line")
	}
	merge := regexp.MustCompile(`--wrap '([^']*)'`).FindStringSubmatch(script)
	if merge == nil || !strings.HasPrefix(merge[1], "attnlab merge ") {
		t.Fatal("the header gives no merge command (sbatch --wrap 'attnlab merge …')")
	}
	work := t.TempDir()
	path := wrapper(t)
	for _, id := range ids {
		runShell(t, []string{path, "SLURM_ARRAY_TASK_ID=" + strconv.Itoa(id), "SLURM_ARRAY_TASK_MIN=" + m[1],
			"SLURM_ARRAY_TASK_MAX=" + m[2], "SLURM_ARRAY_TASK_STEP=" + strconv.Itoa(step),
			"SLURM_ARRAY_TASK_COUNT=" + strconv.Itoa(len(ids)), "SLURM_CPUS_PER_TASK=" + cpus[1], "OUT=" + filepath.Join(work, "mqar-full")},
			"bash", "../../docs/slurm-retrieval.sbatch")
	}
	cmd := exec.Command("bash", "-c", merge[1])
	cmd.Dir, cmd.Env = work, append(os.Environ(), path)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", merge[1], err, out)
	}
	if got, want := mqarRows(t, filepath.Join(work, "mqar-full", "mqar.csv")), unsharded(t); !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("merged %d rows differ from the unsharded run's %d", len(got), len(want))
	}
}

// TestKubernetesJob runs the container command of docs/k8s-retrieval-job.yaml
// once per completion index with the pod's environment, then merges.
func TestKubernetesJob(t *testing.T) {
	b, err := os.ReadFile("../../docs/k8s-retrieval-job.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var job struct {
		Kind string
		Spec struct {
			CompletionMode string `yaml:"completionMode"`
			Completions    int
			Template       struct {
				Spec struct {
					Containers []struct {
						Command []string
						Env     []struct{ Name, Value string }
					}
				}
			}
		}
	}
	if err := yaml.Unmarshal(b, &job); err != nil {
		t.Fatal(err)
	}
	if job.Kind != "Job" || job.Spec.CompletionMode != "Indexed" || job.Spec.Completions < 1 || len(job.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("not an Indexed Job with one container: %+v", job)
	}
	c := job.Spec.Template.Spec.Containers[0]
	env := []string{wrapper(t)}
	for _, e := range c.Env {
		env = append(env, e.Name+"="+e.Value)
		if e.Name == "ATTNLAB_SHARDS" && e.Value != strconv.Itoa(job.Spec.Completions) {
			t.Errorf("ATTNLAB_SHARDS %s differs from completions %d", e.Value, job.Spec.Completions)
		}
	}
	results := t.TempDir()
	for i := range job.Spec.Completions {
		runShell(t, append(env, "JOB_COMPLETION_INDEX="+strconv.Itoa(i), "RESULTS="+results), c.Command[0], c.Command[1:]...)
	}
	shards, _ := filepath.Glob(filepath.Join(results, "shard-*", "mqar.csv"))
	out := filepath.Join(results, "mqar.csv")
	if _, stderr, code := runCLI(t, append([]string{"merge", "--out", out, "-q"}, shards...)...); code != 0 {
		t.Fatalf("merge: exit %d: %s", code, stderr)
	}
	if got, want := mqarRows(t, out), unsharded(t); !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("merged %d rows differ from the unsharded run's %d", len(got), len(want))
	}
	// One shard short: the merge names it and refuses, unless --partial.
	var some []string
	for _, s := range shards {
		if !strings.Contains(s, "shard-3"+string(filepath.Separator)) {
			some = append(some, s)
		}
	}
	_, stderr, code := runCLI(t, append([]string{"merge", "--out", out, "-q"}, some...)...)
	if code != 1 || !strings.Contains(stderr, "1 of 16 shards missing (3/16)") || !strings.Contains(stderr, "1 of 16 cells missing (3)") {
		t.Errorf("incomplete merge: exit %d, %q", code, stderr)
	}
	if _, stderr, code := runCLI(t, append([]string{"merge", "--out", out, "-q", "--partial"}, some...)...); code != 0 || !strings.Contains(stderr, "writing the partial merge") {
		t.Errorf("--partial: exit %d, %q", code, stderr)
	}
}

func TestShardAutoWithoutScheduler(t *testing.T) {
	t.Setenv("SLURM_ARRAY_TASK_ID", "")
	t.Setenv("JOB_COMPLETION_INDEX", "")
	_, stderr, code := runCLI(t, "retrieval", "--shard", "auto", "--out", t.TempDir())
	if code != 2 || !strings.Contains(stderr, "neither is set") && !strings.Contains(stderr, "shard: ") {
		t.Errorf("exit %d, %q", code, stderr)
	}
}
