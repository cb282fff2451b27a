package report

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestResultsAppendAndWrite(t *testing.T) {
	t.Parallel()
	a := NewTable("a", "A", Column{Name: "x"})
	a.Add(1)
	b := NewTable("b", "B", Column{Name: "y"})
	var formats []string
	fig := RenderFunc(func(w io.Writer, format string) error {
		formats = append(formats, format)
		_, err := io.WriteString(w, format)
		return err
	})
	r := Results{Tables: []*Table{a}, Headline: []*Table{a}, Model: "m", Extra: map[string]any{"k": 1}}
	r.Append(Results{Tables: []*Table{b}, Figures: []Figure{{Name: "f.png", Fig: fig}}, Model: "other", Extra: map[string]any{"k": 2, "j": 3}})
	if len(r.Tables) != 2 || len(r.Headline) != 1 || len(r.Figures) != 1 || r.Model != "m" || r.Extra["k"] != 2 || r.Extra["j"] != 3 {
		t.Fatalf("appended %+v", r)
	}
	dir := t.TempDir()
	out := NewOutput(dir)
	if err := out.WriteResults(r, ""); err != nil {
		t.Fatal(err)
	}
	if err := out.WriteResults(r, "svg"); err != nil {
		t.Fatal(err)
	}
	if want := []string{"a.csv", "b.csv", "f.png", "f.svg"}; !slices.Equal(out.Files, want) || !slices.Equal(formats, []string{"png", "svg"}) {
		t.Errorf("wrote %v with formats %v, want %v", out.Files, formats, want)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "f.svg")); string(got) != "svg" {
		t.Errorf("f.svg holds %q", got)
	}
}
