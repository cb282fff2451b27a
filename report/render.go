package report

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/pkg/twwidth"
	"github.com/olekukonko/tablewriter/tw"
)

// DefaultWidth is the width, in terminal columns, tables are fitted to when
// the output is not a terminal and COLUMNS is not set.
const DefaultWidth = 100

// minWrap is the narrowest a text column is wrapped to before columns are
// left off instead.
const minWrap = 16

// RenderOptions says how Render fits a table to a terminal.
type RenderOptions struct {
	// Width is the number of terminal columns; 0 means DefaultWidth.
	Width int
	// Wide shows every column, however wide the table becomes (titles and
	// notes are still wrapped at Width).
	Wide bool
	// Note is appended to the line that names the columns left off, e.g.
	// where to find them.
	Note string
}

// Render writes the table for a terminal of DefaultWidth columns; see
// RenderWith.
func (t *Table) Render(w io.Writer) error { return t.RenderWith(w, RenderOptions{}) }

// RenderWith writes the table for a terminal: the title, a boxed table
// whose header carries units ("loss (nats)"), numbers right-aligned in one
// format per column (see Column.Format), "–" for cells that do not apply
// (nil), and the caption. Nothing it prints is wider than opt.Width unless
// opt.Wide is set: when the table is too wide, units move under the column
// names, detail columns (Column.Detail > 0) are left off, long text cells
// are wrapped, and then further columns are left off — highest Detail
// first, rightmost first among equals, never the first column — and named
// on a line under the table. Title and caption
// are wrapped at opt.Width.
func (t *Table) RenderWith(w io.Writer, opt RenderOptions) error {
	width := opt.Width
	if width <= 0 {
		width = DefaultWidth
	}
	var out bytes.Buffer
	if t.Title != "" {
		out.WriteString(Wrap(t.Title, width))
		out.WriteByte('\n')
	}
	l := t.layout()
	if !opt.Wide {
		l.fit(width)
	}
	if err := l.render(&out, t.Name); err != nil {
		return err
	}
	if len(l.dropped) > 0 {
		var names []string
		for j, c := range t.Columns { // in table order
			if slices.Contains(l.dropped, j) && c.Name != "" {
				names = append(names, c.Name)
			}
		}
		note := fmt.Sprintf("not shown (too wide for %d columns): %s", width, strings.Join(names, ", "))
		if opt.Note != "" {
			note += "; " + opt.Note
		}
		out.WriteString(Wrap(note, width))
		out.WriteByte('\n')
	}
	if t.Caption != "" {
		out.WriteString(Wrap(t.Caption, width))
		out.WriteByte('\n')
	}
	_, err := w.Write(out.Bytes())
	return err
}

// layout is a table as strings, with the choices made to fit it.
type layout struct {
	t        *Table
	header   []string // one line: "name (unit)"
	split    []string // two lines: "name\n(unit)"
	cells    [][]string
	numeric  []bool
	show     []int // columns shown, in order
	dropped  []int // columns left off, in the order they were
	twoLine  bool
	wrap     map[int]int // text column -> width its cells are wrapped to
	wrapped  bool        // some cell was wrapped
	rowLines bool
}

func (t *Table) layout() *layout {
	n := len(t.Columns)
	l := &layout{t: t, header: make([]string, n), split: make([]string, n), numeric: make([]bool, n), wrap: map[int]int{}}
	formats := make([]numberFormat, n)
	for j, c := range t.Columns {
		formats[j] = t.columnFormat(j)
		l.numeric[j] = t.numericColumn(j)
		l.header[j], l.split[j] = c.Name, c.Name
		if u := formats[j].unit; u != "" {
			l.header[j] = c.Name + " (" + u + ")"
			l.split[j] = c.Name + "\n(" + u + ")"
		}
		l.show = append(l.show, j)
	}
	l.cells = make([][]string, len(t.Rows))
	for i, row := range t.Rows {
		l.cells[i] = make([]string, n)
		for j, cell := range row {
			l.cells[i][j] = formats[j].format(cell)
		}
	}
	return l
}

// colWidth is the display width column j takes with the current choices.
func (l *layout) colWidth(j int) int {
	h := l.header[j]
	if l.twoLine {
		h = l.split[j]
	}
	w := 0
	for _, line := range strings.Split(h, "\n") {
		w = max(w, twwidth.Width(line))
	}
	if lim, ok := l.wrap[j]; ok {
		return max(w, lim)
	}
	for _, row := range l.cells {
		for _, line := range strings.Split(row[j], "\n") {
			w = max(w, twwidth.Width(line))
		}
	}
	return w
}

// width is the rendered width: "│ a │ b │" is Σ widths + 3 per column + 1.
func (l *layout) width() int {
	w := 1
	for _, j := range l.show {
		w += l.colWidth(j) + 3
	}
	return w
}

