package main

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"
	"testing"
)

// TestPeakWithinLimit: a run the memory check admits stays within the
// limit. sink-analysis drops one workspace and allocates the next for each
// variant run, and Go's collector let the garbage grow the heap to 1.5–1.9
// times the estimate (--batch 64: 365 MiB estimated, 715 MiB peak resident
// under a 553 MiB limit). Now the check plans for the peak
// (membudget.Peak) and the collector works under the limit
// (membudget.ApplyRuntimeLimit). The run is given the smallest limit its
// check admits, read from the refusal under a smaller one.
func TestPeakWithinLimit(t *testing.T) {
	bin := buildBinary(t)
	out := filepath.Join(t.TempDir(), "out")
	args := []string{"sink-analysis", "--model", "embedded:text-sink", "--batch", "64", "-q", "--out", out}
	// 200 MiB admits the held-out windows (the first check) and refuses the analysis.
	refused, _ := exec.Command(bin, append([]string{"--memory-limit", "200MiB"}, args...)...).CombinedOutput()
	m := regexp.MustCompile(`the sink analysis of 64 windows × 128 tokens needs an estimated ([0-9.]+) MiB`).FindSubmatch(refused)
	if m == nil {
		t.Fatalf("no estimate in %q", refused)
	}
	est, _ := strconv.ParseFloat(string(m[1]), 64)
	limit := int64(est) + 1 // MiB
	cmd := exec.Command(bin, append([]string{"--memory-limit", strconv.FormatInt(limit, 10) + "MiB"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("under the limit its check admits (%d MiB): %v: %s", limit, err, stderr.String())
	}
	// The binary's own pages (file-backed, outside Go's accounting) come on
	// top of what the collector keeps under the limit: 32 MiB of slack.
	peak := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss >> 10 // MiB
	if peak > limit+32 {
		t.Errorf("peak resident memory %d MiB, over the %d MiB limit the run was admitted under", peak, limit)
	}
	t.Logf("estimate %.1f MiB, limit %d MiB, peak %d MiB", est, limit, peak)
}
