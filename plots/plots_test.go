package plots

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// near reports whether two colours differ by at most tol in every channel.
func near(a, b color.RGBA, tol int) bool {
	d := func(x, y uint8) bool { return math.Abs(float64(x)-float64(y)) <= float64(tol) }
	return d(a.R, b.R) && d(a.G, b.G) && d(a.B, b.B)
}

func TestViridis(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		t    float64
		want color.RGBA
	}{
		{0, color.RGBA{0x44, 0x01, 0x54, 0xFF}},
		{1, color.RGBA{0xFD, 0xE7, 0x25, 0xFF}},
		{-3, color.RGBA{0x44, 0x01, 0x54, 0xFF}}, // clamped
		{7, color.RGBA{0xFD, 0xE7, 0x25, 0xFF}},
		{0.5, color.RGBA{0x21, 0x91, 0x8C, 0xFF}}, // matplotlib viridis(0.5) = #21918C
	} {
		if got := Viridis(c.t); !near(got, c.want, 3) {
			t.Errorf("Viridis(%v) = %v, want %v", c.t, got, c.want)
		}
	}
	prev := -1.0
	for i := 0; i <= 200; i++ {
		l := luminance(Viridis(float64(i) / 200))
		if l <= prev {
			t.Fatalf("viridis luminance not increasing at t=%v: %v after %v", float64(i)/200, l, prev)
		}
		prev = l
	}
}

func TestDiverging(t *testing.T) {
	t.Parallel()
	if c := Diverging(0); c.R < 0xF0 || c.G < 0xF0 || c.B < 0xF0 {
		t.Errorf("Diverging(0) = %v, want near white", c)
	}
	if c := Diverging(-1); !(c.B > c.R+60) {
		t.Errorf("Diverging(-1) = %v, want blue", c)
	}
	if c := Diverging(1); !(c.R > c.B+60) {
		t.Errorf("Diverging(1) = %v, want red", c)
	}
	// Lightness falls away from zero on both sides.
	for _, s := range []float64{-1, 1} {
		prev := 2.0
		for i := 0; i <= 100; i++ {
			l := luminance(Diverging(s * float64(i) / 100))
			if l > prev+1e-9 {
				t.Fatalf("Diverging luminance rises at %v", s*float64(i)/100)
			}
			prev = l
		}
	}
}

func TestLabelTicks(t *testing.T) {
	t.Parallel()
	ticks := labelTicks([]string{"L0", "L1", "L2"}, 3, true)
	if len(ticks) != 3 || ticks[0].Label != "L0" || ticks[0].Value != 2 || ticks[2].Value != 0 {
		t.Errorf("flipped row ticks = %v, want L0 at the top (value 2)", ticks)
	}
	for _, c := range []struct{ n, stride int }{{40, 1}, {41, 5}, {100, 5}, {256, 20}, {2048, 200}} {
		ticks := labelTicks(nil, c.n, false)
		if len(ticks) > 20 && c.n > MaxTickLabels || ticks[1].Value != float64(c.stride) {
			t.Errorf("n=%d: %d ticks, second at %v; want stride %d, at most 20", c.n, len(ticks), ticks[1].Value, c.stride)
		}
	}
}

func TestNiceTicks(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		lo, hi float64
		want   string
	}{
		{0, 1, "0 0.2 0.4 0.6 0.8 1.0"},
		{-0.89, 0.89, "-0.5 0 0.5"},
		{0, 10000, "0 2000 4000 6000 8000 10000"},
		{-0.7, 0.1, "-0.6 -0.4 -0.2 0"},
	} {
		var got []string
		for _, tk := range (niceTicks{}).Ticks(c.lo, c.hi) {
			if tk.Label != "" {
				got = append(got, tk.Label)
			}
		}
		if strings.Join(got, " ") != c.want {
			t.Errorf("niceTicks(%v, %v) = %v, want %s", c.lo, c.hi, got, c.want)
		}
	}
}

func TestLogTicks(t *testing.T) {
	t.Parallel()
	var got []string
	for _, tk := range (logTicks{}).Ticks(16, 16384) {
		if tk.Label != "" {
			got = append(got, tk.Label)
		}
	}
	if strings.Join(got, " ") != "100 1000 10000" {
		t.Errorf("log ticks 16..16384 = %v", got)
	}
	got = nil
	for _, tk := range (logTicks{}).Ticks(1.5e-6, 9e-6) { // less than a decade
		if tk.Label != "" {
			got = append(got, tk.Label)
		}
	}
	if strings.Join(got, " ") != "2e-6 5e-6" {
		t.Errorf("log ticks 1.5e-6..9e-6 = %v", got)
	}
}

