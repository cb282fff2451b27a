package plots

import (
	"bytes"
	"image/png"
	"testing"
)

// TestLogYLongLabel: a long y label on a log axis does not push the plot
// down (gonum/plot reserves room for it at the linear midpoint of the
// range, near the top of a log axis): below the title, the blank band
// before the plot is as thin as with a one-letter label.
func TestLogYLongLabel(t *testing.T) {
	t.Parallel()
	gap := func(ylabel string) int {
		c := LineChart{Title: "Time vs N", XLabel: "N", YLabel: ylabel, LogX: true, LogY: true, Legend: LegendRight,
			Series: []Series{{Name: "a", X: []float64{256, 1024, 65536}, Y: []float64{0.1, 10, 8000}}}}
		var b bytes.Buffer
		if err := c.Render(&b, "png"); err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(&b)
		if err != nil {
			t.Fatal(err)
		}
		r := img.Bounds()
		blank := func(y int) bool {
			for x := r.Min.X; x < r.Max.X; x++ {
				if cr, cg, cb, _ := img.At(x, y).RGBA(); cr < 0xf000 || cg < 0xf000 || cb < 0xf000 {
					return false
				}
			}
			return true
		}
		y := r.Min.Y
		for ; y < r.Max.Y && blank(y); y++ { // above the title
		}
		for ; y < r.Max.Y && !blank(y); y++ { // the title
		}
		n := 0
		for ; y < r.Max.Y && blank(y); y++ {
			n++
		}
		return n
	}
	short, long := gap("y"), gap("CPU time per forward pass, all threads (ms)")
	if long > short+3 {
		t.Errorf("a long y label leaves %d blank rows under the title, a short one %d", long, short)
	}
}
