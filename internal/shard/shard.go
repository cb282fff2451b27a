// Package shard says which part of a sweep this process runs: "i/n" from
// the command line, or "auto" from the scheduler that started it — a Slurm
// job array or a Kubernetes Indexed Job.
//
// A sweep's cells are dealt round-robin: shard i of n runs the cells whose
// index is i mod n, so the n shards together run every cell exactly once.
package shard

import (
	"fmt"
	"strconv"
	"strings"
)

// Spec is shard Index of Count (0 ≤ Index < Count), and where it came from.
type Spec struct {
	Index, Count int
	Source       string // "flag", "slurm" or "kubernetes"
}

func (s Spec) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// Holds reports whether the shard runs cell c (a cell index ≥ 0).
func (s Spec) Holds(c int) bool { return c%s.Count == s.Index }

// Environment variables read by "auto".
const (
	SlurmTaskID    = "SLURM_ARRAY_TASK_ID"
	SlurmTaskCount = "SLURM_ARRAY_TASK_COUNT"
	SlurmTaskMin   = "SLURM_ARRAY_TASK_MIN"
	SlurmTaskMax   = "SLURM_ARRAY_TASK_MAX"
	SlurmTaskStep  = "SLURM_ARRAY_TASK_STEP"
	K8sIndex       = "JOB_COMPLETION_INDEX" // set by Kubernetes in every pod of an Indexed Job
	CountEnv       = "ATTNLAB_SHARDS"       // the shard count where the scheduler does not say it (Kubernetes)
)

// Parse reads a shard spec: "i/n"; "auto", which takes the index and count
// from the environment (getenv, normally os.Getenv); or "auto/n", which
// takes the index from the environment and the count n given. Errors name
// the value and what was expected.
func Parse(spec string, getenv func(string) string) (Spec, error) {
	if rest, ok := strings.CutPrefix(spec, "auto"); ok {
		n := 0
		if rest != "" {
			c, ok := strings.CutPrefix(rest, "/")
			v, err := strconv.Atoi(c)
			if !ok || err != nil || v < 1 {
				return Spec{}, fmt.Errorf("shard: %q: the count after auto/ must be a positive integer", spec)
			}
			n = v
		}
		return FromEnv(getenv, n)
	}
	a, b, ok := strings.Cut(spec, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return Spec{}, fmt.Errorf("shard: %q must be i/n with 0 ≤ i < n (e.g. 0/4), or auto", spec)
	}
	return Spec{Index: i, Count: n, Source: "flag"}, nil
}

// FromEnv takes the shard from a Slurm job array or a Kubernetes Indexed Job.
// count, if positive, is the number of shards (it must agree with Slurm's);
// for Kubernetes, which does not tell a pod the Job's completions, it comes
// from count or from $ATTNLAB_SHARDS.
//
// Slurm: an array --array=MIN-MAX[:STEP] runs SLURM_ARRAY_TASK_COUNT tasks
// whose ids are MIN, MIN+STEP, …; task id t is shard (t − MIN)/STEP.
// Kubernetes: JOB_COMPLETION_INDEX is the shard.
func FromEnv(getenv func(string) string, count int) (Spec, error) {
	if id := getenv(SlurmTaskID); id != "" {
		t, err := envInt(getenv, SlurmTaskID)
		if err != nil {
			return Spec{}, err
		}
		lo, err := envInt(getenv, SlurmTaskMin)
		if err != nil {
			return Spec{}, err
		}
		step := 1
		if getenv(SlurmTaskStep) != "" {
			if step, err = envInt(getenv, SlurmTaskStep); err != nil {
				return Spec{}, err
			}
		}
		n, err := envInt(getenv, SlurmTaskCount)
		if err != nil {
			return Spec{}, err
		}
		if step < 1 || t < lo || (t-lo)%step != 0 || n < 1 {
			return Spec{}, fmt.Errorf("shard: Slurm task id %d does not fit an array of %d tasks from %d in steps of %d", t, n, lo, step)
		}
		i := (t - lo) / step
		if i >= n {
			return Spec{}, fmt.Errorf("shard: Slurm task id %d is task %d of an array of %d", t, i, n)
		}
		if count > 0 && count != n {
			return Spec{}, fmt.Errorf("shard: %d shards asked for, but the Slurm array has %d tasks", count, n)
		}
		return Spec{Index: i, Count: n, Source: "slurm"}, nil
	}
	if getenv(K8sIndex) != "" {
		i, err := envInt(getenv, K8sIndex)
		if err != nil {
			return Spec{}, err
		}
		if count < 1 {
			if getenv(CountEnv) == "" {
				return Spec{}, fmt.Errorf("shard: in a Kubernetes Indexed Job the shard count is auto/N or $%s (the Job's completions)", CountEnv)
			}
			if count, err = envInt(getenv, CountEnv); err != nil {
				return Spec{}, err
			}
		}
		if i < 0 || i >= count {
			return Spec{}, fmt.Errorf("shard: %s=%d is outside 0…%d", K8sIndex, i, count-1)
		}
		return Spec{Index: i, Count: count, Source: "kubernetes"}, nil
	}
	return Spec{}, fmt.Errorf("shard: auto needs a Slurm job array (%s) or a Kubernetes Indexed Job (%s); neither is set", SlurmTaskID, K8sIndex)
}

func envInt(getenv func(string) string, name string) (int, error) {
	v := getenv(name)
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		return 0, fmt.Errorf("shard: $%s is %q, not an integer", name, v)
	}
	return n, nil
}