// decodePNG renders fig as PNG and decodes it.
func decodePNG(t *testing.T, fig interface{ Save(string) error }) image.Image {
	t.Helper()
	path := filepath.Join(t.TempDir(), "fig.png")
	if err := fig.Save(path); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// colours returns the set of distinct colours and the fraction of non-white
// pixels.
func colours(img image.Image) (map[color.RGBA]bool, float64) {
	set := map[color.RGBA]bool{}
	b := img.Bounds()
	nonWhite := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
			set[c] = true
			if c != (color.RGBA{0xFF, 0xFF, 0xFF, 0xFF}) {
				nonWhite++
			}
		}
	}
	return set, float64(nonWhite) / float64(b.Dx()*b.Dy())
}

func TestFiguresRender(t *testing.T) {
	t.Parallel()
	for name, fig := range demoFigures() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			img := decodePNG(t, fig)
			w, h := 975, 675
			if hm, ok := fig.(Heatmap); ok && hm.Height > 0 {
				h = int(hm.Height*DPI + 0.5)
			}
			if pn, ok := fig.(Panels); ok {
				w, h = int(pn.Width*DPI+0.5), int(pn.Height*DPI+0.5)
			}
			if b := img.Bounds(); b.Dx() != w || b.Dy() != h {
				t.Errorf("size %dx%d, want %dx%d", b.Dx(), b.Dy(), w, h)
			}
			set, frac := colours(img)
			if len(set) < 50 || frac < 0.02 {
				t.Errorf("looks blank: %d distinct colours, %.1f%% non-white", len(set), 100*frac)
			}
		})
	}
}

// TestHeatmapColourBar checks that a heatmap shows both ends of its colour
// map: the cells hold only the extreme values, and the bar the whole range.
func TestHeatmapColourBar(t *testing.T) {
	t.Parallel()
	for _, div := range []bool{false, true} {
		lo, hi := Viridis(0), Viridis(1)
		if div {
			lo, hi = Diverging(-1), Diverging(1)
		}
		img := decodePNG(t, Heatmap{Title: "t", ValueLabel: "v", Rows: 2, Cols: 2, Values: []float64{-1, 1, 1, -1}, Diverging: div})
		set, _ := colours(img)
		for _, want := range []color.RGBA{lo, hi} {
			found := false
			for c := range set {
				found = found || near(c, want, 2)
			}
			if !found {
				t.Errorf("diverging=%v: no pixel of colour %v", div, want)
			}
		}
		// The middle of the map appears only in the colour bar.
		mid := Viridis(0.5)
		if div {
			mid = Diverging(0)
		}
		found := false
		for c := range set {
			found = found || near(c, mid, 4)
		}
		if !found {
			t.Errorf("diverging=%v: colour bar lacks the middle colour %v", div, mid)
		}
	}
}

// TestHeatmapRowOrder checks that row 0 is drawn at the top.
func TestHeatmapRowOrder(t *testing.T) {
	t.Parallel()
	img := decodePNG(t, Heatmap{Rows: 2, Cols: 1, Values: []float64{1, 0}, Min: ptr(0.0), Max: ptr(1.0)})
	b := img.Bounds()
	// Scan the column at 40% of the width (inside the cells) from the top.
	x := b.Min.X + b.Dx()*4/10
	var first color.RGBA
	for y := b.Min.Y; y < b.Max.Y; y++ {
		c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
		if near(c, Viridis(1), 2) || near(c, Viridis(0), 2) {
			first = c
			break
		}
	}
	if !near(first, Viridis(1), 2) {
		t.Errorf("top cell colour %v, want row 0's value 1 (%v)", first, Viridis(1))
	}
}

func TestFormats(t *testing.T) {
	t.Parallel()
	fig := LineChart{Title: "t", Series: []Series{{Name: "a", X: []float64{0, 1}, Y: []float64{1, 2}}}}
	for format, magic := range map[string]string{"png": "\x89PNG", "svg": "<?xml", "pdf": "%PDF"} {
		var buf bytes.Buffer
		if err := fig.Render(&buf, format); err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		if !strings.HasPrefix(buf.String(), magic) {
			t.Errorf("%s output starts %q", format, buf.String()[:min(8, buf.Len())])
		}
	}
	if err := fig.Render(&bytes.Buffer{}, "gif"); err == nil || !strings.HasPrefix(err.Error(), "plots: ") {
		t.Errorf("gif: err = %v", err)
	}
	if err := fig.Save(filepath.Join(t.TempDir(), "x.jpg")); err == nil {
		t.Error("Save .jpg: no error")
	}
}

