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
	// Lo and Hi, when set (one per X), draw a translucent band of the
	// series' colour between them: a spread over seeds or sequences.
	Lo, Hi []float64
	// Reference draws a reference curve (chance level, a bound) rather
	// than data: thin, grey, dashed, without markers.
	Reference bool
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

	// Markers draws every point with a marker whose shape (and, slightly,
	// size) differs between series, so that lines that coincide stay
	// distinguishable.
	Markers bool
	// XTicks, when set, are the labelled x ticks, e.g. the measured values
	// of a sweep (on a log axis too).
	XTicks []float64
	// YMin and YMax, when set, fix the y range (e.g. 0 and 1 for an
	// accuracy, or one range shared by panels).
	YMin, YMax *float64

	Legend        LegendPos // legend place; LegendBest by default
	Width, Height float64   // inches; 0 means DefaultWidth, DefaultHeight
}

// Save writes the chart to path atomically; the extension (.png, .svg, .pdf)
// picks the format.
func (c LineChart) Save(path string) error { return saveFigure(path, c.Render) }

// Render writes the chart to w in the given format: "png", "svg" or "pdf".
func (c LineChart) Render(w io.Writer, format string) error {
	if _, _, _, _, err := c.plot(); err != nil {
		return err
	}
	wd, ht := size(c.Width, c.Height)
	return writeFigure(w, format, wd, ht, c.drawOn)
}

