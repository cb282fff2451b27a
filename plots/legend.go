package plots

import (
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// LegendPos places a chart's legend inside its data area.
type LegendPos int

const (
	LegendBest        LegendPos = iota // the corner covering the fewest data points
	LegendTopRight                     // top right corner
	LegendTopLeft                      // top left corner
	LegendBottomRight                  // bottom right corner
	LegendBottomLeft                   // bottom left corner
	LegendNone                         // no legend
	LegendRight                        // outside the data area, to its right: never covers data
)

// drawWithLegend draws p on dc with its legend (of n entries) on a white
// box at pos; LegendBest picks the corner whose box covers the fewest of
// the canvas points obstacles returns for the data canvas.
func drawWithLegend(dc draw.Canvas, p *plot.Plot, n int, pos LegendPos, obstacles func(da draw.Canvas) []vg.Point) {
	leg := p.Legend
	p.Legend = plot.NewLegend()
	if pos == LegendRight && n > 0 {
		// The legend beside the plot, its top level with the data's.
		w := legendWidth(leg)
		main := draw.Crop(dc, 0, -w-vg.Points(6), 0, 0)
		p.Draw(main)
		da := p.DataCanvas(main)
		side := draw.Crop(dc, dc.Max.X-dc.Min.X-w, 0, 0, 0)
		leg.Top, leg.Left = true, true
		leg.XOffs, leg.YOffs = 0, -(dc.Max.Y - da.Max.Y)
		leg.Draw(side)
		return
	}
	p.Draw(dc)
	if n == 0 || pos == LegendNone || pos == LegendRight {
		return
	}
	da := p.DataCanvas(dc)
	inset, pad := vg.Points(8), vg.Points(3)
	size := leg.Rectangle(da).Size()
	box := func(pos LegendPos) vg.Rectangle {
		var r vg.Rectangle
		switch pos {
		case LegendTopLeft, LegendBottomLeft:
			r.Min.X = da.Min.X + inset
			r.Max.X = r.Min.X + size.X
		default:
			r.Max.X = da.Max.X - inset
			r.Min.X = r.Max.X - size.X
		}
		switch pos {
		case LegendBottomLeft, LegendBottomRight:
			r.Min.Y = da.Min.Y + inset
			r.Max.Y = r.Min.Y + size.Y
		default:
			r.Max.Y = da.Max.Y - inset
			r.Min.Y = r.Max.Y - size.Y
		}
		r.Min.X, r.Min.Y = r.Min.X-pad, r.Min.Y-pad
		r.Max.X, r.Max.Y = r.Max.X+pad, r.Max.Y+pad
		return r
	}
	if pos == LegendBest {
		pts := obstacles(da)
		best := -1
		for _, cand := range []LegendPos{LegendTopRight, LegendTopLeft, LegendBottomRight, LegendBottomLeft} {
			r, hits := box(cand), 0
			for _, pt := range pts {
				if pt.X >= r.Min.X && pt.X <= r.Max.X && pt.Y >= r.Min.Y && pt.Y <= r.Max.Y {
					hits++
				}
			}
			if best < 0 || hits < best {
				best, pos = hits, cand
			}
		}
	}
	r := box(pos)
	da.FillPolygon(color.NRGBA{0xFF, 0xFF, 0xFF, 0xE0}, []vg.Point{r.Min, {X: r.Max.X, Y: r.Min.Y}, r.Max, {X: r.Min.X, Y: r.Max.Y}})
	da.StrokeLines(draw.LineStyle{Color: color.Gray{0xBB}, Width: vg.Points(0.5)},
		[]vg.Point{r.Min, {X: r.Max.X, Y: r.Min.Y}, r.Max, {X: r.Min.X, Y: r.Max.Y}, r.Min})
	leg.Left = pos == LegendTopLeft || pos == LegendBottomLeft
	leg.Top = pos == LegendTopLeft || pos == LegendTopRight
	leg.XOffs, leg.YOffs = -inset, -inset
	if leg.Left {
		leg.XOffs = inset
	}
	if !leg.Top {
		leg.YOffs = inset
	}
	leg.Draw(da)
}

// niceTicks labels 3–6 round values (steps of 1, 2, 2.5 or 5 × 10^k) with
// unlabelled minor ticks between them.
type niceTicks struct{}

func (niceTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) || math.IsInf(hi-lo, 0) {
		return []plot.Tick{{Value: lo, Label: strconv.FormatFloat(lo, 'g', 4, 64)}}
	}
	raw := (hi - lo) / 5
	mag := math.Pow10(int(math.Floor(math.Log10(raw))))
	step, minor, dec := 10*mag, 2*mag, 0
	for _, m := range []float64{1, 2, 2.5, 5} {
		if m*mag >= raw*(1-1e-9) {
			step = m * mag
			minor = map[float64]float64{1: 0.2, 2: 0.5, 2.5: 0.5, 5: 1}[m] * mag
			if m == 2.5 {
				dec = 1
			}
			break
		}
	}
	dec = max(0, dec-int(math.Floor(math.Log10(step)+1e-9)))
	label := func(v float64) string {
		if math.Abs(v) < step*1e-9 {
			return "0"
		}
		if step >= 1e5 || step < 1e-4 {
			return strconv.FormatFloat(v, 'g', 4, 64)
		}
		return strconv.FormatFloat(v, 'f', dec, 64)
	}
	var ticks []plot.Tick
	per := int(math.Round(step / minor))
	for i := int(math.Ceil(lo/minor - 1e-9)); float64(i)*minor <= hi+minor*1e-9; i++ {
		v := float64(i) * minor
		t := plot.Tick{Value: v}
		if i%per == 0 {
			t.Label = label(v)
		}
		ticks = append(ticks, t)
	}
	return ticks
}

// legendWidth is the width a legend takes.
func legendWidth(leg plot.Legend) vg.Length {
	r := leg.Rectangle(draw.Canvas{})
	return r.Max.X - r.Min.X + vg.Points(4)
}
