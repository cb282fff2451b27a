// Package list reads the comma-separated lists of settings attnlab takes
// ("4,8,16", "L1H3,L0H1", "softmax,linear:elu"): one parser, so that every
// list refuses the same mistakes the same way.
//
// A list is a set of settings to run: a value given twice would be
// computed twice (or index past what was allocated for the distinct
// ones), so it is refused with a [*Repeat] naming the value. Values are
// compared after parsing: "16,016" and "0,0.0" repeat. A list whose order
// and repeats carry meaning (per-layer attention kinds, token ids) is not
// one of these.
package list

import (
	"fmt"
	"slices"
	"strings"
)

// Repeat is a list that gives a value twice. Its message, "lists 32 twice
// ("32,32"): give each value once", is meant to follow the setting's name.
type Repeat struct {
	Value string // the value given twice, as parsed (fmt's %v)
	List  string // the whole list, shortened to 80 bytes
}

func (e *Repeat) Error() string {
	return fmt.Sprintf("lists %s twice (%q): give each value once", e.Value, e.List)
}

// Parse splits s at commas and reads each item, trimmed, with parse,
// whose error it returns as it is. A value given twice is a *Repeat.
func Parse[T comparable](s string, parse func(string) (T, error)) ([]T, error) {
	return Items(s, strings.Split(s, ","), parse)
}

// Items is Parse for a list s already cut into items (attention kinds,
// which may hold commas of their own).
func Items[T comparable](s string, items []string, parse func(string) (T, error)) ([]T, error) {
	out := make([]T, 0, len(items))
	for _, it := range items {
		v, err := parse(strings.TrimSpace(it))
		if err != nil {
			return nil, err
		}
		if slices.Contains(out, v) {
			return nil, &Repeat{Value: fmt.Sprint(v), List: clip(s, 80)}
		}
		out = append(out, v)
	}
	return out, nil
}

// Strings is Parse of a list of names, each taken as it is (trimmed).
func Strings(s string) ([]string, error) { return Parse(s, Strings1) }

// Strings1 is the item parser of Strings: the item as it is.
func Strings1(s string) (string, error) { return s, nil }

// clip shortens s to at most n bytes, marking the cut with …
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}
