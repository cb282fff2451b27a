// Package cputime reads the CPU time the process has used, for throughput
// that does not depend on what else the machine runs (tokens per CPU-second,
// GFLOP per CPU-second).
package cputime

import "time"

// Process is the process's user + system CPU time so far (getrusage); where
// that is not available it is the wall time since the process started.
func Process() time.Duration { return process() }

// Thread is the CPU time the calling OS thread has used (Linux:
// CLOCK_THREAD_CPUTIME_ID), and false where the system keeps no such clock.
// Lock the goroutine to its thread (runtime.LockOSThread) around the
// readings.
func Thread() (time.Duration, bool) { return thread() }
