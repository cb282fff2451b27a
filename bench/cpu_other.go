//go:build !unix

package bench

import "time"

// cpuTime is not available here: the CPU-time columns stay empty.
func cpuTime() (time.Duration, bool) { return 0, false }
