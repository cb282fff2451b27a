package model

import (
	"flag"
	"os"
	"testing"
)

// TestMain shortens the fuzzer's minimisation of new inputs from go test's
// default of 60 s to 1 s, unless -fuzzminimizetime is given. FuzzLoad's
// inputs run through the whole loader; with the default, a run spends most
// of its time minimising (runs the fuzzer does not count) rather than
// fuzzing. It changes nothing for ordinary test runs.
func TestMain(m *testing.M) {
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.fuzzminimizetime" })
	if !set {
		flag.Set("test.fuzzminimizetime", "1s")
	}
	os.Exit(m.Run())
}
