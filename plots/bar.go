package plots

import (
	"fmt"
	"image/color"
	"io"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// BarGroup is one set of bars, one value per category, drawn in one colour.
type BarGroup struct {
	Name   string // legend entry; "" for none
	Values []float64
}

// BarChart draws one bar per category and group, the groups side by side
// within each category. Bars grow from zero, so negative values hang below
// a zero line.
type BarChart struct {
	Title, XLabel, YLabel string
	Labels                []string // category names along x
	Groups                []BarGroup

	Legend        LegendPos // legend corner; LegendBest by default
	Width, Height float64   // inches; 0 means DefaultWidth, DefaultHeight
}

// Save writes the chart to path atomically; the extension (.png, .svg, .pdf)
// picks the format.
func (b BarChart) Save(path string) error { return saveFigure(path, b.Render) }

// Render writes the chart to w in the given format: "png", "svg" or "pdf".
func (b BarChart) Render(w io.Writer, format string) error {
	if err := b.validate(); err != nil {
		return err
	}
	wd, ht := size(b.Width, b.Height)
	return writeFigure(w, format, wd, ht, b.draw)
}

func (b BarChart) validate() error {
	if len(b.Labels) == 0 || len(b.Groups) == 0 {
		return fmt.Errorf("plots: bar chart %q needs at least one label and one group", b.Title)
	}
	for _, g := range b.Groups {
		if len(g.Values) != len(b.Labels) {
			return fmt.Errorf("plots: bar chart %q: group %q has %d values for %d labels", b.Title, g.Name, len(g.Values), len(b.Labels))
		}
	}
	return nil
}

func (b BarChart) draw(dc draw.Canvas) error {
	p := newPlot(b.Title, b.XLabel, b.YLabel)
	p.Y.Tick.Marker = niceTicks{}
	g := lightGrid()
	g.Vertical.Color = nil
	p.Add(g)

	// Bars are sized in canvas units: the categories share the width left
	// after the y axis, 80% of each slot filled.
	n, k := len(b.Labels), len(b.Groups)
	slot := (dc.Max.X - dc.Min.X - vg.Inch) / vg.Length(n)
	barW := slot * 0.8 / vg.Length(k)
	negative, entries := false, 0
	for j, grp := range b.Groups {
		vals := make(plotter.Values, n)
		for i, v := range grp.Values {
			if !finite(v) {
				v = 0 // a missing bar; CSV keeps the NaN
			}
			vals[i] = v
			negative = negative || v < 0
		}
		bars, err := plotter.NewBarChart(vals, barW)
		if err != nil {
			return fmt.Errorf("plots: bar chart %q: %w", b.Title, err)
		}
		bars.Color = seriesColor(j)
		bars.LineStyle.Width = 0
		bars.Offset = (vg.Length(j) - vg.Length(k-1)/2) * barW
		p.Add(bars)
		if grp.Name != "" {
			p.Legend.Add(grp.Name, bars)
			entries++
		}
	}
	p.NominalX(b.Labels...)
	p.X.Min, p.X.Max = -0.5, float64(n)-0.5
	p.Y.Min, p.Y.Max = min(p.Y.Min, 0), max(p.Y.Max, 0)
	// Headroom beyond the longest bars for the legend.
	if span := p.Y.Max - p.Y.Min; span > 0 && entries > 0 && b.Legend != LegendNone {
		switch {
		case b.Legend == LegendBottomLeft || b.Legend == LegendBottomRight || p.Y.Max <= 0:
			p.Y.Min -= 0.08 * span * float64(entries)
		default:
			p.Y.Max += 0.08 * span * float64(entries)
		}
	}
	if negative {
		p.Add(zeroLine{})
	}
	var need vg.Length
	for _, l := range b.Labels {
		need += p.X.Tick.Label.Width(l) + vg.Points(8)
	}
	if need > dc.Max.X-dc.Min.X-vg.Inch {
		p.X.Tick.Label.Rotation = math.Pi / 6
		p.X.Tick.Label.XAlign = draw.XRight
		p.X.Tick.Label.YAlign = draw.YCenter
	}
	obstacles := func(da draw.Canvas) []vg.Point {
		trX, trY := p.Transforms(&da)
		var pts []vg.Point
		for j, grp := range b.Groups {
			off := (vg.Length(j) - vg.Length(k-1)/2) * barW
			for i, v := range grp.Values {
				if !finite(v) {
					continue
				}
				x := trX(float64(i)) + off
				for s := 0; s <= 10; s++ {
					y := trY(v * float64(s) / 10)
					pts = append(pts, vg.Point{X: x - barW/2, Y: y}, vg.Point{X: x, Y: y}, vg.Point{X: x + barW/2, Y: y})
				}
			}
		}
		return pts
	}
	drawWithLegend(dc, p, entries, b.Legend, obstacles)
	return nil
}

// zeroLine draws y = 0 across the chart.
type zeroLine struct{}

func (zeroLine) Plot(c draw.Canvas, p *plot.Plot) {
	_, trY := p.Transforms(&c)
	y := trY(0)
	c.StrokeLine2(draw.LineStyle{Color: color.Black, Width: vg.Points(0.75)}, c.Min.X, y, c.Max.X, y)
}
