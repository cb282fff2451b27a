package membudget

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math"
	"math/bits"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
)

// EnvVar is the environment variable that sets the limit.
const EnvVar = "ATTNLAB_MEMORY_LIMIT"

// DefaultFraction is the share of physical memory a run may plan to use.
const DefaultFraction = 0.8

// fallbackMemory is assumed when the physical memory cannot be read.
const fallbackMemory = 5 << 30 // 80% of it is 4 GiB

var (
	mu         sync.Mutex
	override   int64 // > 0: set by SetLimit
	overrideBy string
)

// Error reports an estimate above the limit.
type Error struct {
	What   string // what needs the memory, e.g. "an analysis batch of 100000000 sequences"
	Need   int64  // estimated bytes (math.MaxInt64 when the arithmetic saturated)
	Limit  int64  // the limit in bytes
	Source string // where the limit comes from
}

func (e *Error) Error() string {
	need := "an estimated " + FormatBytes(e.Need)
	if e.Need == math.MaxInt64 {
		need = "more than " + FormatBytes(math.MaxInt64)
	}
	return fmt.Sprintf("%s needs %s of memory, more than the limit of %s (%s)", e.What, need, FormatBytes(e.Limit), e.Source)
}

// SetLimit sets the limit to n bytes, described by source (such as
// "--memory-limit 8GiB"); n <= 0 restores the default.
func SetLimit(n int64, source string) {
	mu.Lock()
	defer mu.Unlock()
	override, overrideBy = max(n, 0), source
}

// Limit returns the limit in bytes and a description of where it comes
// from, for messages.
func Limit() (int64, string) {
	mu.Lock()
	n, by := override, overrideBy
	mu.Unlock()
	if n > 0 {
		return n, "set by " + by
	}
	if s := os.Getenv(EnvVar); s != "" {
		if n, err := ParseSize(s); err == nil && n > 0 {
			return n, "set by " + EnvVar + "=" + s
		}
	}
	phys, known := physicalMemory()
	lim := int64(float64(phys) * DefaultFraction)
	if !known {
		return lim, "the default where physical memory is unknown; " + EnvVar + " sets it"
	}
	return lim, fmt.Sprintf("%.0f%% of the %s of physical memory; %s sets it", DefaultFraction*100, FormatBytes(phys), EnvVar)
}

// Headroom and Baseline turn an estimate of the large buffers a run
// allocates into the resident memory of the process that allocates them
// ([Peak]).
//
// Go's collector lets garbage accumulate: by default (GOGC=100) the heap
// grows to twice the data live after one collection before the next, so a
// run that drops one workspace and allocates the next (each ablation,
// variant or batch) peaks at up to twice its estimate. Measured with
// /usr/bin/time -v on attnlab sink-analysis --batch 256 (1.40 GiB
// estimated): 2.04–2.65 GiB peak resident memory. [ApplyRuntimeLimit]
// gives the collector the limit as its soft memory limit, so that garbage
// never takes the heap past it: the same run then peaks at 1.41 GiB under
// a 1.56 GiB limit. What remains is room for the collector to work in
// without running continuously and the small allocations estimates leave
// out (Headroom, a quarter of the buffers), and what every run holds
// whatever its sizes: the runtime, the binary's embedded models and text
// (Baseline).
const (
	Headroom = 1.25
	Baseline = 96 << 20
)

// Peak is the resident memory a run whose large buffers take need bytes
// is planned for: need × Headroom + Baseline, saturating at math.MaxInt64.
func Peak(need int64) int64 {
	if float64(need) >= math.MaxInt64/Headroom {
		return math.MaxInt64
	}
	return Add(int64(float64(need)*Headroom), Baseline)
}

// Check returns an *Error if a run whose large buffers take need bytes
// would use more than the limit: its [Peak], which the error reports as
// its estimate.
func Check(what string, need int64) error {
	lim, src := Limit()
	if p := Peak(need); p > lim {
		return &Error{What: what, Need: p, Limit: lim, Source: src}
	}
	return nil
}

// ApplyRuntimeLimit sets the Go runtime's soft memory limit
// (debug.SetMemoryLimit) to [Limit], unless the GOMEMLIMIT environment
// variable sets one, and returns a function that restores the previous
// limit. A command calls it once it knows the limit (after its
// --memory-limit flag): the collector then keeps garbage from taking a run
// that passed [Check] past the limit.
func ApplyRuntimeLimit() (restore func()) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	lim, _ := Limit()
	prev := debug.SetMemoryLimit(lim)
	return func() { debug.SetMemoryLimit(prev) }
}

