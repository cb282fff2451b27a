package ringnet

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// FromSlurm reads a ring's shape from a Slurm job step's environment (one
// task per host of the ring, as `srun attnlab ring --slurm …` starts them):
// the rank is SLURM_PROCID, the size SLURM_NTASKS, and task t's address is
// its node (SLURM_STEP_NODELIST, e.g. "gpu[01-04,07]") with port
// basePort + its index among the tasks on that node. Tasks are placed on
// nodes in blocks, as SLURM_STEP_TASKS_PER_NODE ("2(x3),1") says — Slurm's
// default block distribution. env is os.Getenv or a stand-in.
func FromSlurm(env func(string) string, basePort int) (rank int, peers []string, err error) {
	get := func(keys ...string) string {
		for _, k := range keys {
			if v := env(k); v != "" {
				return v
			}
		}
		return ""
	}
	rank, err = strconv.Atoi(get("SLURM_PROCID"))
	if err != nil {
		return 0, nil, fmt.Errorf("ringnet: SLURM_PROCID is %q: not inside a Slurm job step", env("SLURM_PROCID"))
	}
	ntasks, err := strconv.Atoi(get("SLURM_STEP_NUM_TASKS", "SLURM_NTASKS"))
	if err != nil || ntasks < 1 || rank < 0 || rank >= ntasks {
		return 0, nil, fmt.Errorf("ringnet: SLURM_NTASKS is %q for task %d", get("SLURM_STEP_NUM_TASKS", "SLURM_NTASKS"), rank)
	}
	nodes, err := ExpandHostlist(get("SLURM_STEP_NODELIST", "SLURM_JOB_NODELIST"))
	if err != nil {
		return 0, nil, err
	}
	perNode, err := expandCounts(get("SLURM_STEP_TASKS_PER_NODE", "SLURM_TASKS_PER_NODE"), len(nodes))
	if err != nil {
		return 0, nil, err
	}
	if basePort <= 0 || basePort > 65535 {
		return 0, nil, fmt.Errorf("ringnet: port %d", basePort)
	}
	for i, n := range nodes {
		for local := range perNode[i] {
			peers = append(peers, net.JoinHostPort(n, strconv.Itoa(basePort+local)))
		}
	}
	if len(peers) != ntasks {
		return 0, nil, fmt.Errorf("ringnet: the Slurm step places %d tasks on its nodes but has SLURM_NTASKS=%d", len(peers), ntasks)
	}
	return rank, peers, nil
}

// ExpandHostlist expands Slurm's compressed host list: "a[1-3,5],b" →
// a1 a2 a3 a5 b, keeping zero padding ("n[08-10]" → n08 n09 n10).
func ExpandHostlist(s string) ([]string, error) {
	if s == "" {
		return nil, fmt.Errorf("ringnet: empty Slurm node list")
	}
	var out []string
	for _, item := range splitTop(s) {
		open := strings.IndexByte(item, '[')
		if open < 0 {
			out = append(out, item)
			continue
		}
		end := strings.IndexByte(item, ']')
		if end < open || strings.ContainsAny(item[end+1:], "[]") {
			return nil, fmt.Errorf("ringnet: cannot read Slurm node list %q", s)
		}
		pre, suf := item[:open], item[end+1:]
		for _, r := range strings.Split(item[open+1:end], ",") {
			lo, hi, ok := strings.Cut(r, "-")
			if !ok {
				hi = lo
			}
			a, err1 := strconv.Atoi(lo)
			b, err2 := strconv.Atoi(hi)
			if err1 != nil || err2 != nil || a > b || b-a > 1<<16 {
				return nil, fmt.Errorf("ringnet: cannot read range %q in Slurm node list %q", r, s)
			}
			for i := a; i <= b; i++ {
				out = append(out, fmt.Sprintf("%s%0*d%s", pre, len(lo), i, suf))
			}
		}
	}
	return out, nil
}

// splitTop splits at commas outside brackets.
func splitTop(s string) []string {
	var out []string
	depth, start := 0, 0
	for i, c := range s {
		switch c {
		case '[':
			depth++
		case ']':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

// expandCounts reads SLURM_TASKS_PER_NODE ("2(x3),1") into one count per
// node; empty means one task per node.
func expandCounts(s string, nodes int) ([]int, error) {
	var out []int
	if s == "" {
		for range nodes {
			out = append(out, 1)
		}
		return out, nil
	}
	for _, item := range strings.Split(s, ",") {
		n, rep := item, "1"
		if i := strings.Index(item, "(x"); i >= 0 && strings.HasSuffix(item, ")") {
			n, rep = item[:i], item[i+2:len(item)-1]
		}
		a, err1 := strconv.Atoi(n)
		r, err2 := strconv.Atoi(rep)
		if err1 != nil || err2 != nil || a < 0 || r < 1 || r > 1<<16 {
			return nil, fmt.Errorf("ringnet: cannot read tasks per node %q", s)
		}
		for range r {
			out = append(out, a)
		}
	}
	if len(out) != nodes {
		return nil, fmt.Errorf("ringnet: tasks per node %q lists %d nodes, the node list %d", s, len(out), nodes)
	}
	return out, nil
}
