package model

import (
	"flag"
	"os"
	"testing"
)

// TestMain bounds the fuzzer's minimisation of each new input to 100 runs
// (go test's default is up to 60 s), unless -fuzzminimizetime is given.
// FuzzLoad finds new coverage often; with the default a run spends most of
// its time minimising inputs (runs the fuzzer does not count) instead of
// fuzzing: on the shared 2-core machine 42k inputs in 3 minutes against
// 606k in 1 minute with minimisation bounded. It changes nothing for
// ordinary test runs.
func TestMain(m *testing.M) {
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.fuzzminimizetime" })
	if !set {
		flag.Set("test.fuzzminimizetime", "100x")
	}
	os.Exit(m.Run())
}
