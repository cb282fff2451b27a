package plots_test

import (
	"log"
	"os"
	"path/filepath"

	"github.com/attnlab/attnlab/plots"
	"github.com/attnlab/attnlab/report"
)

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

	// Directly, format from the extension:
	if err := fig.Save(filepath.Join(dir, "heads.svg")); err != nil {
		log.Fatal(err)
	}
	// Or through a report.Output, which lists it in manifest.json:
	out := report.NewOutput(dir)
	if _, err := out.WriteFile("heads.png", plots.PNG(fig)); err != nil {
		log.Fatal(err)
	}
}
