package inspect

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/attnlab/attnlab/internal/badinput"
)

func TestSource(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		s    Source
		want string
	}{
		{Source{}, "give exactly one of tokens, tokens_file or text"},
		{Source{Tokens: "1", Text: "a"}, "give exactly one of tokens, tokens_file or text"},
		{Source{Tokens: "1", BOS: "0"}, "bos goes with text (tokens are taken as given)"},
	} {
		if err := c.s.Check(); !badinput.Is(err) || err.Error() != c.want {
			t.Errorf("%+v: %v, want %q", c.s, err, c.want)
		}
	}
	file := filepath.Join(t.TempDir(), "t.txt")
	if err := os.WriteFile(file, []byte("3\n4, 5"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		s    Source
		want []int32
	}{{Source{Tokens: "0 5,9"}, []int32{0, 5, 9}}, {Source{TokensFile: file}, []int32{3, 4, 5}}, {Source{Text: "ab", BOS: "0"}, []int32{'a', 'b'}}} {
		if got, err := c.s.Read(); err != nil || !slices.Equal(got, c.want) || c.s.Check() != nil {
			t.Errorf("%+v: %v, %v, want %v", c.s, got, err, c.want)
		}
	}
	if _, err := (Source{Tokens: "1 x"}).Read(); !badinput.Is(err) || err.Error() != `tokens: token "x" is not a non-negative integer` {
		t.Errorf("bad tokens: %v", err)
	}
}
