// Package cputime reads the CPU time the process has used, for throughput
// that does not depend on what else the machine runs (tokens per CPU-second,
// GFLOP per CPU-second).
package cputime

import "time"

// Process is the process's user + system CPU time so far (getrusage); where
// that is not available it is the wall time since the process started.
func Process() time.Duration { return process() }
