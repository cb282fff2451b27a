//go:build amd64 && !noasm

package bench

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/cpu"
)

// TestBlockwiseRate (issue 11's acceptance): blockwise dense attention at
// N = 4096, d_head 64, one head, does at least half the useful GFLOP per
// CPU-second of the machine's float32 matmul measured in the same run.
// Per CPU-second, not per wall second: on a shared machine the wall clock
// measures the neighbours, CPU time what the kernel does with the cores it
// gets. Only where the AVX-512 kernels run (the fallbacks are not tuned).
func TestBlockwiseRate(t *testing.T) {
	if !cpu.X86.HasAVX512F {
		t.Skip("no AVX-512: the matmul and the kernels take their pure-Go fallbacks")
	}
	// A neighbour sharing the core's caches can slow one run: the best of
	// three runs is the kernel's rate (a slow kernel is slow in all three).
	best, msg := 0.0, ""
	for range 3 {
		r, err := Run(context.Background(), Options{Ns: []int{4096}, Kernels: []string{"dense-blockwise"}, Repeats: 5, RateTime: 300 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		p := r.Points[0]
		if ratio := p.CPURate() / r.CPURate; ratio > best || msg == "" {
			best = max(best, ratio)
			msg = fmt.Sprintf("%.1f GFLOP per CPU-second, %.2f of the matmul's %.1f", p.CPURate(), ratio, r.CPURate)
		}
		if best >= 0.5 {
			return
		}
	}
	t.Errorf("blockwise dense at N = 4096, best of 3 runs: %s; want at least 0.5", msg)
}

// TestBlockwiseLong (issue 11's acceptance, about 15 CPU-seconds, set
// ATTNLAB_LONG_TESTS=1): at N = 65,536, d_head 64, naive dense attention is
// skipped (its N×N scores and inputs need 16.1 GiB, over the 4 GiB budget) and blockwise
// dense runs, in memory linear in N.
func TestBlockwiseLong(t *testing.T) {
	if os.Getenv("ATTNLAB_LONG_TESTS") == "" {
		t.Skip("set ATTNLAB_LONG_TESTS=1 to run blockwise dense attention at N = 65,536")
	}
	r, err := Run(context.Background(), Options{Ns: []int{65536}, Kernels: []string{"dense-naive", "dense-blockwise"}, Repeats: 1, RateTime: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	naive, block := r.Points[0], r.Points[1]
	if !strings.Contains(naive.Skipped, "needs 16.1 GiB, over the 4.0 GiB budget") {
		t.Errorf("naive dense at N = 65,536: %q, want skipped for its 16 GiB", naive.Skipped)
	}
	if block.Skipped != "" || block.Median <= 0 || block.Peak > 256<<20 {
		t.Errorf("blockwise at N = 65,536: skipped %q, time %v, peak %d MiB (want it run, under 256 MiB)", block.Skipped, block.Median, block.Peak>>20)
	}
}

// TestSlopes (issue 11's acceptance): on log–log axes of CPU time against
// N (2048–8192, d_head 64, W = 256), dense attention's slope is 2 ± 0.35
// and the sliding window's and BigBird's 1 ± 0.35 (a loaded machine makes short runs noisy).
func TestSlopes(t *testing.T) {
	r, err := Run(context.Background(), Options{Ns: []int{2048, 4096, 8192}, Kernels: []string{"dense-blockwise", "window", "block-sparse"},
		Repeats: 5, RateTime: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]float64{"dense-blockwise": 2, "window": 1, "block-sparse": 1} {
		if s := r.CPUSlope[k]; !(s > want-0.35 && s < want+0.35) {
			t.Errorf("%s: CPU-time slope %.2f, want %.0f ± 0.35", k, s, want)
		}
	}
}
