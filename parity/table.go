package parity

import (
	"fmt"

	"github.com/attnlab/attnlab/report"
)

// Table renders results as the "parity" table: one row per tensor.
func Table(rs []Result, tol Tolerance) *report.Table {
	t := report.NewTable("parity", fmt.Sprintf("Tensor by tensor, |got − ref| ≤ %g + %g·|ref|", tol.ATol, tol.RTol),
		report.Column{Name: "tensor"}, report.Column{Name: "status"}, report.Column{Name: "shape"},
		report.Column{Name: "max_abs", Format: "%.2e"}, report.Column{Name: "mean_abs", Format: "%.2e"},
		report.Column{Name: "max_rel", Format: "%.2e"}, report.Column{Name: "mean_rel", Format: "%.2e"},
		report.Column{Name: "bad"}, report.Column{Name: "worst_index"},
		report.Column{Name: "worst_got", Format: "%.6g"}, report.Column{Name: "worst_ref", Format: "%.6g"},
		report.Column{Name: "got_shape"})
	for _, r := range rs {
		if r.Status == ShapeMismatch || r.Status == Missing || r.Status == NotComputed {
			t.Add(r.Name, r.Status.String(), shapeString(r.RefShape), nil, nil, nil, nil, nil, "", nil, nil, shapeString(r.GotShape))
			continue
		}
		t.Add(r.Name, r.Status.String(), shapeString(r.RefShape), r.MaxAbs, r.MeanAbs, r.MaxRel, r.MeanRel,
			r.Bad, shapeString(r.Worst), r.WorstGot, r.WorstRef, shapeString(r.GotShape))
	}
	t.Caption = caption(rs)
	return t
}

// Headline is the terminal's view of the results: one row per tensor, the
// columns that decide pass or fail.
func Headline(rs []Result, tol Tolerance) *report.Table {
	t := report.NewTable("parity", fmt.Sprintf("Tensor by tensor, |got − ref| ≤ %g + %g·|ref|", tol.ATol, tol.RTol),
		report.Column{Name: "tensor"}, report.Column{Name: "status"},
		report.Column{Name: "max_abs", Format: "%.2e"}, report.Column{Name: "max_rel", Format: "%.2e"},
		report.Column{Name: "bad"}, report.Column{Name: "worst_index"})
	for _, r := range rs {
		switch r.Status {
		case ShapeMismatch:
			t.Add(r.Name, r.Status.String(), nil, nil, nil, shapeString(r.GotShape)+" vs "+shapeString(r.RefShape))
		case Missing, NotComputed:
			t.Add(r.Name, r.Status.String(), nil, nil, nil, "")
		default:
			t.Add(r.Name, r.Status.String(), r.MaxAbs, r.MaxRel, r.Bad, shapeString(r.Worst))
		}
	}
	t.Caption = caption(rs)
	return t
}

func caption(rs []Result) string {
	n, nc := 0, 0
	for _, r := range rs {
		if r.Status == NotComputed {
			nc++
		}
		n++
	}
	return fmt.Sprintf("%d tensors: %d failed, %d not computed by attnlab (no such hook point)", n, Failures(rs), nc)
}
