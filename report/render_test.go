package report

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/olekukonko/tablewriter/pkg/twwidth"
)

func TestRender(t *testing.T) {
	t.Parallel()
	tab := sampleTable()
	tab.Add("L1H1", 1, nil, nil, "not applicable", nil)
	var buf bytes.Buffer
	if err := tab.Render(&buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"Head scores\n", "loss (nats)", "induction", "L1H3",
		"0.988",                   // Column.Format "%.3f"
		"3.333e-01", "2.500e-300", // a column spanning 300 orders of magnitude: exponent form
		"NaN", "+Inf", "–",
		"scores on 64 repeated sequences",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("render lacks %q:\n%s", want, out)
		}
	}
	// Numbers are right-aligned: "3.333e-01" ends where the column's wider
	// "2.500e-300" ends.
	var a, b int
	for _, l := range strings.Split(out, "\n") {
		if i := strings.Index(l, "3.333e-01"); i >= 0 {
			a = i + len("3.333e-01")
		}
		if i := strings.Index(l, "2.500e-300"); i >= 0 {
			b = i + len("2.500e-300")
		}
	}
	if a == 0 || a != b {
		t.Errorf("loss column not right-aligned (ends at %d and %d):\n%s", a, b, out)
	}
}

// TestColumnFormat checks the format chosen for a column from its unit and
// the spread of its values.
func TestColumnFormat(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		unit     string
		vals     []any
		want     []string
		wantUnit string
	}{
		{"", []any{0.3}, []string{"0.3"}, ""},                                                // exact: no padding zeros
		{"", []any{0.129, 0.23, 0.0051}, []string{"0.1290", "0.2300", "0.0051"}, ""},         // 4 digits of the largest
		{"nats", []any{4.1798, 0.1874}, []string{"4.180", "0.187"}, "nats"},                  // one number of decimals
		{"", []any{20000.0, 3.5}, []string{"20000", "4"}, ""},                                // large: no decimals
		{"", []any{1e-5, 2.5e-5}, []string{"1.000e-05", "2.500e-05"}, ""},                    // tiny: exponent
		{"", []any{1.5e8, 2.0}, []string{"1.500e+08", "2.000e+00"}, ""},                      // huge: exponent
		{"", []any{0.9, 1e-7}, []string{"9.000e-01", "1.000e-07"}, ""},                       // spread hides a value
		{"", []any{0.9, 0.0}, []string{"0.9", "0.0"}, ""},                                    // zero is no spread
		{"", []any{3, 12, 100}, []string{"3", "12", "100"}, ""},                              // integers as they are
		{"", []any{2, 0.25}, []string{"2.00", "0.25"}, ""},                                   // integers among floats
		{"s", []any{0.0001365, 0.0004433, 0.05029}, []string{"0.14", "0.44", "50.29"}, "ms"}, // seconds rescaled
		{"s", []any{2e-6, 8e-6}, []string{"2", "8"}, "µs"},
		{"s", []any{2.326, 0.5}, []string{"2.326", "0.500"}, "s"},
		{"", []any{1.0, nil, math.NaN()}, []string{"1", "–", "NaN"}, ""},
		{"", []any{float32(0.1), float32(0.25)}, []string{"0.10", "0.25"}, ""}, // float32 read at its own precision
	} {
		tab := NewTable("x", "", Column{Name: "v", Unit: c.unit})
		for _, v := range c.vals {
			tab.Add(v)
		}
		f := tab.columnFormat(0)
		var got []string
		for _, v := range c.vals {
			got = append(got, f.format(v))
		}
		if fmt.Sprint(got) != fmt.Sprint(c.want) || f.unit != c.wantUnit {
			t.Errorf("%v (%s): shown %q (%s), want %q (%s)", c.vals, c.unit, got, f.unit, c.want, c.wantUnit)
		}
	}
}

