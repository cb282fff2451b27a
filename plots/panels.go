package plots

import (
	"fmt"
	"io"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Panels draws line charts side by side (or stacked) in one figure: one
// panel per model size, say, or a loss and a score over the same steps.
// Each panel keeps its own title, axes and reference lines.
type Panels struct {
	Title  string
	Charts []LineChart
	Cols   int // panels per row; 0 means all in one row
	// SharedLegend draws one legend, of the first panel's series, to the
	// right of the panels, and none inside them: for panels whose series
	// are the same (the same colours, markers and names in each).
	SharedLegend bool

	Width, Height float64 // inches; 0 means DefaultWidth, DefaultHeight
}

// Save writes the figure to path atomically; the extension (.png, .svg,
// .pdf) picks the format.
func (f Panels) Save(path string) error { return saveFigure(path, f.Render) }

// Render writes the figure to w in the given format: "png", "svg" or "pdf".
func (f Panels) Render(w io.Writer, format string) error {
	if len(f.Charts) == 0 {
		return fmt.Errorf("plots: panel figure %q has no panels", f.Title)
	}
	for _, c := range f.Charts {
		if _, _, _, _, err := c.plot(); err != nil {
			return err
		}
	}
	wd, ht := size(f.Width, f.Height)
	return writeFigure(w, format, wd, ht, f.draw)
}

func (f Panels) draw(dc draw.Canvas) error {
	if f.Title != "" {
		sty := textStyle(titleSize)
		sty.YAlign = draw.YTop
		dc.FillText(sty, vg.Point{X: (dc.Min.X + dc.Max.X) / 2, Y: dc.Max.Y - vg.Points(4)}, f.Title)
		dc = draw.Crop(dc, 0, 0, 0, -(sty.Height(f.Title) + vg.Points(18)))
	}
	if f.SharedLegend {
		p, _, entries, _, err := f.Charts[0].plot()
		if err != nil {
			return err
		}
		if entries > 0 {
			leg := p.Legend
			w := legendWidth(leg)
			side := draw.Crop(dc, dc.Max.X-dc.Min.X-w, 0, 0, 0)
			leg.Top, leg.Left = true, true
			leg.YOffs = -vg.Points(28) // level with the panels' data areas
			leg.Draw(side)
			dc = draw.Crop(dc, 0, -w-vg.Points(8), 0, 0)
		}
	}
	cols := f.Cols
	if cols <= 0 || cols > len(f.Charts) {
		cols = len(f.Charts)
	}
	rows := (len(f.Charts) + cols - 1) / cols
	tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Points(10), PadY: vg.Points(10)}
	for i, c := range f.Charts {
		if f.SharedLegend {
			c.Legend = LegendNone
		}
		if err := c.drawOn(tiles.At(dc, i%cols, i/cols)); err != nil {
			return err
		}
	}
	return nil
}

// HeatmapPanels draws heatmaps side by side in one figure, each with its
// own title and colour bar: a map, a second map of the same shape, and
// their difference, say.
type HeatmapPanels struct {
	Title    string
	Heatmaps []Heatmap

	Width, Height float64 // inches; 0 means DefaultWidth, DefaultHeight
}

// Save writes the figure to path atomically; the extension picks the format.
func (f HeatmapPanels) Save(path string) error { return saveFigure(path, f.Render) }

// Render writes the figure to w in the given format: "png", "svg" or "pdf".
func (f HeatmapPanels) Render(w io.Writer, format string) error {
	if len(f.Heatmaps) == 0 {
		return fmt.Errorf("plots: heatmap panels %q have no panels", f.Title)
	}
	for _, h := range f.Heatmaps {
		if err := h.validate(); err != nil {
			return err
		}
	}
	wd, ht := size(f.Width, f.Height)
	return writeFigure(w, format, wd, ht, func(dc draw.Canvas) error {
		if f.Title != "" {
			sty := textStyle(titleSize)
			sty.YAlign = draw.YTop
			dc.FillText(sty, vg.Point{X: (dc.Min.X + dc.Max.X) / 2, Y: dc.Max.Y - vg.Points(4)}, f.Title)
			dc = draw.Crop(dc, 0, 0, 0, -(sty.Height(f.Title) + vg.Points(14)))
		}
		tiles := draw.Tiles{Rows: 1, Cols: len(f.Heatmaps), PadX: vg.Points(14)}
		for i, h := range f.Heatmaps {
			if err := h.draw(tiles.At(dc, i, 0)); err != nil {
				return err
			}
		}
		return nil
	})
}
