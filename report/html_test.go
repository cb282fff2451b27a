package report_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/attnlab/attnlab/internal/browsertest"
	"github.com/attnlab/attnlab/plots"
	"github.com/attnlab/attnlab/report"
)

// testPage is a page with two tables, two SVG figures and the patterns of
// two heads on five tokens.
func testPage(t *testing.T) report.HTMLPage {
	t.Helper()
	heads := report.NewTable("heads", "Heads", report.Column{Name: "head"}, report.Column{Name: "score", Format: "%.3f"})
	heads.Add("L0H1", 0.2)
	heads.Add("L1H0", 0.9)
	heads.Add("L1H2", nil)
	heads.Add("L0H0", 0.05)
	loss := report.NewTable("loss", "Loss </table><script>alert(1)</script>", report.Column{Name: "step"}, report.Column{Name: "loss", Unit: "nats"})
	loss.Add(1, 4.2)
	loss.Add(2, 3.1)
	var figs []report.HTMLFigure
	for _, name := range []string{"a.png", "b.png"} {
		lo, hi := 0.0, 1.0
		h := plots.Heatmap{Title: name, XLabel: "head", YLabel: "layer", ValueLabel: "score", Rows: 1, Cols: 2,
			Values: []float64{0.1, 0.7}, RowLabels: []string{"L0"}, ColLabels: []string{"H0", "H1"}, Min: &lo, Max: &hi}
		var buf bytes.Buffer
		if err := h.Render(&buf, "svg"); err != nil {
			t.Fatal(err)
		}
		figs = append(figs, report.HTMLFigure{Name: name, SVG: buf.Bytes()})
	}
	// Head L1H0 attends to the previous token; L0H1 to the first.
	tokens := []string{"BOS", "a", "b", "</script>", "b"}
	T := len(tokens)
	prev, first := make([]float32, T*T), make([]float32, T*T)
	for i := range T {
		prev[i*T+max(i-1, 0)] = 1
		first[i*T] = 1
	}
	return report.HTMLPage{
		Title:    "attnlab test",
		Manifest: report.Manifest{Command: []string{"attnlab", "test"}, Version: "v", Files: []string{"heads.csv"}},
		Tables:   []*report.Table{heads, loss},
		Figures:  figs,
		Patterns: []report.PatternView{
			{Head: "L1H0", Caption: "previous token", Tokens: tokens, Pattern: prev},
			{Head: "L0H1", Caption: "first token", Tokens: tokens, Pattern: first},
		},
	}
}

func TestWriteHTMLSelfContained(t *testing.T) {
	var buf bytes.Buffer
	if err := report.WriteHTML(&buf, testPage(t)); err != nil {
		t.Fatal(err)
	}
	s := buf.String()
	for _, bad := range []string{"http://", "https://", "<script src", "<link", "@import", "<script>alert"} {
		// gonum's SVG names its namespace with an http URL; that is not a fetch.
		if bad == "http://" {
			s2 := strings.ReplaceAll(s, `xmlns="http://www.w3.org/2000/svg"`, "")
			s2 = strings.ReplaceAll(s2, `xmlns:xlink="http://www.w3.org/1999/xlink"`, "")
			if strings.Contains(s2, bad) {
				t.Errorf("page refers to %q", bad)
			}
			continue
		}
		if strings.Contains(s, bad) {
			t.Errorf("page contains %q", bad)
		}
	}
	if got := strings.Count(s, "<svg"); got != 2 {
		t.Errorf("%d inline SVG figures, want 2", got)
	}
}

// TestHTMLInBrowser opens the page in headless Chromium: no console error,
// every figure and table present, tables sort, and hovering a token changes
// the highlighted pattern.
func TestHTMLInBrowser(t *testing.T) {
	path := filepath.Join(t.TempDir(), "report.html")
	var buf bytes.Buffer
	if err := report.WriteHTML(&buf, testPage(t)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	p := browsertest.Open(t, path)
	p.CheckReport(t, 2, 2)

	// Head L1H0 is shown first: hovering token 3 shades token 2 (its
	// previous token) in the upper strip, and token 4 (which attends to
	// token 3) in the lower strip.
	var before, after []string
	bg := `Array.from(document.querySelectorAll("#strip-row .tok, #strip-col .tok")).map(e => getComputedStyle(e).backgroundColor)`
	p.Eval(t, bg, &before)
	p.Hover(t, `#strip-row .tok[data-i="3"]`)
	p.Eval(t, bg, &after)
	row, col := after[:5], after[5:]
	if row[2] != "rgb(214, 39, 40)" || col[4] != "rgb(31, 119, 180)" {
		t.Errorf("after hovering token 3: row strip %v, column strip %v", row, col)
	}
	if row[0] != "rgba(214, 39, 40, 0)" || before[2] == after[2] {
		t.Errorf("hover did not change the highlight: before %v after %v", before, after)
	}
	var sel string
	p.Eval(t, `document.getElementById("heatmap").dataset.selected`, &sel)
	if sel != "3" {
		t.Errorf("heatmap selection %q, want 3", sel)
	}
	// Switching heads: L0H1 attends to the first token.
	p.Eval(t, `(() => { document.querySelectorAll("#heads button")[1].click(); return true })()`, new(bool))
	p.Hover(t, `#strip-row .tok[data-i="2"]`)
	p.Eval(t, bg, &after)
	if after[0] != "rgb(214, 39, 40)" || after[5+2] != "rgba(31, 119, 180, 0)" {
		t.Errorf("head L0H1, token 2: %v", after)
	}
	// Sorting: click "score" twice: descending, NaN (empty) last ascending.
	var order []string
	sorted := `(() => { const th = document.querySelectorAll("table.sortable")[0].querySelectorAll("th")[1]; th.click(); th.click();
		return Array.from(document.querySelectorAll("table.sortable")[0].tBodies[0].rows).map(r => r.cells[0].textContent) })()`
	p.Eval(t, sorted, &order)
	if strings.Join(order, ",") != "L1H0,L0H1,L0H0,L1H2" {
		t.Errorf("sorted by score, descending: %v", order)
	}
	if errs := p.Errors(); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
}
