package plots

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Series is one line of a LineChart. Points with a NaN or infinite
// coordinate (or a non-positive one on a log axis) are left out, breaking
// the line there.
type Series struct {
	Name   string // legend entry; "" for none
	X, Y   []float64
	Dashed bool
}

// VLine marks an x value across the whole chart, e.g. a phase-change step.
type VLine struct {
	X     float64
	Label string
}

// HLine marks a y value across the whole chart, e.g. chance level.
type HLine struct {
	Y     float64
	Label string
}

// LineChart draws series against a shared x axis: training curves, metric
// trajectories, log–log scaling curves.
type LineChart struct {
	Title, XLabel, YLabel string
	Series                []Series
	LogX, LogY            bool // log10 axes with ticks at powers of ten
	VLines                []VLine
	HLines                []HLine

	Legend        LegendPos // legend corner; LegendBest by default
	Width, Height float64   // inches; 0 means DefaultWidth, DefaultHeight
}

// Save writes the chart to path atomically; the extension (.png, .svg, .pdf)
// picks the format.
func (c LineChart) Save(path string) error { return saveFigure(path, c.Render) }

// Render writes the chart to w in the given format: "png", "svg" or "pdf".
func (c LineChart) Render(w io.Writer, format string) error {
	p, segs, entries, err := c.plot()
	if err != nil {
		return err
	}
	obstacles := func(da draw.Canvas) []vg.Point {
		trX, trY := p.Transforms(&da)
		var pts []vg.Point
		for _, seg := range segs {
			for i, xy := range seg {
				a := vg.Point{X: trX(xy.X), Y: trY(xy.Y)}
				pts = append(pts, a)
				if i+1 < len(seg) { // sample along the segment too
					b := vg.Point{X: trX(seg[i+1].X), Y: trY(seg[i+1].Y)}
					for k := 1; k < 8; k++ {
						f := vg.Length(k) / 8
						pts = append(pts, vg.Point{X: a.X + f*(b.X-a.X), Y: a.Y + f*(b.Y-a.Y)})
					}
				}
			}
		}
		return pts
	}
	wd, ht := size(c.Width, c.Height)
	return writeFigure(w, format, wd, ht, func(dc draw.Canvas) error {
		drawWithLegend(dc, p, entries, c.Legend, obstacles)
		return nil
	})
}

