//go:build !linux

package gemm

import "time"

// threadCPU reports that this system keeps no per-thread CPU clock here.
func threadCPU() (time.Duration, bool) { return 0, false }
