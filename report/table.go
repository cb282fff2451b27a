package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
)

// Column describes one column of a Table.
type Column struct {
	// Name is the stable CSV header, e.g. "induction" or "loss".
	Name string
	// Unit is shown in the terminal header as "loss (nats)"; "" for none.
	Unit string
	// Format is an optional fmt verb for numeric cells on the terminal,
	// e.g. "%.3f". CSV and JSON always carry full precision. Without it
	// the renderer picks one format for the column from its unit and the
	// spread of its values.
	Format string
	// Detail orders the columns a terminal leaves off when the table is
	// wider than the terminal: highest Detail first, the rightmost first
	// among equals. 0 (the default) marks a headline column; CSV and JSON
	// always carry every column.
	Detail int
}

// Header returns the column heading for humans: "name (unit)", or the name
// alone when the column has no unit.
func (c Column) Header() string {
	if c.Unit == "" {
		return c.Name
	}
	return c.Name + " (" + c.Unit + ")"
}

// Table is a named, titled table of rows. Each row has one cell per column;
// a cell is a string, bool, int, int64, float64 or float32, or nil for a
// value that does not apply (shown "–" on a terminal, empty in CSV, null
// in JSON).
type Table struct {
	Name    string // file stem: "heads" -> heads.csv
	Title   string // shown above the terminal table
	Caption string // optional note under it
	Columns []Column
	Rows    [][]any
}

// NewTable returns an empty table with the given columns.
func NewTable(name, title string, cols ...Column) *Table {
	return &Table{Name: name, Title: title, Columns: cols}
}

// Add appends a row. It panics if the number of cells differs from the number
// of columns: rows are built by code, so a mismatch is a programming error.
func (t *Table) Add(cells ...any) {
	if len(cells) != len(t.Columns) {
		panic(fmt.Sprintf("report: table %q: row has %d cells, want %d", t.Name, len(cells), len(t.Columns)))
	}
	t.Rows = append(t.Rows, append([]any(nil), cells...))
}

// Column returns the index of the column with the given name, or -1.
func (t *Table) Column(name string) int {
	for i, c := range t.Columns {
		if c.Name == name {
			return i
		}
	}
	return -1
}

// Float returns a numeric cell as float64. It reports false for strings,
// bools and nil.
func Float(cell any) (float64, bool) {
	switch v := cell.(type) {
	case float64:
		return v, true
	case float32:
		return float64(v), true
	case int:
		return float64(v), true
	case int64:
		return float64(v), true
	case int32:
		return float64(v), true
	case int16:
		return float64(v), true
	case int8:
		return float64(v), true
	case uint:
		return float64(v), true
	case uint64:
		return float64(v), true
	case uint32:
		return float64(v), true
	case uint16:
		return float64(v), true
	case uint8:
		return float64(v), true
	}
	return 0, false
}

// csvCell formats a cell at full precision.
func csvCell(cell any) string {
	switch v := cell.(type) {
	case nil:
		return ""
	case string:
		return v
	case bool:
		return strconv.FormatBool(v)
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(v), 'g', -1, 32)
	case int:
		return strconv.Itoa(v)
	case int64:
		return strconv.FormatInt(v, 10)
	}
	return fmt.Sprint(cell)
}

// WriteCSV writes the table as RFC 4180 CSV: a header of column names, then
// one record per row, floats at full precision.
func (t *Table) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	rec := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		rec[i] = c.Name
	}
	if err := cw.Write(rec); err != nil {
		return fmt.Errorf("report: writing %s.csv: %w", t.Name, err)
	}
	for _, row := range t.Rows {
		for i, cell := range row {
			rec[i] = csvCell(cell)
		}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("report: writing %s.csv: %w", t.Name, err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("report: writing %s.csv: %w", t.Name, err)
	}
	return nil
}