// wideTable has 14 numeric columns with units, the last ones marked as
// details.
func wideTable() *Table {
	var cols []Column
	cols = append(cols, Column{Name: "head"})
	for i := range 14 {
		c := Column{Name: fmt.Sprintf("score_number_%d", i), Unit: "nats"}
		if i >= 10 {
			c.Detail = 14 - i // score_number_10 is left off last of these
		}
		cols = append(cols, c)
	}
	t := NewTable("wide", "A title long enough that it has to be wrapped on a narrow terminal, which it is, at word boundaries",
		cols...)
	t.Caption = strings.Repeat("a footnote that goes on and on ", 10)
	for r := range 3 {
		row := []any{fmt.Sprintf("L%dH0", r)}
		for i := range 14 {
			row = append(row, float64(i)+0.125*float64(r))
		}
		t.Add(row...)
	}
	return t
}

func maxLineWidth(s string) (int, string) {
	w, at := 0, ""
	for _, l := range strings.Split(s, "\n") {
		if n := twwidth.Width(l); n > w {
			w, at = n, l
		}
	}
	return w, at
}

func TestRenderFitsWidth(t *testing.T) {
	t.Parallel()
	for _, width := range []int{40, 60, 80, 100, 120} {
		var buf bytes.Buffer
		if err := wideTable().RenderWith(&buf, RenderOptions{Width: width, Note: "the CSV has them all"}); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		if w, line := maxLineWidth(out); w > width {
			t.Errorf("width %d: a line is %d wide:\n%s\n%s", width, w, line, out)
		}
		// The first column stays; the details go first, the highest Detail
		// first.
		if !strings.Contains(out, "L2H0") {
			t.Errorf("width %d: first column left off:\n%s", width, out)
		}
		if strings.Contains(out, "score_number_13") && !strings.Contains(out, "score_number_9") {
			t.Errorf("width %d: a headline column went before a detail:\n%s", width, out)
		}
		if flat := strings.Join(strings.Fields(out), " "); !strings.Contains(flat, "not shown (too wide for") || !strings.Contains(flat, "the CSV has them all") {
			t.Errorf("width %d: no note on the columns left off:\n%s", width, out)
		}
		if !strings.Contains(out, "(nats)\n") && !strings.Contains(out, "(nats) │\n") && !strings.Contains(out, "(nats)") {
			t.Errorf("width %d: units lost:\n%s", width, out)
		}
	}
	var buf bytes.Buffer
	wideTable().RenderWith(&buf, RenderOptions{Width: 1000})
	if strings.Contains(buf.String(), "not shown") {
		t.Errorf("a table that fits lost columns:\n%s", buf.String())
	}
	full, _ := maxLineWidth(buf.String())
	buf.Reset()
	wideTable().RenderWith(&buf, RenderOptions{Width: full - 1})
	if !strings.Contains(buf.String(), "not shown (too wide for") {
		// Two-line headers may have been enough; then nothing is dropped.
		if w, _ := maxLineWidth(buf.String()); w > full-1 {
			t.Errorf("not fitted:\n%s", buf.String())
		}
	}
	// Details go in Detail order (score_number_10 has the highest), then
	// headline columns from the right.
	order := []int{10, 11, 12, 13, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0}
	for width := 40; width <= 260; width += 20 {
		tab := wideTable()
		l := tab.layout()
		l.fit(width)
		for k, j := range l.dropped {
			if tab.Columns[j].Name != fmt.Sprintf("score_number_%d", order[k]) {
				t.Errorf("width %d: left off %d-th %s, want score_number_%d", width, k, tab.Columns[j].Name, order[k])
			}
		}
	}
	// Wide shows everything.
	buf.Reset()
	wideTable().RenderWith(&buf, RenderOptions{Width: 60, Wide: true})
	if strings.Contains(buf.String(), "not shown") || !strings.Contains(buf.String(), "score_number_13") {
		t.Errorf("Wide left columns off:\n%s", buf.String())
	}
}

