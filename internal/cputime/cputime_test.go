package cputime

import (
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
