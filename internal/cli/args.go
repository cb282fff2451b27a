package cli

import (
	"slices"
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
