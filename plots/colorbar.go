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
	marks    []Mark
	tickSty  text.Style
	markSty  text.Style
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

// setMarks adds reference levels within the bar's range; tick labels too
// close to a mark's label make way for it.
func (b *colorBar) setMarks(marks []Mark) {
	b.markSty = b.tickSty
	b.markSty.Color = color.Black
	for _, m := range marks {
		if finite(m.Value) && m.Value >= b.lo && m.Value <= b.hi {
			b.marks = append(b.marks, m)
		}
	}
}

// tickWidth is the width of the widest tick or mark label.
func (b *colorBar) tickWidth() vg.Length {
	var w vg.Length
	for _, t := range b.ticks {
		w = max(w, b.tickSty.Width(t.Label))
	}
	for _, m := range b.marks {
		w = max(w, b.markSty.Width("◄ "+m.Label))
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
	at := func(v float64) vg.Length { return y0 + vg.Length((v-b.lo)/(b.hi-b.lo))*(y1-y0) }
	near := func(y vg.Length) bool { // within a label's height of a mark
		for _, m := range b.marks {
			if d := y - at(m.Value); d < b.tickSty.Font.Size*1.1 && d > -b.tickSty.Font.Size*1.1 {
				return true
			}
		}
		return false
	}
	for _, t := range b.ticks {
		y := at(t.Value)
		if t.Label == "" || near(y) {
			dc.StrokeLine2(line, rect.Max.X, y, rect.Max.X+barTick/2, y)
			continue
		}
		dc.StrokeLine2(line, rect.Max.X, y, rect.Max.X+barTick, y)
		dc.FillText(b.tickSty, vg.Point{X: rect.Max.X + barTick + barPad, Y: y}, t.Label)
	}
	// Marks: a line across the bar (white under black, visible on any
	// colour) and the label, pointing at it.
	for _, m := range b.marks {
		y := at(m.Value)
		dc.StrokeLine2(draw.LineStyle{Color: color.White, Width: vg.Points(3)}, rect.Min.X, y, rect.Max.X, y)
		dc.StrokeLine2(draw.LineStyle{Color: color.Black, Width: vg.Points(1.2)}, rect.Min.X-barTick, y, rect.Max.X+barTick, y)
		dc.FillText(b.markSty, vg.Point{X: rect.Max.X + barTick + barPad, Y: y}, "◄ "+m.Label)
	}
	if b.label != "" {
		x := rect.Max.X + barTick + barPad + b.tickWidth() + vg.Points(6)
		dc.FillText(b.labelSty, vg.Point{X: x, Y: (y0 + y1) / 2}, b.label)
	}
}
