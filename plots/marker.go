package plots

import (
	"image/color"
	"math"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// marker is a line chart's point marker: an outlined shape filled white,
// so that a marker stays visible on a line and markers of series that
// coincide nest (each series' markers are a little smaller than the
// previous series').
type marker struct {
	shape int // index into markerShapes
}

// markerShapes are the outlines markers cycle through, in series order.
var markerShapes = []func(r vg.Length) []vg.Point{
	func(r vg.Length) []vg.Point { return regular(r, 20, 0) },              // circle
	func(r vg.Length) []vg.Point { return regular(r*1.15, 4, math.Pi/4) },  // square
	func(r vg.Length) []vg.Point { return regular(r*1.25, 3, math.Pi/2) },  // triangle up
	func(r vg.Length) []vg.Point { return regular(r*1.2, 4, 0) },           // diamond
	func(r vg.Length) []vg.Point { return regular(r*1.25, 3, -math.Pi/2) }, // triangle down
	func(r vg.Length) []vg.Point { return regular(r*1.1, 6, 0) },           // hexagon
	func(r vg.Length) []vg.Point { return regular(r*1.2, 5, math.Pi/2) },   // pentagon
	func(r vg.Length) []vg.Point { return star(r * 1.3) },                  // star
}

// regular is a regular n-gon of circumradius r, first vertex at angle a.
func regular(r vg.Length, n int, a float64) []vg.Point {
	pts := make([]vg.Point, n)
	for i := range pts {
		t := a + 2*math.Pi*float64(i)/float64(n)
		pts[i] = vg.Point{X: r * vg.Length(math.Cos(t)), Y: r * vg.Length(math.Sin(t))}
	}
	return pts
}

// star is a five-pointed star of outer radius r.
func star(r vg.Length) []vg.Point {
	pts := make([]vg.Point, 10)
	for i := range pts {
		rr := r
		if i%2 == 1 {
			rr = r * 0.45
		}
		t := math.Pi/2 + math.Pi*float64(i)/5
		pts[i] = vg.Point{X: rr * vg.Length(math.Cos(t)), Y: rr * vg.Length(math.Sin(t))}
	}
	return pts
}

// markerRadius is the size of series i's markers: nested, never tiny.
func markerRadius(i int) vg.Length { return vg.Points(max(4.6-0.45*float64(i), 2.2)) }

// DrawGlyph implements draw.GlyphDrawer.
func (m marker) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	shape := markerShapes[m.shape%len(markerShapes)](sty.Radius)
	var p vg.Path
	for i, q := range shape {
		q = vg.Point{X: pt.X + q.X, Y: pt.Y + q.Y}
		if i == 0 {
			p.Move(q)
		} else {
			p.Line(q)
		}
	}
	p.Close()
	c.SetColor(color.White)
	c.Fill(p)
	c.SetLineStyle(draw.LineStyle{Color: sty.Color, Width: vg.Points(1.3)})
	c.Stroke(p)
}
