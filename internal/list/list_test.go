package list

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	t.Parallel()
	if v, err := Parse(" 16, 32 ,64", strconv.Atoi); err != nil || !slices.Equal(v, []int{16, 32, 64}) {
		t.Errorf("Parse: %v, %v", v, err)
	}
	for _, c := range []struct {
		err  error
		want string
	}{
		{second(Parse("16,016", strconv.Atoi)), `lists 16 twice ("16,016"): give each value once`},
		{second(Parse("0,0.0", func(s string) (float64, error) { return strconv.ParseFloat(s, 64) })), `lists 0 twice ("0,0.0"): give each value once`},
		{second(Strings("elu, relu,elu")), `lists elu twice ("elu, relu,elu"): give each value once`},
		{second(Items("window:4:d1,2,window:4:d1,2", []string{"window:4:d1,2", "window:4:d1,2"}, func(s string) (string, error) { return s, nil })),
			`lists window:4:d1,2 twice ("window:4:d1,2,window:4:d1,2"): give each value once`},
		{second(Strings(strings.Repeat("a,", 100) + "a")), `lists a twice ("` + strings.Repeat("a,", 40) + `…"): give each value once`},
	} {
		var r *Repeat
		if !errors.As(c.err, &r) || c.err.Error() != c.want {
			t.Errorf("got %v, want *Repeat %q", c.err, c.want)
		}
	}
	bad := errors.New("not a number")
	if _, err := Parse("1,x", func(s string) (int, error) {
		if s == "x" {
			return 0, bad
		}
		return 1, nil
	}); err != bad {
		t.Errorf("a parse error: %v, want it returned as it is", err)
	}
}

func second[T any](_ T, err error) error { return err }