// Bytes returns elemBytes × the product of dims, saturating at
// math.MaxInt64. A negative factor counts as 0: sizes are validated
// elsewhere, and an estimate is never negative.
func Bytes(elemBytes int, dims ...int) int64 {
	if elemBytes <= 0 {
		return 0
	}
	p := uint64(elemBytes)
	for _, d := range dims {
		if d <= 0 {
			return 0
		}
		hi, lo := bits.Mul64(p, uint64(d))
		if hi != 0 || lo > math.MaxInt64 {
			p = math.MaxInt64
			continue
		}
		p = lo
	}
	return int64(p)
}

// Add returns a + b, saturating at math.MaxInt64 (both non-negative).
func Add(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// Estimate accumulates the bytes of the buffers a run will allocate. The
// zero value is an empty estimate.
type Estimate struct {
	bytes int64
}

// Add adds a buffer of elemBytes-sized elements with the given shape.
func (e *Estimate) Add(elemBytes int, dims ...int) {
	e.bytes = Add(e.bytes, Bytes(elemBytes, dims...))
}

// AddBytes adds n bytes (n < 0 counts as 0).
func (e *Estimate) AddBytes(n int64) { e.bytes = Add(e.bytes, max(n, 0)) }

// Bytes returns the estimate.
func (e *Estimate) Bytes() int64 { return e.bytes }

// Check returns an *Error naming what if the estimate is above the limit.
func (e *Estimate) Check(what string) error { return Check(what, e.bytes) }

// ParseSize parses a byte count: a number with an optional unit (B, KB,
// MB, GB, TB in powers of 1000; KiB, MiB, GiB, TiB in powers of 1024; K, M,
// G, T also 1024) or a percentage of the physical memory ("75%").
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	if num, ok := strings.CutSuffix(t, "%"); ok {
		p, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
		if err != nil || !(p > 0 && p <= 100) {
			return 0, fmt.Errorf("membudget: %q is not a percentage between 0 and 100", s)
		}
		phys, _ := physicalMemory()
		return int64(float64(phys) * p / 100), nil
	}
	i := len(t)
	for i > 0 && (t[i-1] >= 'a' && t[i-1] <= 'z' || t[i-1] >= 'A' && t[i-1] <= 'Z') {
		i--
	}
	num, unit := strings.TrimSpace(t[:i]), strings.ToUpper(t[i:])
	mult := map[string]float64{"": 1, "B": 1, "K": 1 << 10, "KB": 1e3, "KIB": 1 << 10, "M": 1 << 20, "MB": 1e6, "MIB": 1 << 20,
		"G": 1 << 30, "GB": 1e9, "GIB": 1 << 30, "T": 1 << 40, "TB": 1e12, "TIB": 1 << 40}[unit]
	v, err := strconv.ParseFloat(num, 64)
	if mult == 0 || err != nil || !(v > 0) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("membudget: %q is not a memory size such as 8GiB, 512MiB or 75%%", s)
	}
	if b := v * mult; b < math.MaxInt64 {
		return int64(b), nil
	}
	return math.MaxInt64, nil
}

// FormatBytes writes a byte count with a binary unit: "512 B", "1.5 KiB",
// "19.2 GiB".
func FormatBytes(n int64) string {
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	v, units := float64(n)/1024, []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	u := 0
	for v >= 1024 && u < len(units)-1 {
		v /= 1024
		u++
	}
	return fmt.Sprintf("%.1f %s", v, units[u])
}

var (
	physOnce  sync.Once
	physBytes int64
	physKnown bool
)

// physicalMemory returns the machine's memory, or the cgroup's limit when
// lower, and whether it could be read.
func physicalMemory() (int64, bool) {
	physOnce.Do(func() {
		physBytes, physKnown = fallbackMemory, false
		if b, err := os.ReadFile("/proc/meminfo"); err == nil {
			if n, ok := parseMeminfo(bytes.NewReader(b)); ok {
				physBytes, physKnown = n, true
			}
		}
		for _, p := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
			if b, err := os.ReadFile(p); err == nil {
				if n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil && n > 0 && (!physKnown || n < physBytes) {
					physBytes, physKnown = n, true
				}
			}
		}
	})
	return physBytes, physKnown
}

// parseMeminfo reads MemTotal (in kB) from /proc/meminfo's format.
func parseMeminfo(r io.Reader) (int64, bool) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 2 && f[0] == "MemTotal:" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil || kb <= 0 || kb > math.MaxInt64/1024 {
				return 0, false
			}
			return kb * 1024, true
		}
	}
	return 0, false
}
