package plots

import (
	"fmt"
	"image/color"
	"io"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Span is one interval of a Timeline: on row Row (and lane Lane of it),
// from Start to End, of kind Kind (an index into Timeline.Kinds).
type Span struct {
	Row, Lane  int
	Start, End float64
	Kind       int
}

// Timeline draws what each row (a host, a worker) was doing over time:
// one horizontal bar per span, coloured by kind, rows top to bottom. A row
// may have several lanes (sub-rows), for activities that overlap in time,
// such as computing while a transfer runs.
type Timeline struct {
	Title, XLabel string
	Rows          []string // row labels, row 0 at the top
	Kinds         []string // legend names; kind i gets palette colour i
	Lanes         int      // lanes per row; 0 means 1
	Spans         []Span
	VLines        []VLine // marked times, e.g. where a second phase starts

	Legend        LegendPos
	Width, Height float64 // inches; 0 means DefaultWidth, DefaultHeight
}

// Save writes the timeline to path atomically; the extension (.png, .svg,
// .pdf) picks the format.
func (t Timeline) Save(path string) error { return saveFigure(path, t.Render) }

// Render writes the timeline to w in the given format: "png", "svg" or "pdf".
func (t Timeline) Render(w io.Writer, format string) error {
	if err := t.validate(); err != nil {
		return err
	}
	wd, ht := size(t.Width, t.Height)
	return writeFigure(w, format, wd, ht, t.draw)
}

func (t Timeline) lanes() int { return max(t.Lanes, 1) }

func (t Timeline) validate() error {
	if len(t.Rows) == 0 || len(t.Kinds) == 0 {
		return fmt.Errorf("plots: timeline %q needs at least one row and one kind", t.Title)
	}
	for _, s := range t.Spans {
		if s.Row < 0 || s.Row >= len(t.Rows) || s.Lane < 0 || s.Lane >= t.lanes() || s.Kind < 0 || s.Kind >= len(t.Kinds) {
			return fmt.Errorf("plots: timeline %q: span %+v outside its %d rows, %d lanes, %d kinds", t.Title, s, len(t.Rows), t.lanes(), len(t.Kinds))
		}
		if !finite(s.Start) || !finite(s.End) || s.End < s.Start {
			return fmt.Errorf("plots: timeline %q: span %+v has no extent", t.Title, s)
		}
	}
	return nil
}

// spans is the plotter: row r's lane l occupies y ∈ [n−1−r + l/L·0.8 − 0.4, …].
type spans struct{ t Timeline }

func (s spans) laneY(row, lane int) (y0, y1 float64) {
	n, L := len(s.t.Rows), float64(s.t.lanes())
	top := float64(n-1-row) + 0.4
	h := 0.8 / L
	y1 = top - float64(lane)*h
	return y1 - h*0.9, y1
}

func (s spans) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	for _, sp := range s.t.Spans {
		y0, y1 := s.laneY(sp.Row, sp.Lane)
		x0, x1 := trX(sp.Start), trX(sp.End)
		if x1-x0 < vg.Points(0.3) {
			x1 = x0 + vg.Points(0.3) // keep very short spans visible
		}
		c.FillPolygon(seriesColor(sp.Kind), []vg.Point{{X: x0, Y: trY(y0)}, {X: x1, Y: trY(y0)}, {X: x1, Y: trY(y1)}, {X: x0, Y: trY(y1)}})
	}
}

func (s spans) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, xmax = 0, 0
	for i, sp := range s.t.Spans {
		if i == 0 || sp.Start < xmin {
			xmin = sp.Start
		}
		xmax = max(xmax, sp.End)
	}
	for _, v := range s.t.VLines {
		xmax = max(xmax, v.X)
	}
	if xmax <= xmin {
		xmax = xmin + 1
	}
	xmax += 0.01 * (xmax - xmin)
	return xmin, xmax, -0.5, float64(len(s.t.Rows)) - 0.5
}

// swatch is a legend entry: a filled box.
type swatch color.RGBA

func (s swatch) Thumbnail(c *draw.Canvas) {
	c.FillPolygon(color.RGBA(s), []vg.Point{c.Min, {X: c.Max.X, Y: c.Min.Y}, c.Max, {X: c.Min.X, Y: c.Max.Y}})
}

func (t Timeline) draw(dc draw.Canvas) error {
	p := newPlot(t.Title, t.XLabel, "")
	p.X.Tick.Marker = niceTicks{}
	g := lightGrid()
	g.Horizontal.Color = nil
	p.Add(g, spans{t})
	labels := make([]string, len(t.Rows))
	for i, r := range t.Rows {
		labels[len(t.Rows)-1-i] = r
	}
	p.NominalY(labels...)
	if len(t.VLines) > 0 {
		rl := &refLines{v: t.VLines}
		p.Add(rl, &refLabels{r: rl})
	}
	for i, k := range t.Kinds {
		p.Legend.Add(k, swatch(seriesColor(i)))
	}
	// Headroom above the top row for the legend: it is about 14 points a
	// line, in a data area of about the figure's height less 1.2 inches.
	_, ht := size(t.Width, t.Height)
	area := float64(ht - 1.2*vg.Inch)
	need := float64(len(t.Kinds))*14 + 12
	if area > need {
		p.Y.Max += float64(len(t.Rows)) * need / (area - need)
	}
	drawWithLegend(dc, p, len(t.Kinds), t.Legend, func(da draw.Canvas) []vg.Point {
		trX, trY := p.Transforms(&da)
		var pts []vg.Point
		for _, sp := range t.Spans {
			y0, y1 := spans{t}.laneY(sp.Row, sp.Lane)
			pts = append(pts, vg.Point{X: trX(sp.Start), Y: trY((y0 + y1) / 2)}, vg.Point{X: trX(sp.End), Y: trY((y0 + y1) / 2)})
		}
		return pts
	})
	return nil
}
