package ringlab

import "syscall"

// PeakRSS is the process's peak resident memory in bytes (getrusage's
// ru_maxrss, in KiB on Linux).
func PeakRSS() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Maxrss * 1024
}
