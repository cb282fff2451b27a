package ringlab

import (
	"fmt"
	"math"
	"time"

	"github.com/attnlab/attnlab/attention/ring"
	"github.com/attnlab/attnlab/plots"
	"github.com/attnlab/attnlab/report"
)

// layoutRuns returns every host's run of layout l, in host order.
func layoutRuns(reports []HostReport, l ring.Layout) []LayoutRun {
	var out []LayoutRun
	for _, h := range reports {
		for _, lr := range h.Layouts {
			if lr.Layout == l {
				out = append(out, lr)
			}
		}
	}
	return out
}

func secs(d time.Duration) float64 { return d.Seconds() }

// kvTransfers measures a pass's key/value transfers across its hosts
// (st by host, on one clock: one machine, or synchronised ones). The block
// host r receives in step t leaves host r−1 at that host's start of step t
// (S) and arrives at R; host r finished computing at C. The transfer takes
// R − S, and the part of it after C is exposed:
//
//	exposed = max(0, R − max(S, C))
//
// (waiting for a sender that started late is imbalance, not transfer).
// It returns the summed transfer and exposed times and how many there were.
func kvTransfers(st []ring.Stats) (transfer, exposed time.Duration, n int) {
	P := len(st)
	for r := range st {
		up := st[(r+P-1)%P]
		for t, s := range st[r].Steps {
			if s.KVArrived == 0 || t >= len(up.Steps) {
				continue
			}
			S := up.Origin.Add(up.Steps[t].Start)
			R := st[r].Origin.Add(s.KVArrived)
			C := st[r].Origin.Add(s.ComputeEnd)
			if R.Before(S) {
				continue // clocks apart (other machines)
			}
			transfer += R.Sub(S)
			n++
			if from := later(S, C); R.After(from) {
				exposed += R.Sub(from)
			}
		}
	}
	return transfer, exposed, n
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// hidden is the share of the key/value transfer time hidden behind
// computation, 1 − Σ exposed / Σ transfer (kvTransfers); NaN without
// transfers.
func hidden(st []ring.Stats) float64 {
	tr, ex, _ := kvTransfers(st)
	if tr <= 0 {
		return math.NaN()
	}
	return 1 - float64(ex)/float64(tr)
}

func wall(st []ring.Stats) float64 {
	w := 0.0
	for _, s := range st {
		w = max(w, s.Wall.Seconds())
	}
	return w
}

func passes(runs []LayoutRun, back bool) []ring.Stats {
	out := make([]ring.Stats, len(runs))
	for i, r := range runs {
		out[i] = r.Forward
		if back {
			out[i] = r.Backward
		}
	}
	return out
}

// maxErr is the largest of the checked errors (NaN ignored; NaN if none).
func maxErr(runs []LayoutRun) float64 {
	m := math.NaN()
	for _, r := range runs {
		for _, e := range []float64{r.OutErr, r.LSEErr, r.DQErr} {
			if !math.IsNaN(e) && (math.IsNaN(m) || e > m) {
				m = e
			}
		}
	}
	return m
}

// hostsTables builds the hosts run's tables: per layout (layouts, and a
// narrower view of it for the terminal), per layout and host (hosts), and
// memory.
func (r *Result) hostsTables() (layouts, headline, hosts, memory *report.Table) {
	c := r.Opt.Config
	title := fmt.Sprintf("Ring attention per layout: N = %d, d_head %d, %d hosts (%s)", c.N, c.E, c.P, r.Opt.Transport)
	layouts = report.NewTable("layouts", title,
		report.Column{Name: "layout"}, report.Column{Name: "hosts", Format: "%d"}, report.Column{Name: "N", Format: "%d"},
		report.Column{Name: "blocks", Format: "%d"}, report.Column{Name: "skipped", Format: "%d"},
		report.Column{Name: "block_imbalance", Format: "%.3f"}, report.Column{Name: "pair_imbalance", Format: "%.3f"},
		report.Column{Name: "compute_imbalance", Format: "%.3f"},
		report.Column{Name: "forward", Unit: "s", Format: "%.3f"}, report.Column{Name: "backward", Unit: "s", Format: "%.3f"},
		report.Column{Name: "hidden_fwd", Format: "%.2f"}, report.Column{Name: "hidden_bwd", Format: "%.2f"},
		report.Column{Name: "max_error", Format: "%.1e"}, report.Column{Name: "same_bits"})
	layouts.Caption = "blocks, skipped: block pairs computed and skipped (all hosts); imbalance = busiest host /\n" +
		"mean host in blocks, visible query-key pairs and measured forward compute time; hidden: share\n" +
		"of the key/value transfer time (the sender's start of the step to arrival) that ended before\n" +
		"the receiver finished computing; max_error: sampled rows against the float64 reference;\n" +
		"same_bits: equal to an in-process run (SHA-256 of every host's outputs and gradients)"
	last := report.Column{Name: "max_err", Format: "%.1e"}
	if r.Compared != nil {
		last = report.Column{Name: "same_bits"}
	}
	headline = report.NewTable("layouts", title,
		report.Column{Name: "layout"}, report.Column{Name: "imb_blk", Format: "%.3f"}, report.Column{Name: "imb_pair", Format: "%.3f"},
		report.Column{Name: "imb_time", Format: "%.3f"}, report.Column{Name: "fwd", Unit: "s", Format: "%.3f"}, report.Column{Name: "bwd", Unit: "s", Format: "%.3f"},
		report.Column{Name: "hid_fwd", Format: "%.2f"}, report.Column{Name: "hid_bwd", Format: "%.2f"}, last)
	headline.Caption = "imbalance = busiest host / mean host: in blocks computed, in visible query-key pairs,\n" +
		"in measured compute time; hid = share of the key/value transfer time hidden behind the\n" +
		"receiver's computation"
	if r.Compared != nil {
		headline.Caption += ";\nsame_bits: every host's out, lse, dq, dk, dv equal bit for bit to an in-process run"
	} else {
		headline.Caption += ";\nmax_err: sampled rows against the float64 reference (out, lse, dq)"
	}
	hosts = report.NewTable("hosts", "Per host",
		report.Column{Name: "layout"}, report.Column{Name: "host", Format: "%d"}, report.Column{Name: "tokens", Format: "%d"},
		report.Column{Name: "blocks", Format: "%d"}, report.Column{Name: "skipped", Format: "%d"},
		report.Column{Name: "visible_pairs", Format: "%d"}, report.Column{Name: "computed_pairs", Format: "%d"},
		report.Column{Name: "fwd_compute", Unit: "s", Format: "%.4f"}, report.Column{Name: "fwd_comm", Unit: "s", Format: "%.4f"}, report.Column{Name: "fwd_idle", Unit: "s", Format: "%.4f"},
		report.Column{Name: "bwd_compute", Unit: "s", Format: "%.4f"}, report.Column{Name: "bwd_comm", Unit: "s", Format: "%.4f"}, report.Column{Name: "bwd_idle", Unit: "s", Format: "%.4f"},
		report.Column{Name: "bytes_sent", Format: "%d"}, report.Column{Name: "peak_bytes", Format: "%d"}, report.Column{Name: "rss_bytes", Format: "%d"},
		report.Column{Name: "out_error", Format: "%.1e"}, report.Column{Name: "dq_error", Format: "%.1e"},
	)
	hosts.Caption = "peak_bytes: the host's own buffers at their largest (counted); rss_bytes: its process's\n" +
		"peak resident memory (measured by the OS; in-process hosts share one process)"
	var same map[ring.Layout]bool
	if r.Compared != nil {
		same = SameBits(r.Reports, r.Compared)
	}
	var peak, rss int64
	for _, l := range c.Layouts {
		runs := layoutRuns(r.Reports, l)
		work := l.Work(c.N, c.P)
		blocks, skipped := 0, 0
		comp := make([]float64, len(runs))
		for i, lr := range runs {
			blocks += lr.Forward.Computed
			skipped += lr.Forward.Skipped
			comp[i] = lr.Forward.Compute.Seconds()
			bs := lr.Backward
			b := lr.Forward.BytesSent + bs.BytesSent
			peak = max(peak, lr.Forward.PeakBytes, bs.PeakBytes)
			rss = max(rss, r.Reports[i].RSS)
			hosts.Add(l.String(), i, lr.Forward.Tokens, lr.Forward.Computed, lr.Forward.Skipped, lr.Forward.Visible, lr.Forward.Area,
				secs(lr.Forward.Compute), secs(lr.Forward.Comm), secs(lr.Forward.Idle), secs(bs.Compute), secs(bs.Comm), secs(bs.Idle),
				b, max(lr.Forward.PeakBytes, bs.PeakBytes), r.Reports[i].RSS, lr.OutErr, lr.DQErr)
		}
		fwd, bwd := wall(passes(runs, false)), nanIf(!c.Backward, wall(passes(runs, true)))
		hf, hb := hidden(passes(runs, false)), nanIf(!c.Backward, hidden(passes(runs, true)))
		var sb any = ""
		if r.Compared != nil {
			sb = same[l]
		}
		layouts.Add(l.String(), c.P, c.N, blocks, skipped, ring.BlockImbalance(work), ring.PairImbalance(work), ring.Imbalance(comp),
			fwd, bwd, hf, hb, maxErr(runs), sb)
		var lastCell any = maxErr(runs)
		if r.Compared != nil {
			lastCell = same[l]
		}
		headline.Add(l.String(), ring.BlockImbalance(work), ring.PairImbalance(work), ring.Imbalance(comp), fwd, bwd, hf, hb, lastCell)
	}
	memory = report.NewTable("memory", "Memory: the busiest host against dense attention",
		report.Column{Name: "N", Format: "%d"}, report.Column{Name: "hosts", Format: "%d"},
		report.Column{Name: "dense", Unit: "GiB", Format: "%.3g"},
		report.Column{Name: "host", Unit: "MiB", Format: "%.1f"},
		report.Column{Name: "rss", Unit: "MiB", Format: "%.1f"},
		report.Column{Name: "processes", Format: "%d"},
		report.Column{Name: "dense_over_host", Format: "%.0f"},
	)
	memory.Caption = "dense: the N×N float32 score matrix alone, which dense attention materialises; host:\n" +
		"the busiest host's own buffers at their peak (counted); rss: the largest peak resident\n" +
		"memory of a process (measured by the OS; in-process, one process holds every host)"
	procs := 1
	if r.Opt.Processes {
		procs = c.P
	}
	dense := float64(c.N) * float64(c.N) * 4
	memory.Add(c.N, c.P, dense/(1<<30), float64(peak)/(1<<20), float64(rss)/(1<<20), procs, dense/float64(peak))
	return layouts, headline, hosts, memory
}

func nanIf(cond bool, x float64) float64 {
	if cond {
		return math.NaN()
	}
	return x
}

// hostsFigures draws the per-host work and compute time by layout, and a
// timeline of one layout's run.
func (r *Result) hostsFigures() []report.Figure {
	c := r.Opt.Config
	labels := make([]string, c.P)
	for p := range labels {
		labels[p] = fmt.Sprint(p)
	}
	work := plots.BarChart{Title: fmt.Sprintf("Causal work per host, N = %d on %d hosts", c.N, c.P), XLabel: "host",
		YLabel: "visible query–key pairs (millions)", Labels: labels, Legend: plots.LegendTopLeft}
	comp := plots.BarChart{Title: fmt.Sprintf("Measured forward compute time per host, N = %d", c.N), XLabel: "host",
		YLabel: "compute time (ms)", Labels: labels, Legend: plots.LegendTopLeft}
	for _, l := range c.Layouts {
		runs := layoutRuns(r.Reports, l)
		w, t := make([]float64, c.P), make([]float64, c.P)
		for i, lr := range runs {
			w[i] = float64(lr.Forward.Visible) / 1e6
			t[i] = lr.Forward.Compute.Seconds() * 1e3
		}
		work.Groups = append(work.Groups, plots.BarGroup{Name: l.String(), Values: w})
		comp.Groups = append(comp.Groups, plots.BarGroup{Name: l.String(), Values: t})
	}
	figs := []report.Figure{{Name: "work_by_host.png", Fig: work}, {Name: "compute_by_host.png", Fig: comp}}
	l := c.Layouts[0]
	for _, x := range c.Layouts {
		if x == ring.Zigzag {
			l = x
		}
	}
	return append(figs, report.Figure{Name: "timeline.png", Fig: timeline(layoutRuns(r.Reports, l), l, c, r.Opt.Transport)})
}

// timeline draws each host's steps: computing (and waiting) on one lane,
// its transfers on the other; the backward pass follows the forward.
func timeline(runs []LayoutRun, l ring.Layout, c Config, transport string) plots.Timeline {
	const (
		kCompute = iota
		kComm
		kIdle
	)
	tl := plots.Timeline{Title: fmt.Sprintf("Ring timeline: %s layout, N = %d, %d hosts (%s)", l, c.N, c.P, transport),
		XLabel: "time since the first host started (ms)", Kinds: []string{"compute", "send/receive", "idle (waiting for a transfer)"}, Lanes: 2,
		Legend: plots.LegendTopRight}
	for p := range runs {
		tl.Rows = append(tl.Rows, fmt.Sprintf("host %d", p))
	}
	ms := func(d time.Duration) float64 { return d.Seconds() * 1e3 }
	// One time axis: from the first host's start of the forward pass.
	zero, back := runs[0].Forward.Origin, runs[0].Backward.Origin
	for _, lr := range runs {
		if lr.Forward.Origin.Before(zero) {
			zero = lr.Forward.Origin
		}
		if lr.Backward.Origin.Before(back) {
			back = lr.Backward.Origin
		}
	}
	for p, lr := range runs {
		for _, pass := range []ring.Stats{lr.Forward, lr.Backward} {
			off := ms(pass.Origin.Sub(zero))
			for _, s := range pass.Steps {
				tl.Spans = append(tl.Spans,
					plots.Span{Row: p, Lane: 0, Start: off + ms(s.Start), End: off + ms(s.ComputeEnd), Kind: kCompute},
					plots.Span{Row: p, Lane: 0, Start: off + ms(s.ComputeEnd), End: off + ms(s.End), Kind: kIdle})
				if s.CommEnd > s.Start {
					tl.Spans = append(tl.Spans, plots.Span{Row: p, Lane: 1, Start: off + ms(s.Start), End: off + ms(s.CommEnd), Kind: kComm})
				}
			}
		}
	}
	offset := ms(back.Sub(zero))
	if c.Backward {
		tl.VLines = []plots.VLine{{X: offset, Label: "backward"}}
	}
	return tl
}
