package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// NotApplicable is how a nil cell — a value that does not apply, such as
// the confidence interval of a constant or the loss after the last token —
// is shown on a terminal. CSV leaves the cell empty and JSON writes null.
const NotApplicable = "–"

// numberFormat is how the numbers of one column are shown on a terminal.
type numberFormat struct {
	unit  string  // the column's unit as shown, possibly rescaled ("ms" for "s")
	scale float64 // values are multiplied by it before formatting
	exp   bool    // exponent form, 3 decimals ("1.235e-05")
	float bool    // the column holds floats: integers are shown like them
	dec   int     // otherwise fixed decimals
	user  string  // Column.Format, which overrides the rest
}

// columnFormat chooses one format for the numbers of column j from its unit
// and the spread of its values (Column.Format, if set, wins):
//
//   - a time in seconds is shown in s, ms, µs or ns, whichever puts the
//     largest magnitude in [1, 1000);
//   - fixed decimals giving the largest magnitude four significant digits,
//     fewer when every value is exactly shorter (0.3, not 0.3000; 20000, not
//     20000.0000), so decimal points line up;
//   - exponent form for the whole column when its largest magnitude is
//     below 1e-3 or at least 1e7, or when it spans four orders of magnitude
//     or more and a nonzero value would show as zero.
func (t *Table) columnFormat(j int) numberFormat {
	c := t.Columns[j]
	f := numberFormat{unit: c.Unit, scale: 1, user: c.Format}
	if c.Format != "" {
		return f
	}
	maxAbs, minAbs := 0.0, math.Inf(1)
	for _, row := range t.Rows {
		if v, ok := Float(row[j]); ok && finite(v) {
			maxAbs = max(maxAbs, math.Abs(v))
			if v != 0 {
				minAbs = min(minAbs, math.Abs(v))
			}
		}
		switch row[j].(type) {
		case float64, float32:
			f.float = true
		}
	}
	if c.Unit == "s" && maxAbs > 0 && maxAbs < 1 {
		for _, p := range []struct {
			unit  string
			scale float64
		}{{"ms", 1e3}, {"µs", 1e6}, {"ns", 1e9}} {
			f.unit, f.scale = p.unit, p.scale
			if maxAbs*p.scale >= 1 {
				break
			}
		}
		maxAbs, minAbs = maxAbs*f.scale, minAbs*f.scale
	}
	if maxAbs == 0 {
		return f
	}
	if maxAbs < 1e-3 || maxAbs >= 1e7 {
		f.exp = true
		return f
	}
	f.dec = max(3-int(math.Floor(math.Log10(maxAbs))), 0)
	if minAbs < 0.5*math.Pow10(-f.dec) && maxAbs/minAbs >= 1e4 {
		f.exp = true
		return f
	}
	// Fewer decimals when every value needs fewer to be exact.
	need := 0
	for _, row := range t.Rows {
		v, ok := Float(row[j])
		if !ok || !finite(v) {
			continue
		}
		bits := 64
		if _, is32 := row[j].(float32); is32 {
			bits = 32
		}
		s := strconv.FormatFloat(v*f.scale, 'f', -1, bits)
		if i := strings.IndexByte(s, '.'); i >= 0 {
			need = max(need, len(s)-i-1)
		}
		if need >= f.dec {
			break
		}
	}
	f.dec = min(f.dec, need)
	return f
}

// format shows one cell of the column.
func (f numberFormat) format(cell any) string {
	if cell == nil {
		return NotApplicable
	}
	v, ok := Float(cell)
	if !ok {
		return csvCell(cell)
	}
	if f.user != "" {
		if strings.ContainsAny(f.user[len(f.user)-1:], "eEfFgG") {
			return fmt.Sprintf(f.user, v)
		}
		return fmt.Sprintf(f.user, cell)
	}
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	if !f.float && f.scale == 1 {
		return csvCell(cell) // a column of integers shows them as they are
	}
	v *= f.scale
	if f.exp {
		return strconv.FormatFloat(v, 'e', 3, 64)
	}
	return strconv.FormatFloat(v, 'f', f.dec, 64)
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

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
