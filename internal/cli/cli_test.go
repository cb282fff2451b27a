package cli

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/attnlab/attnlab/internal/badinput"
	"github.com/spf13/cobra"
)

func TestExitCodeAndFlagError(t *testing.T) {
	set := badinput.Settingf("{min_lr} must be at most {n_layers}")
	for _, c := range []struct {
		err  error
		want int
	}{
		{errors.New("disk full"), ExitRuntime},
		{Usagef("--x must be positive"), ExitUsage},
		{fmt.Errorf("loading: %w", set), ExitUsage},
		{badinput.Errorf("too big"), ExitUsage},
	} {
		if got := ExitCode(c.err); got != c.want {
			t.Errorf("ExitCode(%v) = %d, want %d", c.err, got, c.want)
		}
	}
	err := FlagError(fmt.Errorf("x: %w", set), map[string]string{"n_layers": "--layers"})
	if got, want := err.Error(), "--min-lr must be at most --layers"; got != want || ExitCode(err) != ExitUsage {
		t.Errorf("FlagError = %q (exit %d), want %q (exit 2)", got, ExitCode(err), want)
	}
	if plain := errors.New("io"); FlagError(plain, nil) != plain {
		t.Error("FlagError changed an error that is not a setting")
	}
	if Usage(nil) != nil {
		t.Error("Usage(nil) is not nil")
	}
}

func TestComplete(t *testing.T) {
	vals := []string{"elu", "relu", "favor"}
	got, d := Complete(vals, "elu,re", true)
	if !slices.Equal(got, []string{"elu,relu"}) || d != cobra.ShellCompDirectiveNoFileComp|cobra.ShellCompDirectiveNoSpace {
		t.Errorf("list completion = %v, %v", got, d)
	}
	if got, d := Complete(vals, "f", false); !slices.Equal(got, []string{"favor"}) || d != cobra.ShellCompDirectiveNoFileComp {
		t.Errorf("value completion = %v, %v", got, d)
	}
}

func TestFlagValueMessage(t *testing.T) {
	c := &cobra.Command{Use: "x", RunE: func(*cobra.Command, []string) error { return nil }, SilenceErrors: true, SilenceUsage: true}
	c.Flags().Int("batch", 1, "")
	TypeFlagErrors(c)
	c.SetArgs([]string{"--batch", "1e8"})
	err := c.Execute()
	if want := `--batch must be an integer, got "1e8" (see 'x --help')`; err == nil || err.Error() != want || ExitCode(err) != ExitUsage {
		t.Errorf("error = %v, want %q with exit 2", err, want)
	}
}

func TestEditArgs(t *testing.T) {
	args := []string{"attnlab", "train", "--out", "m", "-q", "--steps=5", "--lr", "1"}
	if got, want := WithoutFlags(args, "--out", "-q", "--steps"), []string{"attnlab", "train", "--lr", "1"}; !slices.Equal(got, want) {
		t.Errorf("WithoutFlags = %v, want %v", got, want)
	}
	if got := SetFlag(args, "--steps", "9"); got[5] != "--steps=9" || args[5] != "--steps=5" {
		t.Errorf("SetFlag = %v (input %v)", got, args)
	}
	if got := SetFlag(args, "--lr", "2"); got[7] != "2" {
		t.Errorf("SetFlag = %v", got)
	}
	if got := SetFlag(args, "--batch", "4"); !slices.Equal(got[len(got)-2:], []string{"--batch", "4"}) {
		t.Errorf("SetFlag = %v", got)
	}
}

func TestIntLists(t *testing.T) {
	if got, err := PositiveInts("--dims", "4, 8,16"); err != nil || !slices.Equal(got, []int{4, 8, 16}) {
		t.Errorf("PositiveInts = %v, %v", got, err)
	}
	if _, err := PositiveInts("--dims", "4,0"); err == nil || err.Error() != `--dims must be a comma-separated list of positive integers, got "4,0"` || ExitCode(err) != ExitUsage {
		t.Errorf("PositiveInts(4,0): %v", err)
	}
	if got, err := Ints(" 8,,-2, "); err != nil || !slices.Equal(got, []int{8, -2}) {
		t.Errorf("Ints = %v, %v", got, err)
	}
	if got, err := Ints(""); err != nil || got != nil {
		t.Errorf("Ints(\"\") = %v, %v", got, err)
	}
	if _, err := Ints("8,x"); err == nil || err.Error() != `"x" is not a whole number` {
		t.Errorf("Ints(8,x): %v", err)
	}
	// A value given twice would be computed twice (--cores 1,1, --dims 16,016).
	if _, err := PositiveInts("--dims", "16,016"); err == nil || err.Error() != `--dims lists 16 twice ("16,016"): give each value once` || ExitCode(err) != ExitUsage {
		t.Errorf("PositiveInts(16,016): %v", err)
	}
	if _, err := Ints("16,,16"); err == nil || err.Error() != `lists 16 twice ("16,,16"): give each value once` {
		t.Errorf("Ints(16,,16): %v", err)
	}
}
