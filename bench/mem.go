package bench

import (
	"bufio"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// peakMeter measures the peak memory of a piece of work.
//
// On Linux it is the process's peak resident set (VmHWM in
// /proc/self/status), reset before the work by writing 5 to
// /proc/self/clear_refs, minus the resident set at the start: every page
// the work touched, whoever allocated it. Elsewhere (or where the reset is
// refused) it samples the Go heap's live objects (runtime/metrics) every
// millisecond and takes the largest increase over the start.
type peakMeter struct {
	method string // "rss" or "heap"

	base  int64
	stop  chan struct{}
	wg    sync.WaitGroup
	peak  atomic.Int64
	start int64
}

// newPeakMeter picks the method this system supports.
func newPeakMeter() *peakMeter {
	if resetPeakRSS() == nil {
		if _, err := readStatus("VmHWM:"); err == nil {
			return &peakMeter{method: "rss"}
		}
	}
	return &peakMeter{method: "heap"}
}

// Begin returns freed memory to the system and starts a measurement.
func (m *peakMeter) Begin() {
	runtime.GC()
	debug.FreeOSMemory()
	if m.method == "rss" {
		_ = resetPeakRSS()
		m.base, _ = readStatus("VmRSS:")
		return
	}
	m.start = heapObjects()
	m.peak.Store(m.start)
	m.stop = make(chan struct{})
	m.wg.Go(func() {
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-m.stop:
				return
			case <-t.C:
				if h := heapObjects(); h > m.peak.Load() {
					m.peak.Store(h)
				}
			}
		}
	})
}

// End returns the peak bytes used since Begin.
func (m *peakMeter) End() int64 {
	if m.method == "rss" {
		hwm, _ := readStatus("VmHWM:")
		return max(hwm-m.base, 0)
	}
	if h := heapObjects(); h > m.peak.Load() {
		m.peak.Store(h)
	}
	close(m.stop)
	m.wg.Wait()
	return max(m.peak.Load()-m.start, 0)
}

func heapObjects() int64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return int64(s[0].Value.Uint64())
}

// resetPeakRSS resets the kernel's peak-RSS counter for this process.
func resetPeakRSS() error {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// readStatus returns a kB field of /proc/self/status in bytes.
func readStatus(field string) (int64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, field); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, os.ErrNotExist
}