// fit makes the table at most width columns wide.
func (l *layout) fit(width int) {
	if l.width() <= width {
		return
	}
	l.twoLine = true
	// Details go first, then long text wraps, then headline columns go.
	for l.width() > width && l.dropOne(1) {
	}
	for l.width() > width {
		if l.wrapOne(width) {
			continue
		}
		if len(l.show) == 1 {
			// One text column alone: wrap it to what is left.
			j := l.show[0]
			l.wrap[j] = max(width-4, 1)
			break
		}
		l.dropOne(math.MinInt)
	}
	// Give wrapped columns back what dropping columns freed.
	for j, lim := range l.wrap {
		if spare := width - l.width(); spare > 0 {
			l.wrap[j] = lim + spare
			if full := l.fullWidth(j); l.wrap[j] > full {
				l.wrap[j] = full
			}
		}
	}
}

// fullWidth is column j's width unwrapped.
func (l *layout) fullWidth(j int) int {
	lim, ok := l.wrap[j]
	delete(l.wrap, j)
	w := l.colWidth(j)
	if ok {
		l.wrap[j] = lim
	}
	return w
}

// wrapOne narrows the widest text column whose cells are wider than
// minWrap, to what the table can give it (at least minWrap); it reports
// whether it found one.
func (l *layout) wrapOne(width int) bool {
	best, bw := -1, minWrap
	for _, j := range l.show {
		if l.numeric[j] {
			continue
		}
		if _, done := l.wrap[j]; done {
			continue
		}
		if w := l.colWidth(j); w > bw {
			best, bw = j, w
		}
	}
	if best < 0 {
		return false
	}
	l.wrap[best] = max(minWrap, bw-(l.width()-width))
	return true
}

// dropOne leaves off the column of highest Detail, rightmost among equals,
// if its Detail is at least minDetail; never the first column. It reports
// whether it left one off.
func (l *layout) dropOne(minDetail int) bool {
	at := -1
	for i := len(l.show) - 1; i >= 1; i-- {
		if at < 0 || l.t.Columns[l.show[i]].Detail > l.t.Columns[l.show[at]].Detail {
			at = i
		}
	}
	if at < 0 || l.t.Columns[l.show[at]].Detail < minDetail {
		return false
	}
	l.dropped = append(l.dropped, l.show[at])
	l.show = slices.Delete(l.show, at, at+1)
	return true
}

func (l *layout) render(w io.Writer, name string) error {
	header := make([]any, len(l.show))
	align := make(tw.Alignment, len(l.show))
	for k, j := range l.show {
		header[k] = l.header[j]
		if l.twoLine {
			header[k] = l.split[j]
		}
		align[k] = tw.AlignLeft
		if l.numeric[j] {
			align[k] = tw.AlignRight
		}
	}
	rows := make([][]string, len(l.cells))
	for i, row := range l.cells {
		rows[i] = make([]string, len(l.show))
		for k, j := range l.show {
			s := row[j]
			if lim, ok := l.wrap[j]; ok && twwidth.Width(s) > lim {
				s = Wrap(s, lim)
				l.wrapped = true
			}
			rows[i][k] = s
		}
	}
	opts := []tablewriter.Option{
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignCenter),
		tablewriter.WithAlignment(align),
		tablewriter.WithTrimSpace(tw.Off),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithHeaderAutoWrap(tw.WrapNone),
	}
	if l.wrapped {
		// Wrapped rows need lines between them to be read.
		opts = append(opts, tablewriter.WithRendition(tw.Rendition{Settings: tw.Settings{Separators: tw.Separators{BetweenRows: tw.On}}}))
	}
	tab := tablewriter.NewTable(w, opts...)
	tab.Header(header...)
	for _, r := range rows {
		if err := tab.Append(r); err != nil {
			return fmt.Errorf("report: rendering table %q: %w", name, err)
		}
	}
	if err := tab.Render(); err != nil {
		return fmt.Errorf("report: rendering table %q: %w", name, err)
	}
	return nil
}

// numericColumn reports whether every non-nil cell of column j is a number
// (and there is at least one).
func (t *Table) numericColumn(j int) bool {
	n := 0
	for _, row := range t.Rows {
		if row[j] == nil {
			continue
		}
		if _, ok := Float(row[j]); !ok {
			return false
		}
		n++
	}
	return n > 0
}

// Wrap breaks s into lines of at most width terminal columns, at spaces
// where it can and inside words longer than a line; existing line breaks
// are kept.
func Wrap(s string, width int) string {
	if width < 1 {
		width = 1
	}
	var out []string
	for _, para := range strings.Split(s, "\n") {
		line := ""
		flush := func() { out = append(out, line); line = "" }
		for _, word := range strings.Fields(para) {
			for twwidth.Width(word) > width {
				// Break a long word: fill the current line first.
				room := width
				if line != "" {
					room = width - twwidth.Width(line) - 1
					if room < 1 {
						flush()
						room = width
					}
				}
				head, rest := cutWidth(word, room)
				if line != "" {
					line += " " + head
				} else {
					line = head
				}
				flush()
				word = rest
			}
			switch {
			case line == "":
				line = word
			case twwidth.Width(line)+1+twwidth.Width(word) <= width:
				line += " " + word
			default:
				flush()
				line = word
			}
		}
		flush()
	}
	return strings.Join(out, "\n")
}

// cutWidth splits s after at most w terminal columns (at least one rune).
func cutWidth(s string, w int) (string, string) {
	n := 0
	for i, r := range s {
		rw := twwidth.Width(string(r))
		if n+rw > w && i > 0 {
			return s[:i], s[i:]
		}
		n += rw
	}
	return s, ""
}
