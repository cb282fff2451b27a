package plots_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/attnlab/attnlab/plots"
	"github.com/attnlab/attnlab/report"
)

// A layer × head heatmap, saved directly (the format from the extension)
// and through a report.Output, which lists it for manifest.json.
func ExampleHeatmap() {
	lo, hi := 0.0, 1.0
	fig := plots.Heatmap{
		Title:      "Induction score per head",
		XLabel:     "head",
		YLabel:     "layer",
		ValueLabel: "induction score",
		Rows:       2, Cols: 4,
		Values:    []float64{0.01, 0.02, 0.03, 0.01, 0.05, 0.91, 0.02, 0.40},
		RowLabels: []string{"L0", "L1"},
		ColLabels: []string{"H0", "H1", "H2", "H3"},
		CellText:  true,
		Min:       &lo, Max: &hi,
	}
	dir, err := os.MkdirTemp("", "attnlab")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	if err := fig.Save(filepath.Join(dir, "heads.svg")); err != nil {
		log.Fatal(err)
	}
	out := report.NewOutput(dir)
	if err := out.WriteResults(report.Results{Figures: []report.Figure{{Name: "heads.png", Fig: fig}}}, ""); err != nil {
		log.Fatal(err)
	}
	for _, name := range []string{"heads.svg", "heads.png"} {
		st, err := os.Stat(filepath.Join(dir, name))
		fmt.Println(name, err == nil && st.Size() > 1000)
	}
	fmt.Println(out.Files)
	// Output:
	// heads.svg true
	// heads.png true
	// [heads.png]
}
