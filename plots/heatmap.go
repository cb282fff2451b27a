package plots

import (
	"fmt"
	"image"
	"image/color"
	"io"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// MaxTickLabels is the largest number of rows or columns whose labels are
// all drawn; beyond it a heatmap labels every k-th row or column only
// (k = 2, 5, 10, 20, ...), at most 20 labels per axis.
const MaxTickLabels = 40

// Heatmap is a matrix drawn as coloured cells with a colour bar: a layer ×
// head grid of scores or an attention pattern (queries down, keys across).
type Heatmap struct {
	Title, XLabel, YLabel string
	ValueLabel            string // colour-bar label, with units: "attention weight"

	Rows, Cols int
	Values     []float64 // row-major [Rows*Cols]; row 0 is drawn at the top; NaN cells are grey

	RowLabels []string // nil, or one per row ("L0", "L1"); nil means 0, 1, 2, ...
	ColLabels []string // nil, or one per column ("H0".."H3", tokens)

	CellText   bool   // print each value in its cell, black or white for contrast
	CellFormat string // fmt verb for CellText; default "%.2f"

	Diverging bool     // blue–white–red map centred on Center, limits symmetric about it
	Center    float64  // with Diverging: the value drawn white, e.g. a random baseline (default 0)
	Min, Max  *float64 // fixed colour limits (e.g. 0 and 1 for attention); nil: from the data and Marks
	Marks     []Mark   // reference levels marked on the colour bar (e.g. chance, a threshold)

	Width, Height float64 // inches; 0 means DefaultWidth, DefaultHeight
}

// Save writes the heatmap to path atomically; the extension (.png, .svg,
// .pdf) picks the format.
func (h Heatmap) Save(path string) error { return saveFigure(path, h.Render) }

// Render writes the heatmap to w in the given format: "png", "svg" or "pdf".
func (h Heatmap) Render(w io.Writer, format string) error {
	if err := h.validate(); err != nil {
		return err
	}
	wd, ht := size(h.Width, h.Height)
	return writeFigure(w, format, wd, ht, h.draw)
}

func (h Heatmap) validate() error {
	switch {
	case h.Rows < 1 || h.Cols < 1:
		return fmt.Errorf("plots: heatmap %q is %d×%d, want at least 1×1", h.Title, h.Rows, h.Cols)
	case len(h.Values) != h.Rows*h.Cols:
		return fmt.Errorf("plots: heatmap %q has %d values, want Rows×Cols = %d×%d = %d", h.Title, len(h.Values), h.Rows, h.Cols, h.Rows*h.Cols)
	case h.RowLabels != nil && len(h.RowLabels) != h.Rows:
		return fmt.Errorf("plots: heatmap %q has %d row labels for %d rows", h.Title, len(h.RowLabels), h.Rows)
	case h.ColLabels != nil && len(h.ColLabels) != h.Cols:
		return fmt.Errorf("plots: heatmap %q has %d column labels for %d columns", h.Title, len(h.ColLabels), h.Cols)
	case h.Min != nil && h.Max != nil && !(*h.Min < *h.Max):
		return fmt.Errorf("plots: heatmap %q has colour limits Min %g ≥ Max %g", h.Title, *h.Min, *h.Max)
	}
	return nil
}

// Mark is a reference level marked on a colour bar: a line across the bar
// and its label beside it.
type Mark struct {
	Value float64
	Label string // e.g. "random 0.125"
}

// limits returns the colour range: Min/Max where set, else the range of
// the finite data and the marks; symmetric about Center when Diverging.
func (h Heatmap) limits() (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, v := range h.Values {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	for _, m := range h.Marks {
		if finite(m.Value) {
			lo, hi = min(lo, m.Value), max(hi, m.Value)
		}
	}
	if lo > hi {
		lo, hi = 0, 1
	}
	if h.Min != nil {
		lo = *h.Min
	}
	if h.Max != nil {
		hi = *h.Max
	}
	if h.Diverging {
		c := h.Center
		m := max(math.Abs(lo-c), math.Abs(hi-c))
		if m == 0 {
			m = 1
		}
		return c - m, c + m
	}
	if lo >= hi {
		lo, hi = lo-0.5, lo+0.5
	}
	return lo, hi
}

// colorOf maps a value to its cell colour.
func (h Heatmap) colorOf(v, lo, hi float64) color.RGBA {
	switch {
	case math.IsNaN(v):
		return missingColor
	case h.Diverging:
		return Diverging((v - h.Center) / (hi - h.Center))
	}
	return Viridis((v - lo) / (hi - lo))
}

func (h Heatmap) draw(dc draw.Canvas) error {
	lo, hi := h.limits()
	p := newPlot(h.Title, h.XLabel, h.YLabel)
	p.X.Min, p.X.Max = -0.5, float64(h.Cols)-0.5
	p.Y.Min, p.Y.Max = -0.5, float64(h.Rows)-0.5
	p.X.Padding, p.Y.Padding = 0, 0
	xt := labelTicks(h.ColLabels, h.Cols, false)
	p.X.Tick.Marker = xt
	p.Y.Tick.Marker = labelTicks(h.RowLabels, h.Rows, true)
	p.Add(&cellGrid{h: h, lo: lo, hi: hi})

	bar := newColorBar(lo, hi, h.ValueLabel, func(v float64) color.RGBA { return h.colorOf(v, lo, hi) })
	bar.setMarks(h.Marks)
	main := draw.Crop(dc, 0, -bar.width(), 0, 0)

	// Turn column labels upright when they would not fit side by side.
	var need vg.Length
	for _, t := range xt {
		need += p.X.Tick.Label.Width(t.Label) + vg.Points(4)
	}
	if need > (main.Max.X-main.Min.X)-vg.Inch {
		p.X.Tick.Label.Rotation = math.Pi / 2
		p.X.Tick.Label.XAlign = draw.XRight
		p.X.Tick.Label.YAlign = draw.YCenter
	}

	p.Draw(main)
	da := p.DataCanvas(main)
	bar.draw(dc, main.Max.X, da.Min.Y, da.Max.Y)
	return nil
}

// labelTicks places labels at cell centres 0..n-1 (reversed when flip, so
// that row 0 is at the top), thinning them when there are too many.
func labelTicks(labels []string, n int, flip bool) plot.ConstantTicks {
	stride := 1
	for m := 1; n > MaxTickLabels && stride == 1; m *= 10 {
		for _, b := range []int{2, 5, 10} {
			if (n+b*m-1)/(b*m) <= 20 {
				stride = b * m
				break
			}
		}
	}
	var ticks plot.ConstantTicks
	for i := 0; i < n; i += stride {
		lab := strconv.Itoa(i)
		if labels != nil {
			lab = labels[i]
		}
		v := float64(i)
		if flip {
			v = float64(n - 1 - i)
		}
		ticks = append(ticks, plot.Tick{Value: v, Label: lab})
	}
	return ticks
}

// cellGrid is the plot.Plotter that fills the heatmap's cells.
type cellGrid struct {
	h      Heatmap
	lo, hi float64
}

// rectLimit is the largest grid drawn as vector rectangles; larger grids
// are drawn as one nearest-neighbour-upscaled raster image.
const rectLimit = 64 * 64

func (g *cellGrid) Plot(c draw.Canvas, p *plot.Plot) {
	h := g.h
	trX, trY := p.Transforms(&c)
	cellRect := func(r, col int) (x0, y0, x1, y1 vg.Length) {
		y := float64(h.Rows - 1 - r)
		return trX(float64(col) - 0.5), trY(y - 0.5), trX(float64(col) + 0.5), trY(y + 0.5)
	}
	if h.Rows*h.Cols <= rectLimit {
		eps := vg.Points(0.25) // overlap neighbours so anti-aliasing leaves no seams
		for r := range h.Rows {
			for col := range h.Cols {
				x0, y0, x1, y1 := cellRect(r, col)
				x0, y0, x1, y1 = x0-eps, y0-eps, x1+eps, y1+eps
				c.FillPolygon(h.colorOf(h.Values[r*h.Cols+col], g.lo, g.hi),
					[]vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}})
			}
		}
	} else {
		k := max(1, 1024/max(h.Rows, h.Cols))
		img := image.NewRGBA(image.Rect(0, 0, h.Cols*k, h.Rows*k))
		for r := range h.Rows {
			for col := range h.Cols {
				clr := h.colorOf(h.Values[r*h.Cols+col], g.lo, g.hi)
				for dy := range k {
					for dx := range k {
						img.SetRGBA(col*k+dx, r*k+dy, clr)
					}
				}
			}
		}
		c.DrawImage(vg.Rectangle{
			Min: vg.Point{X: trX(-0.5), Y: trY(-0.5)},
			Max: vg.Point{X: trX(float64(h.Cols) - 0.5), Y: trY(float64(h.Rows) - 0.5)},
		}, img)
	}
	if h.Rows <= 24 && h.Cols <= 24 {
		g.gridLines(c, trX, trY)
	}
	if h.CellText {
		g.cellText(c, cellRect)
	}
}

