package plots

import (
	"image/color"
	"math"
)

// viridisStops are matplotlib's viridis at 11 evenly spaced points
// (R viridisLite::viridis(11)).
var viridisStops = []color.RGBA{
	{0x44, 0x01, 0x54, 0xFF},
	{0x48, 0x25, 0x76, 0xFF},
	{0x41, 0x44, 0x87, 0xFF},
	{0x35, 0x60, 0x8D, 0xFF},
	{0x2A, 0x78, 0x8E, 0xFF},
	{0x21, 0x90, 0x8C, 0xFF},
	{0x22, 0xA8, 0x84, 0xFF},
	{0x43, 0xBF, 0x71, 0xFF},
	{0x7A, 0xD1, 0x51, 0xFF},
	{0xBB, 0xDF, 0x27, 0xFF},
	{0xFD, 0xE7, 0x25, 0xFF},
}

// rdBuStops is ColorBrewer's 11-class RdBu, reversed so that negative is
// blue and positive is red; the middle is near white (#F7F7F7).
var rdBuStops = []color.RGBA{
	{0x05, 0x30, 0x61, 0xFF},
	{0x21, 0x66, 0xAC, 0xFF},
	{0x43, 0x93, 0xC3, 0xFF},
	{0x92, 0xC5, 0xDE, 0xFF},
	{0xD1, 0xE5, 0xF0, 0xFF},
	{0xF7, 0xF7, 0xF7, 0xFF},
	{0xFD, 0xDB, 0xC7, 0xFF},
	{0xF4, 0xA5, 0x82, 0xFF},
	{0xD6, 0x60, 0x4D, 0xFF},
	{0xB2, 0x18, 0x2B, 0xFF},
	{0x67, 0x00, 0x1F, 0xFF},
}

// missingColor fills heatmap cells whose value is NaN.
var missingColor = color.RGBA{0xC8, 0xC8, 0xC8, 0xFF}

// Viridis maps t in [0, 1] (clamped; NaN as 0) to matplotlib's viridis,
// dark purple (#440154) at 0 to yellow (#FDE725) at 1, interpolating
// linearly between 11 control points.
func Viridis(t float64) color.RGBA {
	return interpolate(viridisStops, t)
}

// Diverging maps t in [-1, 1] (clamped; NaN as 0) to a blue–white–red map
// (ColorBrewer RdBu, colour-blind safe): dark blue at -1, near white at 0,
// dark red at +1.
func Diverging(t float64) color.RGBA {
	if math.IsNaN(t) {
		t = 0
	}
	return interpolate(rdBuStops, (t+1)/2)
}

// interpolate maps t in [0, 1] onto evenly spaced colour stops.
func interpolate(stops []color.RGBA, t float64) color.RGBA {
	if math.IsNaN(t) {
		t = 0
	}
	t = min(max(t, 0), 1)
	x := t * float64(len(stops)-1)
	i := min(int(x), len(stops)-2)
	f := x - float64(i)
	a, b := stops[i], stops[i+1]
	mix := func(p, q uint8) uint8 { return uint8(math.Round(float64(p) + f*(float64(q)-float64(p)))) }
	return color.RGBA{mix(a.R, b.R), mix(a.G, b.G), mix(a.B, b.B), 0xFF}
}

// luminance returns the relative luminance of c (WCAG 2), in [0, 1].
func luminance(c color.RGBA) float64 {
	lin := func(v uint8) float64 {
		s := float64(v) / 255
		if s <= 0.04045 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(c.R) + 0.7152*lin(c.G) + 0.0722*lin(c.B)
}

// textColorOn returns black or white, whichever has the higher WCAG
// contrast ratio against bg (they tie at luminance 0.179).
func textColorOn(bg color.RGBA) color.Color {
	if luminance(bg) > 0.179 {
		return color.Black
	}
	return color.White
}
