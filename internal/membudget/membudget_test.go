package membudget

import (
	"errors"
	"math"
	"runtime/debug"
	"strings"
	"testing"
)

func TestBytesSaturates(t *testing.T) {
	cases := []struct {
		elem int
		dims []int
		want int64
	}{
		{4, []int{32, 101, 64}, 4 * 32 * 101 * 64},
		{4, nil, 4},
		{4, []int{0, 1 << 40}, 0},
		{4, []int{-3, 5}, 0},
		{8, []int{1 << 40, 1 << 40}, math.MaxInt64},
		{4, []int{math.MaxInt, 2, 0}, 0},
		{4, []int{4611686018427387904, 1}, math.MaxInt64},
	}
	for _, c := range cases {
		if got := Bytes(c.elem, c.dims...); got != c.want {
			t.Errorf("Bytes(%d, %v) = %d, want %d", c.elem, c.dims, got, c.want)
		}
	}
	var e Estimate
	e.Add(8, 1<<40, 1<<40)
	e.Add(4, 10)
	if e.Bytes() != math.MaxInt64 {
		t.Errorf("saturated estimate grew to %d", e.Bytes())
	}
}

func TestCheck(t *testing.T) {
	SetLimit(1<<30, "--memory-limit 1GiB")
	defer SetLimit(0, "")
	var e Estimate
	e.Add(4, 100_000_000, 101, 64)
	err := e.Check("an analysis batch of 100000000 sequences")
	var me *Error
	if !errors.As(err, &me) {
		t.Fatalf("got %v, want *Error", err)
	}
	want := "an analysis batch of 100000000 sequences needs an estimated 2.9 TiB of memory, more than the limit of 1.0 GiB (set by --memory-limit 1GiB)"
	if err.Error() != want {
		t.Errorf("error\n%q\nwant\n%q", err, want)
	}
	if err := Check("x", (1<<30-Baseline)*4/5); err != nil {
		t.Errorf("a peak of exactly the limit refused: %v", err)
	}
	e = Estimate{}
	e.Add(8, 1<<40, 1<<40)
	if err := e.Check("y"); err == nil || !strings.Contains(err.Error(), "needs more than 8.0 EiB") {
		t.Errorf("saturated: %v", err)
	}
}

func TestLimitSources(t *testing.T) {
	t.Setenv(EnvVar, "3GiB")
	if n, src := Limit(); n != 3<<30 || !strings.Contains(src, EnvVar+"=3GiB") {
		t.Errorf("env: %d %q", n, src)
	}
	SetLimit(2<<30, "--memory-limit 2GiB")
	if n, src := Limit(); n != 2<<30 || src != "set by --memory-limit 2GiB" {
		t.Errorf("flag over env: %d %q", n, src)
	}
	SetLimit(0, "")
	t.Setenv(EnvVar, "")
	n, src := Limit()
	phys, known := physicalMemory()
	if n != int64(float64(phys)*DefaultFraction) || n <= 0 {
		t.Errorf("default limit %d for physical memory %d", n, phys)
	}
	if known && !strings.Contains(src, "80% of the") {
		t.Errorf("default source %q", src)
	}
}

func TestParseSize(t *testing.T) {
	good := map[string]int64{"8GiB": 8 << 30, "8G": 8 << 30, "8GB": 8e9, "512MiB": 512 << 20, "1e9": 1e9, " 100 ": 100, "1.5KiB": 1536, "2tib": 2 << 40}
	for s, want := range good {
		if got, err := ParseSize(s); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
	for _, s := range []string{"", "GiB", "-1G", "0", "NaN", "Inf", "8XB", "150%", "0%", "1e400"} {
		if n, err := ParseSize(s); err == nil {
			t.Errorf("ParseSize(%q) = %d, want an error", s, n)
		}
	}
	if n, err := ParseSize("50%"); err != nil || n <= 0 {
		t.Errorf("50%%: %d %v", n, err)
	}
}

func TestParseMeminfo(t *testing.T) {
	n, ok := parseMeminfo(strings.NewReader("MemTotal:       24684092 kB\nMemFree:        23787064 kB\n"))
	if !ok || n != 24684092*1024 {
		t.Errorf("got %d %v", n, ok)
	}
	if _, ok := parseMeminfo(strings.NewReader("MemFree: 1 kB\n")); ok {
		t.Error("no MemTotal accepted")
	}
}

func TestFormatBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1536: "1.5 KiB", 20 << 30: "20.0 GiB", math.MaxInt64: "8.0 EiB"} {
		if got := FormatBytes(n); got != want {
			t.Errorf("FormatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestPeak: the check compares a run's planned peak, its buffers with Go's
// headroom and the baseline every run holds, not the buffers alone, and
// reports it.
func TestPeak(t *testing.T) {
	if got := Peak(1 << 30); got != 5<<28+Baseline {
		t.Errorf("Peak(1 GiB) = %d, want 1.25 GiB + Baseline", got)
	}
	if Peak(math.MaxInt64) != math.MaxInt64 || Peak(math.MaxInt64/5*4+1<<20) != math.MaxInt64 {
		t.Error("Peak does not saturate")
	}
	SetLimit(1<<30, "a test")
	defer SetLimit(0, "")
	// 800 MiB of buffers fit 1 GiB, their peak (1.07 GiB) does not.
	err := Check("x", 800<<20)
	var me *Error
	if !errors.As(err, &me) || me.Need != Peak(800<<20) {
		t.Errorf("800 MiB under a 1 GiB limit: %v, want an *Error giving the peak", err)
	}
	if err := Check("x", (1<<30-Baseline)*4/5); err != nil {
		t.Errorf("the largest estimate whose peak is the limit: %v", err)
	}
}

// TestApplyRuntimeLimit: the collector gets the limit as its soft memory
// limit, restored afterwards; GOMEMLIMIT, when set, is the user's.
func TestApplyRuntimeLimit(t *testing.T) {
	SetLimit(3<<30, "a test")
	defer SetLimit(0, "")
	before := debug.SetMemoryLimit(-1)
	t.Setenv("GOMEMLIMIT", "")
	restore := ApplyRuntimeLimit()
	if got := debug.SetMemoryLimit(-1); got != 3<<30 {
		t.Errorf("runtime memory limit %d, want 3 GiB", got)
	}
	restore()
	if got := debug.SetMemoryLimit(-1); got != before {
		t.Errorf("restored limit %d, want %d", got, before)
	}
	t.Setenv("GOMEMLIMIT", "5GiB")
	ApplyRuntimeLimit()()
	if got := debug.SetMemoryLimit(-1); got != before {
		t.Errorf("with GOMEMLIMIT set the limit changed to %d", got)
	}
}
