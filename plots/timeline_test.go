package plots

import (
	"bytes"
	"image/color"
	"image/png"
	"strings"
	"testing"
)

func TestTimeline(t *testing.T) {
	t.Parallel()
	tl := Timeline{Title: "t", XLabel: "time (ms)", Rows: []string{"host 0", "host 1"}, Kinds: []string{"compute", "send/receive", "idle"}, Lanes: 2,
		Spans:  []Span{{Row: 0, Start: 0, End: 2, Kind: 0}, {Row: 0, Lane: 1, Start: 0, End: 3, Kind: 1}, {Row: 0, Start: 2, End: 3, Kind: 2}, {Row: 1, Start: 0, End: 3, Kind: 0}},
		VLines: []VLine{{X: 3, Label: "backward"}}}
	var b bytes.Buffer
	if err := tl.Render(&b, "png"); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&b)
	if err != nil || img.Bounds().Dx() != 975 {
		t.Fatalf("png: %v, %v", err, img.Bounds())
	}
	// Row 0's compute span is drawn in the first palette colour somewhere.
	found := false
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y && !found; y++ {
		for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if near(OkabeIto[1], rgba(r, g, bl), 2) {
				found = true
				break
			}
		}
	}
	if !found {
		t.Error("no send/receive span drawn")
	}
	for _, bad := range []Span{{Row: 2}, {Lane: 2}, {Kind: 3}, {Start: 2, End: 1}} {
		tl.Spans = []Span{bad}
		if err := tl.Render(&b, "png"); err == nil || !strings.Contains(err.Error(), "timeline") {
			t.Errorf("span %+v: %v", bad, err)
		}
	}
}

func rgba(r, g, b uint32) color.RGBA {
	return color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), 0xFF}
}
