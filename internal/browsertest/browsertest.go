// Package browsertest drives a real headless Chromium from tests (through
// chromedp), to check the pages attnlab writes as a browser shows them.
//
// The browser is Debian's chromium (/usr/bin/chromium, or $ATTNLAB_CHROMIUM).
// When it is missing a test is skipped with a log line, except under CI
// (CI=true), where it fails: .ci/run installs the browser.
package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
)

// Path returns the Chromium executable, or "" if there is none.
func Path() string {
	if p := os.Getenv("ATTNLAB_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// Page is a page open in a headless browser, with every console error and
// uncaught exception it produced.
type Page struct {
	Ctx context.Context

	mu     sync.Mutex
	errors []string
}

// Errors returns the console errors and exceptions seen so far.
func (p *Page) Errors() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.errors...)
}

// Open starts headless Chromium, loads the file at path and waits for its
// body. The browser is closed when the test ends.
func Open(t testing.TB, path string) *Page {
	t.Helper()
	exe := Path()
	if exe == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("browsertest: no Chromium found (apt-get install chromium; .ci/run does this)")
		}
		t.Skip("browsertest: no Chromium found; install Debian's chromium to run the browser test")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	p := &Page{Ctx: ctx}
	// Start the browser, subscribe to the console, then load the page, so no
	// message is lost.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("browsertest: starting %s: %v", exe, err)
	}
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleException {
				p.mu.Lock()
				p.errors = append(p.errors, string(m.Type)+": "+m.String())
				p.mu.Unlock()
			}
		}
	}()
	if err := chromedp.Do(ctx, chromedp.Navigate("file://"+path), chromedp.WaitReady("body")); err != nil {
		t.Fatalf("browsertest: loading %s: %v", path, err)
	}
	return p
}

// Eval evaluates a JavaScript expression and stores its JSON value in out.
func (p *Page) Eval(t testing.TB, expr string, out any) {
	t.Helper()
	v, err := chromedp.Run(p.Ctx, chromedp.Evaluate[json.RawMessage](expr))
	if err != nil {
		t.Fatalf("browsertest: %s: %v", expr, err)
	}
	if err := json.Unmarshal(v, out); err != nil {
		t.Fatalf("browsertest: %s: result %s: %v", expr, v, err)
	}
}

// Hover moves the mouse onto the centre of the first element matching the
// CSS selector, as a user's pointer would.
func (p *Page) Hover(t testing.TB, selector string) {
	t.Helper()
	var box []float64
	p.Eval(t, fmt.Sprintf(`(() => { const e = document.querySelector(%q); e.scrollIntoView({block: "center"});
		const r = e.getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; })()`, selector), &box)
	if err := chromedp.Do(p.Ctx, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, box[0], box[1])); err != nil {
		t.Fatalf("browsertest: hovering %s: %v", selector, err)
	}
}

// Screenshot captures the full page as PNG (quality 100 selects PNG).
func (p *Page) Screenshot(t testing.TB) []byte {
	t.Helper()
	png, err := chromedp.Run(p.Ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("browsertest: screenshot: %v", err)
	}
	return png
}

// CheckReport checks what every attnlab report.html must show: the given
// number of figures (each drawn wider than 100 pixels), of tables, the
// manifest, and no console error.
func (p *Page) CheckReport(t testing.TB, figures, tables int) {
	t.Helper()
	var n struct{ Figures, Tables, Rendered, Manifest int }
	p.Eval(t, `({Figures: document.querySelectorAll("section.figure svg").length,
		Tables: document.querySelectorAll("table.sortable").length,
		Rendered: Array.from(document.querySelectorAll("section.figure svg")).filter(s => s.getBoundingClientRect().width > 100).length,
		Manifest: document.querySelectorAll("#manifest pre").length})`, &n)
	if n.Figures != figures || n.Rendered != figures || n.Tables != tables || n.Manifest != 1 {
		t.Errorf("page shows %+v; want %d figures (all rendered), %d tables, the manifest", n, figures, tables)
	}
	if errs := p.Errors(); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
}

// ElementScreenshot captures the first element matching the CSS selector as
// PNG, in a window width wide.
func (p *Page) ElementScreenshot(t testing.TB, selector string, width int64) []byte {
	t.Helper()
	if err := chromedp.Do(p.Ctx, chromedp.EmulateViewport(width, 900)); err != nil {
		t.Fatalf("browsertest: viewport: %v", err)
	}
	png, err := chromedp.Run(p.Ctx, chromedp.Screenshot(chromedp.CSS(selector)))
	if err != nil {
		t.Fatalf("browsertest: screenshot of %s: %v", selector, err)
	}
	return png
}
