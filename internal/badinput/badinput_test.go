package badinput

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestIs(t *testing.T) {
	base := errors.New("x must be positive")
	for _, c := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{base, false},
		{Wrap(base), true},
		{Errorf("mqar: %d pairs: %w", 3, base), true},
		{fmt.Errorf("model m: %w", Wrap(base)), true},
	} {
		if got := Is(c.err); got != c.want {
			t.Errorf("Is(%v) = %v, want %v", c.err, got, c.want)
		}
	}
	if Wrap(nil) != nil {
		t.Error("Wrap(nil) is not nil")
	}
	if err := Errorf("a %w", base); err.Error() != "a x must be positive" || !errors.Is(err, base) {
		t.Errorf("Errorf gave %q, unwrapping to base: %v", err, errors.Is(err, base))
	}
}

func TestSetting(t *testing.T) {
	err := Settingf("{min_lr} must be between 0 and {lr} (%v), got %v; 100%% {not a name}", 0.003, "{lr}")
	if got, want := err.Error(), "min_lr must be between 0 and lr (0.003), got {lr}; 100% {not a name}"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	var s *Setting
	if !errors.As(fmt.Errorf("x: %w", err), &s) || !Is(err) {
		t.Fatal("a wrapped *Setting is not found")
	}
	flag := func(n string) string { return "--" + strings.ReplaceAll(n, "_", "-") }
	if got, want := s.Rename(flag), "--min-lr must be between 0 and --lr (0.003), got {lr}; 100% {not a name}"; got != want {
		t.Errorf("Rename = %q, want %q", got, want)
	}
}
