package plots

import (
	"image"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// colorBar is a vertical colour scale drawn to the right of a heatmap,
// spanning exactly the height of its data area.
type colorBar struct {
	lo, hi   float64
	label    string
	color    func(v float64) color.RGBA
	ticks    []plot.Tick
	tickSty  text.Style
	labelSty text.Style
}

// Colour-bar geometry.
var (
	barGap   = vg.Points(14) // heatmap to bar
	barWidth = vg.Points(14)
	barTick  = vg.Points(3)
	barPad   = vg.Points(3)
)

func newColorBar(lo, hi float64, label string, clr func(float64) color.RGBA) *colorBar {
	b := &colorBar{lo: lo, hi: hi, label: label, color: clr}
	b.tickSty = textStyle(tickSize)
	b.tickSty.XAlign = draw.XLeft
	b.labelSty = textStyle(labelSize)
	b.labelSty.Rotation = math.Pi / 2
	b.labelSty.YAlign = draw.YTop
	span := hi - lo
	for _, t := range (niceTicks{}).Ticks(lo, hi) {
		if t.Value >= lo-1e-9*span && t.Value <= hi+1e-9*span {
			b.ticks = append(b.ticks, t)
		}
	}
	return b
}

// tickWidth is the width of the widest tick label.
func (b *colorBar) tickWidth() vg.Length {
	var w vg.Length
	for _, t := range b.ticks {
		w = max(w, b.tickSty.Width(t.Label))
	}
	return w
}

// width is the horizontal space the bar needs, labels included.
func (b *colorBar) width() vg.Length {
	w := barGap + barWidth + barTick + barPad + b.tickWidth() + vg.Points(6)
	if b.label != "" {
		w += b.labelSty.Height(b.label) + vg.Points(4)
	}
	return w
}

// draw paints the bar at x0 (the right edge of the heatmap's area) from
// y0 to y1 (the heatmap's data area).
func (b *colorBar) draw(dc draw.Canvas, x0, y0, y1 vg.Length) {
	const steps = 256
	img := image.NewRGBA(image.Rect(0, 0, 4, steps))
	for i := range steps {
		v := b.lo + (b.hi-b.lo)*(float64(i)+0.5)/steps
		for x := range 4 {
			img.SetRGBA(x, steps-1-i, b.color(v))
		}
	}
	rect := vg.Rectangle{Min: vg.Point{X: x0 + barGap, Y: y0}, Max: vg.Point{X: x0 + barGap + barWidth, Y: y1}}
	dc.DrawImage(rect, img)
	line := draw.LineStyle{Color: color.Black, Width: vg.Points(0.5)}
	dc.StrokeLines(line, []vg.Point{rect.Min, {X: rect.Max.X, Y: rect.Min.Y}, rect.Max, {X: rect.Min.X, Y: rect.Max.Y}, rect.Min})
	for _, t := range b.ticks {
		y := y0 + vg.Length((t.Value-b.lo)/(b.hi-b.lo))*(y1-y0)
		if t.Label == "" {
			dc.StrokeLine2(line, rect.Max.X, y, rect.Max.X+barTick/2, y)
			continue
		}
		dc.StrokeLine2(line, rect.Max.X, y, rect.Max.X+barTick, y)
		dc.FillText(b.tickSty, vg.Point{X: rect.Max.X + barTick + barPad, Y: y}, t.Label)
	}
	if b.label != "" {
		x := rect.Max.X + barTick + barPad + b.tickWidth() + vg.Points(6)
		dc.FillText(b.labelSty, vg.Point{X: x, Y: (y0 + y1) / 2}, b.label)
	}
}