// gridLines separates the cells of small grids with thin white lines.
func (g *cellGrid) gridLines(c draw.Canvas, trX, trY func(float64) vg.Length) {
	sty := draw.LineStyle{Color: color.White, Width: vg.Points(1)}
	y0, y1 := trY(-0.5), trY(float64(g.h.Rows)-0.5)
	x0, x1 := trX(-0.5), trX(float64(g.h.Cols)-0.5)
	for col := 1; col < g.h.Cols; col++ {
		x := trX(float64(col) - 0.5)
		c.StrokeLine2(sty, x, y0, x, y1)
	}
	for r := 1; r < g.h.Rows; r++ {
		y := trY(float64(r) - 0.5)
		c.StrokeLine2(sty, x0, y, x1, y)
	}
}

// cellText prints each value in its cell, sized to fit, in black or white.
func (g *cellGrid) cellText(c draw.Canvas, cellRect func(r, col int) (x0, y0, x1, y1 vg.Length)) {
	h := g.h
	format := h.CellFormat
	if format == "" {
		format = "%.2f"
	}
	texts := make([]string, len(h.Values))
	for i, v := range h.Values {
		texts[i] = fmt.Sprintf(format, v)
		if math.IsNaN(v) {
			texts[i] = "–" // a cell with no value (e.g. a head pair that cannot compose)
		}
	}
	x0, y0, x1, y1 := cellRect(0, 0)
	cw, ch := x1-x0, y1-y0
	sty := textStyle(min(vg.Points(cellSize), ch*0.45))
	var widest vg.Length
	for _, s := range texts {
		widest = max(widest, sty.Width(s))
	}
	if widest > cw*0.9 {
		sty.Font.Size *= cw * 0.9 / widest
	}
	if sty.Font.Size < vg.Points(5) {
		return // too small to read
	}
	for r := range h.Rows {
		for col := range h.Cols {
			i := r*h.Cols + col
			sty.Color = textColorOn(h.colorOf(h.Values[i], g.lo, g.hi))
			x0, y0, x1, y1 := cellRect(r, col)
			c.FillText(sty, vg.Point{X: (x0 + x1) / 2, Y: (y0 + y1) / 2}, texts[i])
		}
	}
}