func TestInvalidFigures(t *testing.T) {
	t.Parallel()
	errs := map[string]error{
		"values":    Heatmap{Rows: 2, Cols: 2, Values: []float64{1}}.Render(&bytes.Buffer{}, "png"),
		"rowlabels": Heatmap{Rows: 1, Cols: 1, Values: []float64{1}, RowLabels: []string{"a", "b"}}.Render(&bytes.Buffer{}, "png"),
		"limits":    Heatmap{Rows: 1, Cols: 1, Values: []float64{1}, Min: ptr(1.0), Max: ptr(0.0)}.Render(&bytes.Buffer{}, "png"),
		"noseries":  LineChart{}.Render(&bytes.Buffer{}, "png"),
		"xy":        LineChart{Series: []Series{{X: []float64{1}, Y: nil}}}.Render(&bytes.Buffer{}, "png"),
		"logzero":   LineChart{LogY: true, Series: []Series{{X: []float64{1, 2}, Y: []float64{0, -1}}}}.Render(&bytes.Buffer{}, "png"),
		"barlabels": BarChart{Labels: []string{"a"}, Groups: []BarGroup{{Values: []float64{1, 2}}}}.Render(&bytes.Buffer{}, "png"),
		"emptybars": BarChart{}.Render(&bytes.Buffer{}, "png"),
	}
	for name, err := range errs {
		if err == nil || !strings.HasPrefix(err.Error(), "plots: ") {
			t.Errorf("%s: err = %v, want a plots: error", name, err)
		}
	}
}

// TestLineChartGaps checks that NaN points and non-positive points on a log
// axis are skipped rather than failing.
func TestLineChartGaps(t *testing.T) {
	t.Parallel()
	c := LineChart{LogX: true, LogY: true, Series: []Series{{Name: "a", X: []float64{0, 1, 2, 3, 4}, Y: []float64{1, math.NaN(), 2, 3, -1}}},
		VLines: []VLine{{X: 2, Label: "x"}}, HLines: []HLine{{Y: 0}}}
	if err := c.Render(&bytes.Buffer{}, "png"); err != nil {
		t.Fatal(err)
	}
}

func TestHeatmapCenterAndMarks(t *testing.T) {
	t.Parallel()
	h := Heatmap{Rows: 1, Cols: 3, Values: []float64{0.02, 0.125, 0.27}, Diverging: true, Center: 0.125}
	lo, hi := h.limits()
	if math.Abs((lo+hi)/2-0.125) > 1e-12 || math.Abs(hi-0.27) > 1e-12 {
		t.Errorf("diverging limits [%v, %v], want symmetric about 0.125 up to 0.27", lo, hi)
	}
	if c := h.colorOf(0.125, lo, hi); c.R < 0xF0 || c.G < 0xF0 || c.B < 0xF0 {
		t.Errorf("the centre is drawn %v, want near white", c)
	}
	if c := h.colorOf(0.02, lo, hi); !(c.B > c.R+40) {
		t.Errorf("below the centre is drawn %v, want blue", c)
	}
	// Marks widen a range taken from the data.
	s := Heatmap{Rows: 1, Cols: 2, Values: []float64{0.01, 0.23}, Marks: []Mark{{0.3, "ε"}, {0.035, "uniform"}}}
	if lo, hi := s.limits(); lo != 0.01 || hi != 0.3 {
		t.Errorf("limits with a mark at 0.3: [%v, %v], want [0.01, 0.3]", lo, hi)
	}
	bar := newColorBar(0.01, 0.3, "α", func(float64) color.RGBA { return color.RGBA{} })
	bar.setMarks(append(s.Marks, Mark{2, "off the scale"}))
	if len(bar.marks) != 2 {
		t.Errorf("colour bar keeps %d marks, want the 2 within its range", len(bar.marks))
	}
	var buf bytes.Buffer
	if err := s.Render(&buf, "png"); err != nil {
		t.Fatal(err)
	}
}

