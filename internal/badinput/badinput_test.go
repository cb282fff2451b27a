package badinput

import (
	"errors"
	"fmt"
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
