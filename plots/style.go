package plots

import (
	"fmt"
	"image/color"
	"io"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgpdf"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/attnlab/attnlab/report"
)

// Figure size and resolution defaults.
const (
	DefaultWidth  = 6.5 // inches
	DefaultHeight = 4.5 // inches
	DPI           = 150 // PNG resolution
)

// Font sizes, in points.
const (
	titleSize = 12
	labelSize = 11
	tickSize  = 9.5
	cellSize  = 9
)

var sans = font.Font{Typeface: "Liberation", Variant: "Sans"}

// OkabeIto is the Okabe–Ito colour-blind-safe palette in the order lines
// and bar groups use it (blue, vermillion, bluish green, reddish purple,
// orange, sky blue, black, yellow).
var OkabeIto = []color.RGBA{
	{0x00, 0x72, 0xB2, 0xFF},
	{0xD5, 0x5E, 0x00, 0xFF},
	{0x00, 0x9E, 0x73, 0xFF},
	{0xCC, 0x79, 0xA7, 0xFF},
	{0xE6, 0x9F, 0x00, 0xFF},
	{0x56, 0xB4, 0xE9, 0xFF},
	{0x00, 0x00, 0x00, 0xFF},
	{0xF0, 0xE4, 0x42, 0xFF},
}

// seriesColor returns the i-th palette colour, cycling.
func seriesColor(i int) color.RGBA { return OkabeIto[i%len(OkabeIto)] }

// textStyle returns a sans text style of the given size.
func textStyle(size vg.Length) text.Style {
	return text.Style{
		Color:   color.Black,
		Font:    font.From(sans, size),
		XAlign:  draw.XCenter,
		YAlign:  draw.YCenter,
		Handler: plot.DefaultTextHandler,
	}
}

// newPlot returns a plot in the house style.
func newPlot(title, xlabel, ylabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font = font.From(sans, titleSize)
	// No bold: gonum/plot v0.17's PDF canvas registers embedded fonts
	// without their style and then fails to find "LiberationSans-Bold B".
	p.Title.Padding = vg.Points(8)
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = font.From(sans, labelSize)
		a.Tick.Label.Font = font.From(sans, tickSize)
		a.Tick.Length = vg.Points(4)
		a.Label.Padding = vg.Points(4)
	}
	p.X.Label.Text = xlabel
	p.Y.Label.Text = ylabel
	p.Legend.TextStyle.Font = font.From(sans, tickSize)
	p.Legend.ThumbnailWidth = vg.Points(22)
	p.Legend.Padding = vg.Points(2)
	return p
}

// size returns the figure size, defaulting each zero dimension.
func size(w, h float64) (vg.Length, vg.Length) {
	if w <= 0 {
		w = DefaultWidth
	}
	if h <= 0 {
		h = DefaultHeight
	}
	return vg.Length(w) * vg.Inch, vg.Length(h) * vg.Inch
}

// writeFigure draws a figure of size w×h on a canvas of the given format
// ("png", "svg" or "pdf") and writes it to out.
func writeFigure(out io.Writer, format string, w, h vg.Length, drawFn func(draw.Canvas) error) error {
	var c vg.CanvasWriterTo
	format = strings.ToLower(strings.TrimPrefix(format, "."))
	switch format {
	case "png", "":
		c = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(DPI))}
	case "svg":
		c = vgsvg.New(w, h)
	case "pdf":
		c = vgpdf.New(w, h)
	default:
		return fmt.Errorf("plots: unknown figure format %q, want png, svg or pdf", format)
	}
	dc := draw.New(c)
	if format == "svg" || format == "pdf" {
		// Vector canvases start transparent; give them the white ground
		// the PNGs have.
		dc.SetColor(color.White)
		dc.Fill(dc.Rectangle.Path())
	}
	if err := drawFn(dc); err != nil {
		return err
	}
	if _, err := c.WriteTo(out); err != nil {
		return fmt.Errorf("plots: writing %s: %w", format, err)
	}
	return nil
}

// saveFigure writes a figure atomically to path, in the format its
// extension names (.png, .svg, .pdf).
func saveFigure(path string, write func(io.Writer, string) error) error {
	format := strings.TrimPrefix(strings.ToLower(filepath.Ext(path)), ".")
	switch format {
	case "png", "svg", "pdf":
	default:
		return fmt.Errorf("plots: cannot save %s: unknown extension %q, want .png, .svg or .pdf", path, filepath.Ext(path))
	}
	return report.WriteFileAtomic(path, func(w io.Writer) error { return write(w, format) })
}

// Figure is any figure of this package: Heatmap, LineChart, BarChart.
type Figure interface {
	Save(path string) error
	Render(w io.Writer, format string) error
}