func TestLineChartExtras(t *testing.T) {
	t.Parallel()
	x := []float64{4, 8, 16}
	c := LineChart{Title: "t", LogX: true, XTicks: x, Markers: true, YMin: ptr(0.0), YMax: ptr(1.0),
		Series: []Series{{Name: "a", X: x, Y: []float64{1, 0.5, 0.25}, Lo: []float64{0.9, 0.4, 0.2}, Hi: []float64{1, 0.6, 0.3}}},
		HLines: []HLine{{Y: 0.1, Label: "chance"}}, VLines: []VLine{{X: 8, Label: "N = d"}}, Legend: LegendRight}
	p, _, entries, _, err := c.plot()
	if err != nil {
		t.Fatal(err)
	}
	var labels []string
	for _, tk := range p.X.Tick.Marker.Ticks(p.X.Min, p.X.Max) {
		if tk.Label != "" {
			labels = append(labels, tk.Label)
		}
	}
	if strings.Join(labels, ",") != "4,8,16" {
		t.Errorf("x tick labels %v, want the measured 4, 8, 16", labels)
	}
	if p.Y.Min != 0 || p.Y.Max != 1 || entries != 1 {
		t.Errorf("y range [%v, %v], %d legend entries", p.Y.Min, p.Y.Max, entries)
	}
	var buf bytes.Buffer
	if err := c.Render(&buf, "png"); err != nil {
		t.Fatal(err)
	}
	bad := c
	bad.Series = []Series{{Name: "a", X: x, Y: x, Lo: []float64{1}, Hi: []float64{1}}}
	if _, _, _, _, err := bad.plot(); err == nil || !strings.Contains(err.Error(), "band") {
		t.Errorf("a band of the wrong length: err = %v", err)
	}
	// Markers differ from series to series.
	if markerRadius(0) <= markerRadius(3) || len(markerShapes) < 6 {
		t.Errorf("markers do not nest: radius %v then %v", markerRadius(0), markerRadius(3))
	}
}

func TestPanels(t *testing.T) {
	t.Parallel()
	if err := (Panels{Title: "none"}).Render(&bytes.Buffer{}, "png"); err == nil {
		t.Error("a figure without panels rendered")
	}
	chart := func(title string) LineChart {
		return LineChart{Title: title, Markers: true, Series: []Series{{Name: "s", X: []float64{1, 2}, Y: []float64{1, 2}}}}
	}
	f := Panels{Title: "two", Charts: []LineChart{chart("a"), chart("b")}, SharedLegend: true, Width: 8, Height: 3}
	var buf bytes.Buffer
	if err := f.Render(&buf, "png"); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 8*DPI || b.Dy() != 3*DPI {
		t.Errorf("panel figure is %v, want %d×%d", b, 8*DPI, 3*DPI)
	}
	bad := f
	bad.Charts = []LineChart{chart("a"), {Title: "empty"}}
	if err := bad.Render(&bytes.Buffer{}, "png"); err == nil {
		t.Error("a panel without series rendered")
	}
}

func TestPattern(t *testing.T) {
	t.Parallel()
	p := []float32{1, 0, 0, 0.25, 0.75, 0, 0.5, 0, 0.5}
	h, err := Pattern("p", p, 3, []string{"a", "b", "c"})
	if err != nil {
		t.Fatal(err)
	}
	if h.Values[4] != 0.75 || !math.IsNaN(h.Values[1]) || !math.IsNaN(h.Values[5]) || h.Values[7] != 0 {
		t.Errorf("values %v: want the weights, NaN above the diagonal", h.Values)
	}
	if *h.Min != 0 || *h.Max != 1 || h.RowLabels[2] != "c" || h.XLabel != "key token" {
		t.Errorf("scale [%v, %v], labels %v, x label %q", *h.Min, *h.Max, h.RowLabels, h.XLabel)
	}
	if _, err := Pattern("p", p, 2, nil); err == nil {
		t.Error("a pattern of the wrong size: no error")
	}
	if _, err := Pattern("p", p, 3, []string{"a"}); err == nil {
		t.Error("too few token labels: no error")
	}
	long := make([]float32, 50*50)
	if h, _ := Pattern("p", long, 50, make([]string, 50)); h.RowLabels != nil || h.XLabel != "key position" {
		t.Errorf("50 tokens: labels %d, x label %q; want positions", len(h.RowLabels), h.XLabel)
	}
	var buf bytes.Buffer
	if err := h.Render(&buf, "png"); err != nil {
		t.Fatal(err)
	}
}