// drawOn draws the chart, legend included, on dc.
func (c LineChart) drawOn(dc draw.Canvas) error {
	p, segs, entries, refs, err := c.plot()
	if err != nil {
		return err
	}
	obstacles := func(da draw.Canvas) []vg.Point {
		var pts []vg.Point
		for _, b := range refs.boxes { // reference-line labels, drawn by now
			for i := 0; i <= 10; i++ {
				for j := 0; j <= 4; j++ {
					pts = append(pts, vg.Point{X: b.Min.X + (b.Max.X-b.Min.X)*vg.Length(i)/10, Y: b.Min.Y + (b.Max.Y-b.Min.Y)*vg.Length(j)/4})
				}
			}
		}
		trX, trY := p.Transforms(&da)
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
	if c.LogY && p.Y.Label.Text != "" {
		drawLogYLabel(dc, p, func(dc draw.Canvas) { drawWithLegend(dc, p, entries, c.Legend, obstacles) })
		return nil
	}
	drawWithLegend(dc, p, entries, c.Legend, obstacles)
	return nil
}

// drawLogYLabel draws p with draw on dc, less a strip on the left where it
// writes p's y label itself, centred on the data. gonum/plot (v0.17)
// reserves room for the y label as if it were centred on the linear
// midpoint of the y range, which on a log axis lies near the top: a long
// label then pushes the whole plot down, leaving the top of the figure
// blank.
func drawLogYLabel(dc draw.Canvas, p *plot.Plot, drawPlot func(draw.Canvas)) {
	lab := p.Y.Label
	p.Y.Label.Text = ""
	h := lab.TextStyle.Height(lab.Text)
	inner := draw.Crop(dc, h+lab.Padding, 0, 0, 0)
	drawPlot(inner)
	sty := lab.TextStyle
	sty.Rotation += math.Pi / 2
	descent := lab.TextStyle.FontExtents().Descent
	da := p.DataCanvas(inner)
	dc.FillText(sty, vg.Point{X: dc.Min.X + h - descent, Y: (da.Min.Y + da.Max.Y) / 2}, lab.Text)
}

// plot builds the gonum plot; it also returns the drawn segments and the
// number of legend entries.
func (c LineChart) plot() (p *plot.Plot, segs []plotter.XYs, entries int, refs *refLines, err error) {
	if len(c.Series) == 0 {
		return nil, nil, 0, nil, fmt.Errorf("plots: line chart %q has no series", c.Title)
	}
	p = newPlot(c.Title, c.XLabel, c.YLabel)
	p.X.Tick.Marker, p.Y.Tick.Marker = niceTicks{}, niceTicks{}
	var overlay []plot.Plotter // markers, drawn over every line
	p.Add(lightGrid())
	ok := func(x, y float64) bool {
		return finite(x) && finite(y) && (!c.LogX || x > 0) && (!c.LogY || y > 0)
	}
	refs = &refLines{}
	p.Add(refs)
	// Bands first, under every line.
	for i, s := range c.Series {
		if s.Lo == nil && s.Hi == nil {
			continue
		}
		if len(s.Lo) != len(s.X) || len(s.Hi) != len(s.X) {
			return nil, nil, 0, nil, fmt.Errorf("plots: line chart %q: series %q has %d x values and %d/%d band values", c.Title, s.Name, len(s.X), len(s.Lo), len(s.Hi))
		}
		var lo, hi plotter.XYs
		flush := func() {
			if len(lo) > 1 {
				ring := append(append(plotter.XYs{}, lo...), reverse(hi)...)
				poly, _ := plotter.NewPolygon(ring)
				clr := seriesColor(i)
				poly.Color = color.NRGBA{clr.R, clr.G, clr.B, 0x38}
				poly.LineStyle.Width = 0
				p.Add(poly)
			}
			lo, hi = nil, nil
		}
		for j := range s.X {
			if ok(s.X[j], s.Lo[j]) && ok(s.X[j], s.Hi[j]) {
				lo, hi = append(lo, plotter.XY{X: s.X[j], Y: s.Lo[j]}), append(hi, plotter.XY{X: s.X[j], Y: s.Hi[j]})
			} else {
				flush()
			}
		}
		flush()
	}
	points := 0
	for i, s := range c.Series {
		if len(s.X) != len(s.Y) {
			return nil, nil, 0, nil, fmt.Errorf("plots: line chart %q: series %q has %d x values and %d y values", c.Title, s.Name, len(s.X), len(s.Y))
		}
		sty := draw.LineStyle{Color: seriesColor(i), Width: vg.Points(1.75)}
		if s.Dashed {
			sty.Dashes = []vg.Length{vg.Points(6), vg.Points(3)}
		}
		if s.Reference {
			sty = draw.LineStyle{Color: color.Gray{0x55}, Width: vg.Points(1.2), Dashes: []vg.Length{vg.Points(2), vg.Points(2.5)}}
		}
		glyph := draw.GlyphStyle{Color: sty.Color, Radius: vg.Points(2.5), Shape: draw.CircleGlyph{}}
		markers := c.Markers && !s.Reference
		if markers {
			glyph = draw.GlyphStyle{Color: sty.Color, Radius: markerRadius(i), Shape: marker{shape: i}}
		}
		var thumbs []plot.Thumbnailer
		var seg plotter.XYs
		var all plotter.XYs
		flush := func() {
			switch len(seg) {
			case 0:
				return
			case 1:
				if !markers { // markers draw every point anyway
					sc, _ := plotter.NewScatter(seg)
					sc.GlyphStyle = glyph
					p.Add(sc)
					if thumbs == nil {
						thumbs = []plot.Thumbnailer{sc}
					}
				}
			default:
				l, _ := plotter.NewLine(seg)
				l.LineStyle = sty
				p.Add(l)
				thumbs = []plot.Thumbnailer{l} // prefer a line over a dot in the legend
			}
			points += len(seg)
			segs = append(segs, seg)
			all = append(all, seg...)
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
		if markers && len(all) > 0 {
			sc, _ := plotter.NewScatter(all)
			sc.GlyphStyle = glyph
			overlay = append(overlay, sc) // drawn over every line
			thumbs = append(thumbs, sc)
		}
		if s.Name != "" && thumbs != nil {
			p.Legend.Add(s.Name, thumbs...)
			entries++
		}
	}
	for _, m := range overlay {
		p.Add(m)
	}
	if points == 0 {
		return nil, nil, 0, nil, fmt.Errorf("plots: line chart %q has no finite points to draw", c.Title)
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
	refs.data = segs
	p.Add(&refLabels{refs}) // over the data, on white
	if c.YMin != nil {
		p.Y.Min = *c.YMin
	}
	if c.YMax != nil {
		p.Y.Max = *c.YMax
	}
	if c.LogX {
		logAxis(&p.X)
	}
	if c.LogY {
		logAxis(&p.Y)
	}
	if len(c.XTicks) > 0 {
		var ticks plot.ConstantTicks
		for _, v := range c.XTicks {
			if finite(v) && (!c.LogX || v > 0) {
				label := strconv.FormatFloat(v, 'g', 4, 64)
				if v == math.Trunc(v) && math.Abs(v) < 1e9 {
					label = strconv.FormatFloat(v, 'f', 0, 64) // 16384, not 1.638e+04
				}
				ticks = append(ticks, plot.Tick{Value: v, Label: label})
				p.X.Min, p.X.Max = min(p.X.Min, v), max(p.X.Max, v)
			}
		}
		p.X.Tick.Marker = ticks
	}
	return p, segs, entries, refs, nil
}

func reverse(xy plotter.XYs) plotter.XYs {
	out := make(plotter.XYs, len(xy))
	for i, v := range xy {
		out[len(xy)-1-i] = v
	}
	return out
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

// refLines draws VLines and HLines as grey dashed lines under the data;
// refLabels draws their labels over it.
type refLines struct {
	v     []VLine
	h     []HLine
	data  []plotter.XYs  // the lines drawn, which labels should not cover
	boxes []vg.Rectangle // where the labels went (filled when drawn), which the legend should not cover
}

var refLineStyle = draw.LineStyle{Color: color.Gray{0x66}, Width: vg.Points(1), Dashes: []vg.Length{vg.Points(4), vg.Points(3)}}

func (r *refLines) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	for _, v := range r.v {
		x := trX(v.X)
		c.StrokeLine2(refLineStyle, x, c.Min.Y, x, c.Max.Y)
	}
	for _, h := range r.h {
		y := trY(h.Y)
		c.StrokeLine2(refLineStyle, c.Min.X, y, c.Max.X, y)
	}
}

// refLabels writes each reference line's label beside it on a white box,
// so no line strikes it through: a vertical line's label at the top, to
// its right (or left, near the right edge); a horizontal line's label
// above it at the right end (below it near the top), clear of the
// vertical lines' labels.
type refLabels struct{ r *refLines }

func (l *refLabels) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	l.r.boxes = nil
	sty := textStyle(tickSize)
	sty.Color = color.Gray{0x22}
	pad := vg.Points(2)
	var boxes []vg.Rectangle
	put := func(pt vg.Point, xa draw.XAlignment, ya draw.YAlignment, label string) {
		sty.XAlign, sty.YAlign = xa, ya
		r := sty.Rectangle(label)
		r.Min, r.Max = r.Min.Add(pt), r.Max.Add(pt)
		r.Min, r.Max = vg.Point{X: r.Min.X - pad, Y: r.Min.Y - pad}, vg.Point{X: r.Max.X + pad, Y: r.Max.Y + pad}
		c.FillPolygon(color.NRGBA{0xFF, 0xFF, 0xFF, 0xE8}, []vg.Point{r.Min, {X: r.Max.X, Y: r.Min.Y}, r.Max, {X: r.Min.X, Y: r.Max.Y}})
		c.FillText(sty, pt, label)
		boxes = append(boxes, r)
		l.r.boxes = append(l.r.boxes, r)
	}
	// Points along the data lines, on the canvas.
	var pts []vg.Point
	for _, seg := range l.r.data {
		for i, xy := range seg {
			a := vg.Point{X: trX(xy.X), Y: trY(xy.Y)}
			pts = append(pts, a)
			if i+1 < len(seg) {
				b := vg.Point{X: trX(seg[i+1].X), Y: trY(seg[i+1].Y)}
				for k := 1; k < 12; k++ {
					f := vg.Length(k) / 12
					pts = append(pts, vg.Point{X: a.X + f*(b.X-a.X), Y: a.Y + f*(b.Y-a.Y)})
				}
			}
		}
	}
	// The reference lines themselves, as points.
	for _, v := range l.r.v {
		x := trX(v.X)
		for k := 0; k <= 60; k++ {
			pts = append(pts, vg.Point{X: x, Y: c.Min.Y + (c.Max.Y-c.Min.Y)*vg.Length(k)/60})
		}
	}
	for _, h := range l.r.h {
		y := trY(h.Y)
		for k := 0; k <= 60; k++ {
			pts = append(pts, vg.Point{X: c.Min.X + (c.Max.X-c.Min.X)*vg.Length(k)/60, Y: y})
		}
	}
	// cost of a label box: points of lines it covers, and much more for
	// another label.
	cost := func(r vg.Rectangle) int {
		n := 0
		for _, b := range boxes {
			if r.Min.X < b.Max.X && b.Min.X < r.Max.X && r.Min.Y < b.Max.Y && b.Min.Y < r.Max.Y {
				n += 1000
			}
		}
		for _, q := range pts {
			if q.X >= r.Min.X && q.X <= r.Max.X && q.Y >= r.Min.Y && q.Y <= r.Max.Y {
				n++
			}
		}
		return n
	}
	grow := func(r vg.Rectangle) vg.Rectangle {
		return vg.Rectangle{Min: vg.Point{X: r.Min.X - pad, Y: r.Min.Y - pad}, Max: vg.Point{X: r.Max.X + pad, Y: r.Max.Y + pad}}
	}
	// best places a w×h label at the candidate lower-left corner that
	// covers the least.
	best := func(w, h vg.Length, corners []vg.Point, label string) {
		var pick vg.Point
		bestCost := -1
		for _, q := range corners {
			r := vg.Rectangle{Min: q, Max: vg.Point{X: q.X + w, Y: q.Y + h}}
			if r.Min.X < c.Min.X || r.Max.X > c.Max.X || r.Min.Y < c.Min.Y || r.Max.Y > c.Max.Y {
				continue
			}
			if n := cost(grow(r)); bestCost < 0 || n < bestCost {
				pick, bestCost = q, n
			}
		}
		if bestCost >= 0 {
			put(pick, draw.XLeft, draw.YBottom, label)
		}
	}
	gap := vg.Points(4)
	for _, v := range l.r.v {
		if v.Label == "" {
			continue
		}
		x := trX(v.X)
		w, h := sty.Width(v.Label), sty.Height(v.Label)
		var corners []vg.Point
		for _, y := range []vg.Length{c.Max.Y - gap - h, c.Min.Y + gap, (c.Min.Y+c.Max.Y)/2 - h/2} {
			corners = append(corners, vg.Point{X: x + gap, Y: y}, vg.Point{X: x - gap - w, Y: y})
		}
		best(w, h, corners, v.Label)
	}
	for _, hl := range l.r.h {
		if hl.Label == "" {
			continue
		}
		y := trY(hl.Y)
		w, h := sty.Width(hl.Label), sty.Height(hl.Label)
		var corners []vg.Point
		for _, yy := range []vg.Length{y + gap, y - gap - h} {
			for _, x := range []vg.Length{c.Max.X - gap - w, c.Min.X + gap, (c.Min.X+c.Max.X)/2 - w/2} {
				corners = append(corners, vg.Point{X: x, Y: yy})
			}
		}
		best(w, h, corners, hl.Label)
	}
}
