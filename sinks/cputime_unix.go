//go:build unix

package sinks

import (
	"syscall"
	"time"
)

// cpuTime is the process's user + system CPU time so far: streaming
// throughput measured in CPU time does not depend on what else the machine
// runs.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
