package report

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
)

// Render writes the table for a terminal: the title on its own line, a boxed
// table whose header carries units ("loss (nats)"), numeric columns right
// aligned with one format per column (Column.Format, or enough fixed
// decimals for four significant digits so decimal points line up), and the
// caption under it.
func (t *Table) Render(w io.Writer) error {
	if t.Title != "" {
		if _, err := fmt.Fprintln(w, t.Title); err != nil {
			return err
		}
	}
	header := make([]any, len(t.Columns))
	align := make(tw.Alignment, len(t.Columns))
	for j, c := range t.Columns {
		header[j] = c.Header()
		align[j] = tw.AlignLeft
		if t.numericColumn(j) {
			align[j] = tw.AlignRight
		}
	}
	tab := tablewriter.NewTable(w,
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithAlignment(align),
		tablewriter.WithTrimSpace(tw.Off),
	)
	tab.Header(header...)
	formats := make([]func(float64) string, len(t.Columns))
	for j, c := range t.Columns {
		formats[j] = t.floatFormat(j, c.Format)
	}
	for _, row := range t.Rows {
		cells := make([]string, len(row))
		for j, cell := range row {
			cells[j] = displayCell(cell, t.Columns[j].Format, formats[j])
		}
		if err := tab.Append(cells); err != nil {
			return fmt.Errorf("report: rendering table %q: %w", t.Name, err)
		}
	}
	if err := tab.Render(); err != nil {
		return fmt.Errorf("report: rendering table %q: %w", t.Name, err)
	}
	if t.Caption != "" {
		if _, err := fmt.Fprintln(w, t.Caption); err != nil {
			return err
		}
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

// floatFormat returns the formatter for the float cells of column j: the
// column's Format if set, else one shared format for the column — fixed
// decimals enough to show four significant digits of its smallest nonzero
// magnitude when every value lies in [1e-3, 1e6), so decimal points line up,
// and exponent form ("1.235e-05") otherwise.
func (t *Table) floatFormat(j int, format string) func(float64) string {
	if format != "" {
		return func(v float64) string { return fmt.Sprintf(format, v) }
	}
	minAbs, fixed := math.Inf(1), true
	for _, row := range t.Rows {
		var v float64
		switch c := row[j].(type) {
		case float64:
			v = c
		case float32:
			v = float64(c)
		default:
			continue
		}
		a := math.Abs(v)
		if a == 0 || math.IsNaN(a) || math.IsInf(a, 0) {
			continue
		}
		if a < 1e-3 || a >= 1e6 {
			fixed = false
		}
		minAbs = min(minAbs, a)
	}
	if !fixed {
		return func(v float64) string { return strconv.FormatFloat(v, 'e', 3, 64) }
	}
	prec := 0
	if !math.IsInf(minAbs, 0) {
		prec = max(3-int(math.Floor(math.Log10(minAbs))), 0)
	}
	return func(v float64) string { return strconv.FormatFloat(v, 'f', prec, 64) }
}

// displayCell formats a cell for humans: floats through ff (NaN, +Inf and
// -Inf spelled out), other numbers through format if it is set.
func displayCell(cell any, format string, ff func(float64) string) string {
	switch v := cell.(type) {
	case nil:
		return ""
	case string:
		return v
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return FormatNumber(v)
		}
		return ff(v)
	case float32:
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return FormatNumber(float64(v))
		}
		return ff(float64(v))
	}
	if format != "" {
		if _, ok := Float(cell); ok {
			return fmt.Sprintf(format, cell)
		}
	}
	return csvCell(cell)
}

// FormatNumber formats a float for reading at four significant digits:
// plain decimals for magnitudes in [1e-3, 1e6) ("0.1235", "123.5",
// "12346"), exponent form outside ("1.235e-05"), "NaN", "+Inf", "-Inf".
func FormatNumber(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case v == 0:
		return "0"
	}
	a := math.Abs(v)
	if a < 1e-3 || a >= 1e6 {
		return strconv.FormatFloat(v, 'e', 3, 64)
	}
	// Digits after the point for 4 significant digits.
	exp := int(math.Floor(math.Log10(a)))
	prec := max(3-exp, 0)
	s := strconv.FormatFloat(v, 'f', prec, 64)
	// Rounding may carry into a new digit (9.9996 -> "10.000"); drop the
	// extra digit, then trailing zeros would still be significant, so keep
	// them: 0.5000 reads as four significant digits.
	if digits := strings.TrimLeft(strings.Replace(strings.TrimPrefix(s, "-"), ".", "", 1), "0"); len(digits) > 4 && prec > 0 {
		s = strconv.FormatFloat(v, 'f', prec-1, 64)
	}
	return s
}
