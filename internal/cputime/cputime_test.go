package cputime

import (
	"runtime"
	"testing"
	"time"
)

// TestProcessGrows: spinning for a while adds CPU time, and the clock never
// goes back.
func TestProcessGrows(t *testing.T) {
	a := Process()
	x, end := 0.0, time.Now().Add(30*time.Millisecond)
	for time.Now().Before(end) {
		x += 1e-9
	}
	b := Process()
	if b <= a || x == 0 {
		t.Errorf("CPU time went from %v to %v over 30 ms of spinning", a, b)
	}
}

// TestThreadGrows: where there is a thread clock, spinning on a locked
// thread adds to it.
func TestThreadGrows(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	a, ok := Thread()
	if !ok {
		t.Skip("no per-thread CPU clock on this system")
	}
	x, end := 0.0, time.Now().Add(30*time.Millisecond)
	for time.Now().Before(end) {
		x += 1e-9
	}
	b, _ := Thread()
	if b <= a || x == 0 {
		t.Errorf("thread CPU time went from %v to %v over 30 ms of spinning", a, b)
	}
}