func TestRenderWrapsText(t *testing.T) {
	t.Parallel()
	long := "attnlab train --task text --seed 1 --pos rotary --sink-token --layers 6 --d-model 64 --heads 4 --steps 20000 --batch 32"
	blob := strings.Repeat("#", 250)
	tab := NewTable("meta", "Metadata", Column{Name: "key"}, Column{Name: "value"})
	tab.Add("trained_with", long)
	tab.Add("task_spec", blob)
	tab.Add("steps", "20000")
	var buf bytes.Buffer
	if err := tab.RenderWith(&buf, RenderOptions{Width: 80}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if w, line := maxLineWidth(out); w > 80 {
		t.Errorf("a line is %d wide: %s\n%s", w, line, out)
	}
	if strings.Contains(out, "not shown") {
		t.Errorf("a text column was left off rather than wrapped:\n%s", out)
	}
	// Nothing is truncated: every word and every x is there.
	var text strings.Builder
	for _, l := range strings.Split(out, "\n") {
		for _, cell := range strings.Split(l, "│") {
			text.WriteString(strings.TrimSpace(cell) + " ")
		}
	}
	for _, word := range strings.Fields(long) {
		if !strings.Contains(text.String(), word) {
			t.Errorf("wrapped value lost %q:\n%s", word, out)
		}
	}
	if n := strings.Count(out, "#"); n != 250 {
		t.Errorf("the 250-character value shows %d characters:\n%s", n, out)
	}
}

func TestWrap(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in    string
		width int
		want  string
	}{
		{"a bb ccc dddd", 6, "a bb\nccc\ndddd"},
		{"abcdefghij", 4, "abcd\nefgh\nij"},
		{"ab abcdefgh", 5, "ab ab\ncdefg\nh"},
		{"α β γ δ", 3, "α β\nγ δ"},
		{"keep\nbreaks", 20, "keep\nbreaks"},
		{"", 5, ""},
	} {
		if got := Wrap(c.in, c.width); got != c.want {
			t.Errorf("Wrap(%q, %d) = %q, want %q", c.in, c.width, got, c.want)
		}
	}
}

func TestTerminalWidth(t *testing.T) {
	var buf bytes.Buffer
	t.Setenv("COLUMNS", "")
	if got := TerminalWidth(&buf); got != DefaultWidth {
		t.Errorf("not a terminal: width %d, want %d", got, DefaultWidth)
	}
	t.Setenv("COLUMNS", "80")
	if got := TerminalWidth(&buf); got != 80 {
		t.Errorf("COLUMNS=80: width %d", got)
	}
	t.Setenv("COLUMNS", "5")
	if got := TerminalWidth(&buf); got != 40 {
		t.Errorf("COLUMNS=5: width %d, want the floor 40", got)
	}
	t.Setenv("COLUMNS", "wide")
	if got := TerminalWidth(&buf); got != DefaultWidth {
		t.Errorf("COLUMNS=wide: width %d", got)
	}
}

func TestNotApplicable(t *testing.T) {
	t.Parallel()
	tab := NewTable("s", "", Column{Name: "metric"}, Column{Name: "mean"}, Column{Name: "ci_low"})
	tab.Add("a", 1.5, 1.25)
	tab.Add("b", 2.0, nil)
	var csvBuf, jsonBuf bytes.Buffer
	if err := tab.WriteCSV(&csvBuf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(csvBuf.String(), "b,2,\n") {
		t.Errorf("CSV: not-applicable cell not empty:\n%s", csvBuf.String())
	}
	back, err := ReadCSV(bytes.NewReader(csvBuf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if back.Rows[0][2] != 1.25 || back.Rows[1][2] != nil {
		t.Errorf("ReadCSV: ci_low column = %#v, %#v; want 1.25, nil", back.Rows[0][2], back.Rows[1][2])
	}
	if err := WriteJSON(&jsonBuf, tab); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(jsonBuf.String(), `"ci_low": null`) && !strings.Contains(jsonBuf.String(), `"ci_low":null`) {
		t.Errorf("JSON: not-applicable cell not null:\n%s", jsonBuf.String())
	}
}
