package cli

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/attnlab/attnlab/internal/list"
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

// PositiveInts reads flag's value s, a comma-separated list of distinct
// positive integers ("4,8,16"; list.Parse).
func PositiveInts(flag, s string) ([]int, error) {
	v, err := list.Parse(s, func(f string) (int, error) {
		v, err := strconv.Atoi(f)
		if err != nil || v <= 0 {
			return 0, Usagef("%s must be a comma-separated list of positive integers, got %q", flag, s)
		}
		return v, nil
	})
	return v, ListError(flag, err)
}

// Ints reads a comma-separated list of distinct whole numbers
// (list.Parse); empty elements are skipped ("" is none).
func Ints(s string) ([]int, error) {
	var items []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			items = append(items, f)
		}
	}
	if len(items) == 0 {
		return nil, nil
	}
	return list.Items(s, items, func(f string) (int, error) {
		n, err := strconv.Atoi(f)
		if err != nil {
			return 0, fmt.Errorf("%q is not a whole number", f)
		}
		return n, nil
	})
}

// ListError makes an error from reading flag's list a usage error naming
// the flag: a *list.Repeat as "--flag lists 32 twice (…)", another error
// that is not one already as "--flag: error"; nil stays nil.
func ListError(flag string, err error) error {
	var r *list.Repeat
	switch {
	case err == nil || ExitCode(err) == ExitUsage && !errors.As(err, &r):
		return err
	case errors.As(err, &r):
		return Usagef("%s %v", flag, r)
	}
	return Usagef("%s: %v", flag, err)
}
