package cli

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// SetFlag gives flag the value v in a command line: in place where the
// line has it (as "--flag v" or "--flag=v"), else at the end.
func SetFlag(args []string, flag, v string) []string {
	out := slices.Clone(args)
	for i, a := range out {
		switch {
		case a == flag && i+1 < len(out):
			out[i+1] = v
			return out
		case strings.HasPrefix(a, flag+"="):
			out[i] = flag + "=" + v
			return out
		}
	}
	return append(out, flag, v)
}

// WithoutFlags drops the named flags (and their values) from a command
// line; -q and --quiet take no value.
func WithoutFlags(args []string, drop ...string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, _, hasValue := strings.Cut(a, "=")
		if slices.Contains(drop, name) {
			if !hasValue && name != "-q" && name != "--quiet" && i+1 < len(args) {
				i++
			}
			continue
		}
		out = append(out, a)
	}
	return out
}

// PositiveInts reads flag's value s, a comma-separated list of positive
// integers ("4,8,16").
func PositiveInts(flag, s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || v <= 0 {
			return nil, Usagef("%s must be a comma-separated list of positive integers, got %q", flag, s)
		}
		out = append(out, v)
	}
	return out, nil
}

// Ints reads a comma-separated list of whole numbers; empty elements are
// skipped ("" is none).
func Ints(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("%q is not a whole number", f)
		}
		out = append(out, n)
	}
	return out, nil
}