// plot builds the gonum plot; it also returns the drawn segments and the
// number of legend entries.
func (c LineChart) plot() (p *plot.Plot, segs []plotter.XYs, entries int, err error) {
	if len(c.Series) == 0 {
		return nil, nil, 0, fmt.Errorf("plots: line chart %q has no series", c.Title)
	}
	p = newPlot(c.Title, c.XLabel, c.YLabel)
	p.X.Tick.Marker, p.Y.Tick.Marker = niceTicks{}, niceTicks{}
	p.Add(lightGrid())
	ok := func(x, y float64) bool {
		return finite(x) && finite(y) && (!c.LogX || x > 0) && (!c.LogY || y > 0)
	}
	refs := &refLines{}
	p.Add(refs)
	points := 0
	for i, s := range c.Series {
		if len(s.X) != len(s.Y) {
			return nil, nil, 0, fmt.Errorf("plots: line chart %q: series %q has %d x values and %d y values", c.Title, s.Name, len(s.X), len(s.Y))
		}
		sty := draw.LineStyle{Color: seriesColor(i), Width: vg.Points(1.75)}
		if s.Dashed {
			sty.Dashes = []vg.Length{vg.Points(6), vg.Points(3)}
		}
		var thumb plot.Thumbnailer
		var seg plotter.XYs
		flush := func() {
			switch len(seg) {
			case 0:
				return
			case 1:
				sc, _ := plotter.NewScatter(seg)
				sc.GlyphStyle = draw.GlyphStyle{Color: sty.Color, Radius: vg.Points(2.5), Shape: draw.CircleGlyph{}}
				p.Add(sc)
				if thumb == nil {
					thumb = sc
				}
			default:
				l, _ := plotter.NewLine(seg)
				l.LineStyle = sty
				p.Add(l)
				thumb = l // prefer a line over a dot in the legend
			}
			points += len(seg)
			segs = append(segs, seg)
			seg = nil
		}
		for j := range s.X {
			if ok(s.X[j], s.Y[j]) {
				seg = append(seg, plotter.XY{X: s.X[j], Y: s.Y[j]})
			} else {
				flush()
			}
		}
		flush()
		if s.Name != "" && thumb != nil {
			p.Legend.Add(s.Name, thumb)
			entries++
		}
	}
	if points == 0 {
		return nil, nil, 0, fmt.Errorf("plots: line chart %q has no finite points to draw", c.Title)
	}
	for _, v := range c.VLines {
		if finite(v.X) && (!c.LogX || v.X > 0) {
			refs.v = append(refs.v, v)
			p.X.Min, p.X.Max = min(p.X.Min, v.X), max(p.X.Max, v.X)
		}
	}
	for _, h := range c.HLines {
		if finite(h.Y) && (!c.LogY || h.Y > 0) {
			refs.h = append(refs.h, h)
			p.Y.Min, p.Y.Max = min(p.Y.Min, h.Y), max(p.Y.Max, h.Y)
		}
	}
	if c.LogX {
		logAxis(&p.X)
	}
	if c.LogY {
		logAxis(&p.Y)
	}
	return p, segs, entries, nil
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// lightGrid returns faint grid lines at the major ticks.
func lightGrid() *plotter.Grid {
	g := plotter.NewGrid()
	g.Vertical.Color = color.Gray{0xE4}
	g.Horizontal.Color = color.Gray{0xE4}
	g.Vertical.Width = vg.Points(0.6)
	g.Horizontal.Width = vg.Points(0.6)
	return g
}

// logAxis turns a on to a log10 scale with a non-degenerate range.
func logAxis(a *plot.Axis) {
	a.Scale = plot.LogScale{}
	a.Tick.Marker = logTicks{}
	if a.Min >= a.Max {
		a.Min, a.Max = a.Min/2, a.Max*2
	}
}

// logTicks labels powers of ten, and also 2× and 5× when the range holds
// fewer than two powers of ten; the other integer multiples get unlabelled
// minor ticks.
type logTicks struct{}

func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(lo > 0) || !(hi > lo) {
		return nil
	}
	e0, e1 := int(math.Floor(math.Log10(lo))), int(math.Ceil(math.Log10(hi)))
	in := func(v float64) bool { return v >= lo*(1-1e-9) && v <= hi*(1+1e-9) }
	powers := 0
	for e := e0; e <= e1; e++ {
		if in(math.Pow10(e)) {
			powers++
		}
	}
	var ticks []plot.Tick
	for e := e0; e <= e1; e++ {
		for m := 1; m <= 9; m++ {
			v := float64(m) * math.Pow10(e)
			if !in(v) {
				continue
			}
			t := plot.Tick{Value: v}
			if m == 1 || (powers < 2 && (m == 2 || m == 5)) {
				t.Label = logLabel(m, e)
			}
			ticks = append(ticks, t)
		}
	}
	return ticks
}

// logLabel formats m×10^e: plainly between 0.001 and 99999, else "2e6".
func logLabel(m, e int) string {
	if e >= -3 && e <= 4 {
		return strconv.FormatFloat(float64(m)*math.Pow10(e), 'f', max(-e, 0), 64)
	}
	return fmt.Sprintf("%de%d", m, e)
}

// refLines draws VLines and HLines as grey dashed lines under the data.
type refLines struct {
	v []VLine
	h []HLine
}

func (r *refLines) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	ls := draw.LineStyle{Color: color.Gray{0x66}, Width: vg.Points(1), Dashes: []vg.Length{vg.Points(4), vg.Points(3)}}
	sty := textStyle(tickSize)
	sty.Color = color.Gray{0x33}
	for _, v := range r.v {
		x := trX(v.X)
		c.StrokeLine2(ls, x, c.Min.Y, x, c.Max.Y)
		if v.Label != "" {
			sty.XAlign, sty.YAlign = draw.XLeft, draw.YTop
			c.FillText(sty, vg.Point{X: x + vg.Points(3), Y: c.Max.Y - vg.Points(3)}, v.Label)
		}
	}
	for _, h := range r.h {
		y := trY(h.Y)
		c.StrokeLine2(ls, c.Min.X, y, c.Max.X, y)
		if h.Label != "" {
			sty.XAlign, sty.YAlign = draw.XLeft, draw.YBottom
			c.FillText(sty, vg.Point{X: c.Min.X + vg.Points(3), Y: y + vg.Points(2)}, h.Label)
		}
	}
}
