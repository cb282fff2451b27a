package shard

import (
	"strings"
	"testing"
)

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestParse(t *testing.T) {
	for _, c := range []struct {
		spec string
		env  func(string) string
		want string // "i/n source" or "error: substring"
	}{
		{"0/4", env(), "0/4 flag"},
		{"3/4", env(), "3/4 flag"},
		{"4/4", env(), "error: must be i/n"},
		{"-1/4", env(), "error: must be i/n"},
		{"1/0", env(), "error: must be i/n"},
		{"x", env(), "error: must be i/n"},
		{"", env(), "error: must be i/n"},
		{"auto", env(), "error: neither is set"},
		// Slurm: --array=0-3 → ids 0…3, count 4.
		{"auto", env(SlurmTaskID, "2", SlurmTaskMin, "0", SlurmTaskMax, "3", SlurmTaskCount, "4"), "2/4 slurm"},
		// --array=1-8 (1-based): id 1 is shard 0.
		{"auto", env(SlurmTaskID, "1", SlurmTaskMin, "1", SlurmTaskMax, "8", SlurmTaskCount, "8"), "0/8 slurm"},
		// --array=0-14:2 → ids 0,2,…,14, count 8: id 6 is shard 3.
		{"auto", env(SlurmTaskID, "6", SlurmTaskMin, "0", SlurmTaskMax, "14", SlurmTaskStep, "2", SlurmTaskCount, "8"), "3/8 slurm"},
		{"auto/8", env(SlurmTaskID, "6", SlurmTaskMin, "0", SlurmTaskMax, "14", SlurmTaskStep, "2", SlurmTaskCount, "8"), "3/8 slurm"},
		{"auto/4", env(SlurmTaskID, "2", SlurmTaskMin, "0", SlurmTaskCount, "8"), "error: Slurm array has 8"},
		{"auto", env(SlurmTaskID, "5", SlurmTaskMin, "0", SlurmTaskStep, "2", SlurmTaskCount, "8"), "error: does not fit"},
		{"auto", env(SlurmTaskID, "x", SlurmTaskMin, "0", SlurmTaskCount, "8"), "error: not an integer"},
		{"auto", env(SlurmTaskID, "1"), "error: SLURM_ARRAY_TASK_MIN"},
		// Kubernetes Indexed Job.
		{"auto/4", env(K8sIndex, "3"), "3/4 kubernetes"},
		{"auto", env(K8sIndex, "1", CountEnv, "4"), "1/4 kubernetes"},
		{"auto", env(K8sIndex, "1"), "error: ATTNLAB_SHARDS"},
		{"auto/4", env(K8sIndex, "4"), "error: outside 0…3"},
		{"auto/0", env(K8sIndex, "0"), "error: positive integer"},
		{"autox", env(K8sIndex, "0"), "error: positive integer"},
	} {
		s, err := Parse(c.spec, c.env)
		got := s.String() + " " + s.Source
		if err != nil {
			got = "error: " + err.Error()
		}
		if strings.HasPrefix(c.want, "error: ") {
			if err == nil || !strings.Contains(err.Error(), strings.TrimPrefix(c.want, "error: ")) {
				t.Errorf("Parse(%q): %s; want %s", c.spec, got, c.want)
			}
			continue
		}
		if got != c.want {
			t.Errorf("Parse(%q): %s; want %s", c.spec, got, c.want)
		}
	}
}

// TestShardsCoverEveryCellOnce: n shards hold every cell exactly once.
func TestShardsCoverEveryCellOnce(t *testing.T) {
	for n := 1; n <= 7; n++ {
		seen := make([]int, 50)
		for i := range n {
			s := Spec{Index: i, Count: n}
			for c := range seen {
				if s.Holds(c) {
					seen[c]++
				}
			}
		}
		for c, k := range seen {
			if k != 1 {
				t.Fatalf("n=%d: cell %d held by %d shards", n, c, k)
			}
		}
	}
}
