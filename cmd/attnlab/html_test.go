package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/attnlab/attnlab/internal/browsertest"
)

// TestInductionHTMLReport: `attnlab induction` writes report.html beside
// its files, listed in the manifest; in a real browser it shows every
// figure and table the run wrote, with no console error, and hovering a
// token of the pattern view highlights where the induction head attends.
func TestInductionHTMLReport(t *testing.T) {
	dir := t.TempDir()
	if _, stderr, code := runCLI(t, "induction", "--batch", "4", "--out", dir, "-q"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct{ Files []string }
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(m.Files, "report.html") {
		t.Fatalf("manifest files %v lack report.html", m.Files)
	}
	figs, tabs := 0, 0
	for _, f := range m.Files {
		switch {
		case strings.HasSuffix(f, ".png"):
			figs++
		case strings.HasSuffix(f, ".csv"):
			tabs++
		}
	}
	p := browsertest.Open(t, filepath.Join(dir, "report.html"))
	p.CheckReport(t, figs, tabs)
	var heads []string
	p.Eval(t, `Array.from(document.querySelectorAll("#heads button")).map(b => b.textContent)`, &heads)
	if len(heads) < 2 || heads[0] != "L1H2" {
		t.Errorf("pattern view heads %v; want the induction heads first (L1H2) and their partners", heads)
	}
	// Position 60 is in the second repeat ([BOS, x×50, x×50]): the induction
	// head attends to the token after the earlier copy, position 60 − 50 + 1.
	p.Hover(t, `#strip-row .tok[data-i="60"]`)
	var alpha []float64
	p.Eval(t, `Array.from(document.querySelectorAll("#strip-row .tok")).map(e => parseFloat(getComputedStyle(e).backgroundColor.split(",")[3] || "1"))`, &alpha)
	best := 0
	for i, a := range alpha {
		if a > alpha[best] {
			best = i
		}
	}
	if best != 11 {
		t.Errorf("hovering position 60 highlights key %d most (alpha %.2f); want 11", best, alpha[best])
	}
	// ATTNLAB_WRITE_DOCS=1 regenerates the README's picture of the view.
	if os.Getenv("ATTNLAB_WRITE_DOCS") != "" {
		if err := os.WriteFile("../../docs/report_pattern_view.png", p.ElementScreenshot(t, "#patterns", 1000), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, code := runCLI(t, "induction", "--batch", "4", "--out", dir, "-q", "--html=false"); code != 0 {
		t.Fatal("--html=false failed")
	}
	if _, err := os.Stat(filepath.Join(dir, "report.html")); !os.IsNotExist(err) {
		t.Errorf("--html=false left report.html (the previous run's file): %v", err)
	}
}

// TestSinkHTMLReport: sink-analysis's report shows the four heads with the
// largest first-token mass, the first of them its summary's top head, and
// the BOS column of its pattern holds that head's attention.
func TestSinkHTMLReport(t *testing.T) {
	dir := t.TempDir()
	if _, stderr, code := runCLI(t, "sink-analysis", "--batch", "4", "--out", dir, "-q"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	p := browsertest.Open(t, filepath.Join(dir, "report.html"))
	var heads []string
	p.Eval(t, `Array.from(document.querySelectorAll("#heads button")).map(b => b.textContent)`, &heads)
	if len(heads) != 4 {
		t.Fatalf("pattern view heads %v, want the 4 heads with the largest α", heads)
	}
	b, err := os.ReadFile(filepath.Join(dir, "sink_summary.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), ","+heads[0]+",") {
		t.Errorf("first head %s is not the summary's top head:\n%s", heads[0], b)
	}
	var bos string
	p.Eval(t, `document.querySelector("#strip-row .tok").textContent`, &bos)
	if bos != "BOS" {
		t.Errorf("first token labelled %q, want BOS", bos)
	}
	if errs := p.Errors(); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
}

// TestS2AHTMLReport: s2a's report shows each retrieval head of the answerer
// on the full context and on the clean one, the last token the queried key.
func TestS2AHTMLReport(t *testing.T) {
	dir := t.TempDir()
	if _, stderr, code := runCLI(t, "s2a", "--examples", "40", "--rates", "0.6", "--out", dir, "-q"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	p := browsertest.Open(t, filepath.Join(dir, "report.html"))
	var heads []string
	p.Eval(t, `Array.from(document.querySelectorAll("#heads button")).map(b => b.textContent)`, &heads)
	if len(heads) < 2 || len(heads)%2 != 0 || !strings.HasSuffix(heads[0], " baseline") || !strings.HasSuffix(heads[len(heads)-1], " oracle") {
		t.Fatalf("pattern view heads %v; want each retrieval head on the baseline, then on the oracle input", heads)
	}
	if errs := p.Errors(); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
}
