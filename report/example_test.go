package report_test

import (
	"os"

	"github.com/attnlab/attnlab/report"
)

func ExampleTable() {
	t := report.NewTable("heads", "Induction heads",
		report.Column{Name: "head"},
		report.Column{Name: "induction", Format: "%.3f"},
		report.Column{Name: "loss", Unit: "nats"},
	)
	t.Caption = "prefix-matching score on repeated random tokens"
	t.Add("L1H3", 0.9231, 0.41)
	t.Add("L1H0", 0.0412, 2.3)

	t.Render(os.Stdout)
	t.WriteCSV(os.Stdout)
	// Output:
	// Induction heads
	// ┌──────┬───────────┬─────────────┐
	// │ head │ induction │ loss (nats) │
	// ├──────┼───────────┼─────────────┤
	// │ L1H3 │     0.923 │        0.41 │
	// │ L1H0 │     0.041 │        2.30 │
	// └──────┴───────────┴─────────────┘
	// prefix-matching score on repeated random tokens
	// head,induction,loss
	// L1H3,0.9231,0.41
	// L1H0,0.0412,2.3
}
