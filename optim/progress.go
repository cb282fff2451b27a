package optim

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// Progress reports progress, attnlab's one progress bar. On a terminal (w is
// an *os.File whose descriptor term.IsTerminal accepts) it draws a bar
// (github.com/schollz/progressbar); elsewhere (a pipe, a log file, a test
// buffer) it writes plain lines. In quiet mode it writes nothing. Progress
// goes to stderr in attnlab commands; tables go to stdout.
//
// A training run (NewProgress, Update) shows step/total, loss, tokens/s and
// the time left, and writes a plain line every Every steps and at the last:
//
//	step 100/2000  loss 2.3456  12345 tok/s  eta 1m2s
//
// A sweep of many runs (NewCounter, Add from any goroutine) shows units
// done of the total, the time so far and the time left (at the rate so
// far), and writes a plain line at every tenth:
//
//	mqar grid: 4800/48000 steps (10%), 1m2s, eta 9m18s
type Progress struct {
	// Every is the number of steps between plain lines; NewProgress sets it
	// to max(1, total/20). It does not affect the bar.
	Every int

	w      io.Writer
	total  int
	quiet  bool
	bar    *progressbar.ProgressBar
	now    func() time.Time
	start  time.Time
	tokens int64
	from   int       // the step before the first Update (a resumed run's start); −1 before it
	drawn  time.Time // when the bar was last drawn
	done   bool

	label string     // a counter's name (NewCounter)
	unit  string     // what a counter counts
	mu    sync.Mutex // guards count
	count int        // units done (Add)
}

// barEvery is the shortest time between two redraws of the bar.
const barEvery = 100 * time.Millisecond

// NewProgress returns a reporter for a run of total steps writing to w.
func NewProgress(w io.Writer, total int, quiet bool) *Progress {
	return newProgress(w, total, quiet, isTerminal(w), time.Now)
}

func newProgress(w io.Writer, total int, quiet, bar bool, now func() time.Time) *Progress {
	p := &Progress{
		Every: max(1, total/20),
		w:     w,
		total: total,
		quiet: quiet,
		now:   now,
		start: now(),
		from:  -1,
	}
	if !quiet && bar {
		p.bar = progressbar.NewOptions(total,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription("train"),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionSetWidth(30),
			progressbar.OptionShowDescriptionAtLineEnd(),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
		)
	}
	return p
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// Update records that step steps (1..total) are done, the latest loss, and
// the number of tokens processed since the previous Update call (B·T when
// called every step). The tokens/s rate is measured over the whole run.
func (p *Progress) Update(step int, loss float64, tokens int) {
	if p.quiet || p.done {
		return
	}
	if p.from < 0 {
		p.from = step - 1
	}
	p.tokens += int64(tokens)
	now := p.now()
	elapsed := now.Sub(p.start)
	rate := 0.0
	if s := elapsed.Seconds(); s > 0 {
		rate = float64(p.tokens) / s
	}
	if p.bar != nil {
		// Redraw at most every barEvery. Describe redraws with the old
		// count, then Set redraws with the new one (and finishes the bar
		// at the last step), so count and loss always match.
		if step < p.total && now.Sub(p.drawn) < barEvery {
			return
		}
		p.drawn = now
		p.bar.Describe(fmt.Sprintf("loss %.4f  %.0f tok/s", loss, rate))
		_ = p.bar.Set(min(step, p.total)) // a failed terminal write is not worth stopping training for
		return
	}
	if step%p.Every != 0 && step != p.total {
		return
	}
	var eta time.Duration
	// The time left at this run's rate: the steps done since it started
	// (a resumed run starts at its checkpoint's step, not at 0).
	if done := step - p.from; done > 0 && step < p.total {
		eta = time.Duration(float64(elapsed) / float64(done) * float64(p.total-step))
	}
	fmt.Fprintf(p.w, "step %d/%d  loss %.4f  %.0f tok/s  eta %s\n",
		step, p.total, loss, rate, eta.Round(time.Second))
}

// NewCounter returns a reporter of total units of work (unit names them,
// e.g. "steps"), done by any number of goroutines calling Add.
func NewCounter(w io.Writer, label, unit string, total int, quiet bool) *Progress {
	return newCounter(w, label, unit, total, quiet, isTerminal(w), time.Now)
}

func newCounter(w io.Writer, label, unit string, total int, quiet, bar bool, now func() time.Time) *Progress {
	p := &Progress{Every: max(1, total/10), w: w, total: max(total, 1), quiet: quiet, now: now, start: now(), label: label, unit: unit}
	if !quiet && bar {
		p.bar = progressbar.NewOptions(total,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription(label+" ("+unit+")"),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionSetWidth(30),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
		)
	}
	return p
}

// Add records n more units done. It is safe for concurrent use.
func (p *Progress) Add(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	before := p.count * 10 / p.total
	p.count += n
	switch {
	case p.quiet || p.done:
	case p.bar != nil:
		_ = p.bar.Set(p.count)
	case p.count*10/p.total != before:
		el := p.now().Sub(p.start)
		eta := time.Duration(float64(el) / float64(p.count) * float64(max(0, p.total-p.count)))
		fmt.Fprintf(p.w, "%s: %d/%d %s (%d%%), %s, eta %s\n", p.label, p.count, p.total, p.unit, 100*p.count/p.total, el.Round(time.Second), eta.Round(time.Second))
	}
}

// Finish ends the report: it completes and closes the bar on a terminal.
// Later Updates are ignored. Finish is safe to call more than once.
func (p *Progress) Finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done {
		return
	}
	p.done = true
	if p.bar != nil && !p.bar.IsFinished() {
		_ = p.bar.Finish()
	}
}