// ReadCSV reads a table written by WriteCSV. The returned table has no name
// or title and no units. Cell types are inferred per column, so a column
// keeps one type: int64 if every cell parses as an integer, else float64 if
// every cell parses as a float (including "NaN", "+Inf"), else bool if every
// cell is "true" or "false", else string. Empty cells are nil (not
// applicable) and do not decide the type. A float column whose values are
// all whole numbers therefore reads back as int64; use Float to read any
// numeric cell.
func ReadCSV(r io.Reader) (*Table, error) {
	cr := csv.NewReader(r)
	recs, err := cr.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("report: reading CSV: %w", err)
	}
	if len(recs) == 0 {
		return nil, errors.New("report: reading CSV: no header line")
	}
	t := &Table{}
	for _, name := range recs[0] {
		t.Columns = append(t.Columns, Column{Name: name})
	}
	body := recs[1:]
	t.Rows = make([][]any, len(body))
	for i := range body {
		t.Rows[i] = make([]any, len(t.Columns))
	}
	for j := range t.Columns {
		parse := columnParser(body, j)
		for i, rec := range body {
			t.Rows[i][j] = parse(rec[j])
		}
	}
	return t, nil
}

// columnParser picks the narrowest type every cell of column j parses as.
func columnParser(body [][]string, j int) func(string) any {
	all := func(ok func(string) bool) bool {
		n := 0
		for _, rec := range body {
			if rec[j] == "" {
				continue
			}
			if !ok(rec[j]) {
				return false
			}
			n++
		}
		return n > 0
	}
	orNil := func(parse func(string) any) func(string) any {
		return func(s string) any {
			if s == "" {
				return nil
			}
			return parse(s)
		}
	}
	switch {
	case all(func(s string) bool { _, err := strconv.ParseInt(s, 10, 64); return err == nil }):
		return orNil(func(s string) any { v, _ := strconv.ParseInt(s, 10, 64); return v })
	case all(func(s string) bool { _, err := strconv.ParseFloat(s, 64); return err == nil }):
		return orNil(func(s string) any { v, _ := strconv.ParseFloat(s, 64); return v })
	case all(func(s string) bool { return s == "true" || s == "false" }):
		return orNil(func(s string) any { return s == "true" })
	}
	return func(s string) any { return s }
}

// jsonCell encodes a cell; NaN and infinities become null.
func jsonCell(cell any) ([]byte, error) {
	switch v := cell.(type) {
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return []byte("null"), nil
		}
	case float32:
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return []byte("null"), nil
		}
	}
	return json.Marshal(cell)
}

type jsonColumn struct {
	Name string `json:"name"`
	Unit string `json:"unit"`
}

// MarshalJSON encodes the table as
//
//	{"name": .., "title": .., "caption": .., "columns": [{"name", "unit"}],
//	 "rows": [{"<column>": value, ...}]}
//
// with row keys in column order and NaN/Inf as null.
func (t *Table) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	put := func(v any) error {
		enc, err := json.Marshal(v)
		b.Write(enc)
		return err
	}
	cols := make([]jsonColumn, len(t.Columns))
	for i, c := range t.Columns {
		cols[i] = jsonColumn{c.Name, c.Unit}
	}
	b.WriteString(`{"name":`)
	put(t.Name)
	b.WriteString(`,"title":`)
	put(t.Title)
	if t.Caption != "" {
		b.WriteString(`,"caption":`)
		put(t.Caption)
	}
	b.WriteString(`,"columns":`)
	if err := put(cols); err != nil {
		return nil, err
	}
	b.WriteString(`,"rows":[`)
	for i, row := range t.Rows {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('{')
		for j, cell := range row {
			if j > 0 {
				b.WriteByte(',')
			}
			put(t.Columns[j].Name)
			b.WriteByte(':')
			enc, err := jsonCell(cell)
			if err != nil {
				return nil, fmt.Errorf("report: table %q column %q: %w", t.Name, t.Columns[j].Name, err)
			}
			b.Write(enc)
		}
		b.WriteByte('}')
	}
	b.WriteString("]}")
	return b.Bytes(), nil
}

// WriteJSON writes {"tables": [...]} pretty-printed, followed by a newline.
func WriteJSON(w io.Writer, tables ...*Table) error {
	if tables == nil {
		tables = []*Table{}
	}
	enc, err := json.MarshalIndent(struct {
		Tables []*Table `json:"tables"`
	}{tables}, "", "  ")
	if err != nil {
		return fmt.Errorf("report: encoding JSON: %w", err)
	}
	enc = append(enc, '\n')
	_, err = w.Write(enc)
	return err
}
