package ringlab

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/attnlab/attnlab/attention/ring"
	"github.com/attnlab/attnlab/internal/badinput"
	"github.com/attnlab/attnlab/internal/membudget"
	"github.com/attnlab/attnlab/internal/ringnet"
	"github.com/attnlab/attnlab/plots"
	"github.com/attnlab/attnlab/report"
)

// Options is a whole `attnlab ring` run: a hosts run, then the sweeps.
type Options struct {
	Config
	// Hosts runs the hosts run; nil runs it with in-process hosts
	// (InProcess). Transport names it in tables; Processes says each host
	// ran in its own process. A run that is not in-process is repeated
	// in-process and compared bit for bit.
	Hosts     HostsRunner
	Transport string
	Processes bool
	// The error sweep: N positions on 1…ErrorMaxP hosts (0 skips it).
	ErrorN, ErrorMaxP int
	// The overlap sweep: OverlapP hosts joined by loopback TCP, one run
	// per block size (none skips it).
	OverlapP      int
	OverlapBlocks []int
}

// HostsRunner runs a hosts run and returns every host's report.
type HostsRunner func(ctx context.Context, c Config) ([]HostReport, error)

// DefaultGrace is how long, after one worker process fails, the others
// get to stop on their own unless Processes is given another grace.
const DefaultGrace = ringnet.DefaultGrace

// InProcess runs the hosts as goroutines joined by ringnet.Local.
func InProcess(ctx context.Context, c Config) ([]HostReport, error) {
	return RunLinks(ctx, c, ringnet.Local(c.P))
}

// Processes runs the hosts as P worker processes on loopback
// (ringnet.Spawn): exe and args give a worker's command line, which must
// run Host with the same Config and, on host 0, print the reports with
// WriteReports. Workers' standard error goes to log. After one worker
// fails, the others get grace to stop on their own (≤ 0: DefaultGrace).
func Processes(exe string, args func(rank int, peers []string) []string, grace time.Duration, log io.Writer) HostsRunner {
	return func(ctx context.Context, c Config) ([]HostReport, error) {
		out, err := ringnet.Spawn(ctx, ringnet.SpawnConfig{Exe: exe, P: c.P, Args: args, Grace: grace, Log: log})
		if err != nil {
			return nil, err
		}
		var reports []HostReport
		if err := json.Unmarshal(out, &reports); err != nil || len(reports) != c.P {
			return nil, fmt.Errorf("ringlab: worker 0 printed %d bytes that are not %d host reports", len(out), c.P)
		}
		return reports, nil
	}
}

// WriteReports writes host 0's gathered reports for a launcher to read.
func WriteReports(w io.Writer, reports []HostReport) error {
	return json.NewEncoder(w).Encode(reports)
}

// Result is everything a run measured.
type Result struct {
	Opt      Options
	Reports  []HostReport // the hosts run, by host
	Compared []HostReport // the in-process run it was compared with; nil if it was in-process
	Hosts    time.Duration
	Errors   []ErrorRow
	Overlap  *OverlapResult
}

// Validate checks the options before anything runs: the hosts run's
// Config, the sweeps' sizes (*badinput.Setting naming error_max_hosts,
// error_n and overlap_hosts; a block size out of range is a
// *badinput.Error) and the memory it needs.
func (o Options) Validate() error {
	if err := o.Config.Validate(); err != nil {
		return err
	}
	switch {
	case o.ErrorMaxP < 0 || o.ErrorMaxP > MaxP:
		return badinput.Settingf("{error_max_hosts} must be 0 (no error sweep) to %d, got %d", MaxP, o.ErrorMaxP)
	case o.ErrorMaxP > 0 && (o.ErrorN < o.ErrorMaxP || o.ErrorN > 1<<14):
		return badinput.Settingf("{error_n} must be %d ({error_max_hosts}) to 16384, got %d", o.ErrorMaxP, o.ErrorN)
	case len(o.OverlapBlocks) > 0 && (o.OverlapP < 2 || o.OverlapP > 64):
		return badinput.Settingf("{overlap_hosts} must be 2 to 64, got %d", o.OverlapP)
	}
	for _, c := range o.OverlapBlocks {
		if c < 2 || c > 1<<14 {
			return badinput.Settingf("{overlap_blocks} must list block sizes of 2…16384 tokens, got %d", c)
		}
	}
	// In-process hosts share this process; a process per host holds one.
	hosts := o.P
	if o.Processes {
		hosts = 1
	}
	return membudget.Check(fmt.Sprintf("a ring of %d hosts over %d positions (%d in this process)", o.P, o.N, hosts),
		membudget.Add(int64(hosts)*o.HostBytes(), 0))
}

// Run runs the hosts run, compares it with an in-process run when it was
// not one, and runs the sweeps.
func Run(ctx context.Context, o Options) (*Result, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if o.Hosts == nil {
		o.Hosts, o.Transport, o.Processes = InProcess, "in-process", false
	}
	r := &Result{Opt: o}
	t0 := time.Now()
	var err error
	if r.Reports, err = o.Hosts(ctx, o.Config); err != nil {
		return nil, err
	}
	r.Hosts = time.Since(t0)
	if o.Processes {
		if r.Compared, err = InProcess(ctx, o.Config); err != nil {
			return nil, err
		}
	}
	if o.ErrorMaxP > 0 {
		if r.Errors, err = ErrorSweep(ctx, o.ErrorN, o.E, o.ErrorMaxP, o.Layouts, o.Seed); err != nil {
			return nil, err
		}
	}
	if len(o.OverlapBlocks) > 0 {
		if r.Overlap, err = Overlap(ctx, o.OverlapP, o.E, o.OverlapBlocks, ring.Zigzag, o.Seed); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// Tables returns every table, in file order.
func (r *Result) Tables() []*report.Table {
	layouts, _, hosts, memory := r.hostsTables()
	ts := []*report.Table{layouts, hosts, memory}
	if r.Errors != nil {
		ts = append(ts, r.errorTable())
	}
	if r.Overlap != nil {
		ts = append(ts, r.overlapTable(), r.whatIfTable())
	}
	return ts
}

// Headline returns the tables for the terminal.
func (r *Result) Headline() []*report.Table {
	_, layouts, _, memory := r.hostsTables()
	ts := []*report.Table{layouts, memory}
	if r.Errors != nil {
		ts = append(ts, r.errorSummary())
	}
	if r.Overlap != nil {
		ts = append(ts, r.overlapTable())
	}
	return ts
}

// Figures returns every figure.
func (r *Result) Figures() []report.Figure {
	figs := r.hostsFigures()
	if r.Errors != nil {
		figs = append(figs, r.errorFigures()...)
	}
	if r.Overlap != nil {
		figs = append(figs, report.Figure{Name: "overlap.png", Fig: r.overlapFigure()})
	}
	return figs
}

func (r *Result) errorTable() *report.Table {
	t := report.NewTable("error", fmt.Sprintf("Error against the float64 dense reference, N = %d, d_head %d", r.Opt.ErrorN, r.Opt.E),
		report.Column{Name: "layout"}, report.Column{Name: "hosts", Format: "%d"},
		report.Column{Name: "out", Format: "%.2e"}, report.Column{Name: "lse", Format: "%.2e"},
		report.Column{Name: "dq", Format: "%.2e"}, report.Column{Name: "dk", Format: "%.2e"}, report.Column{Name: "dv", Format: "%.2e"},
		report.Column{Name: "forward", Unit: "s", Format: "%.4f"}, report.Column{Name: "backward", Unit: "s", Format: "%.4f"},
		report.Column{Name: "reproduced"})
	t.Caption = "error = max |ring − reference| / max |reference| per tensor; reproduced: a second run gave the same bits"
	for _, e := range r.Errors {
		t.Add(e.Layout.String(), e.Hosts, e.Out, e.LSE, e.DQ, e.DK, e.DV, e.Forward.Seconds(), e.Backward.Seconds(), e.Reproduced)
	}
	return t
}

// errorSummary is the largest error over ring sizes, per layout.
func (r *Result) errorSummary() *report.Table {
	t := report.NewTable("error_summary", fmt.Sprintf("Largest error against the float64 reference over 1…%d hosts (N = %d)", r.Opt.ErrorMaxP, r.Opt.ErrorN),
		report.Column{Name: "layout"}, report.Column{Name: "forward", Format: "%.2e"}, report.Column{Name: "backward", Format: "%.2e"},
		report.Column{Name: "reproduced"})
	for _, l := range r.Opt.Layouts {
		f, b, rep := 0.0, 0.0, true
		for _, e := range r.Errors {
			if e.Layout == l {
				f = max(f, e.Out, e.LSE)
				b = max(b, e.DQ, e.DK, e.DV)
				rep = rep && e.Reproduced
			}
		}
		t.Add(l.String(), f, b, rep)
	}
	return t
}

var errYMin, errYMax = 3e-8, 1e-3

func (r *Result) errorFigures() []report.Figure {
	errs := plots.LineChart{Title: fmt.Sprintf("Ring attention error vs ring size, N = %d, d_head %d", r.Opt.ErrorN, r.Opt.E),
		XLabel: "hosts in the ring (P)", YLabel: "relative error vs float64", LogY: true,
		HLines: []plots.HLine{{Y: 1e-5, Label: "acceptance 1e-5"}, {Y: math.Pow(2, -24), Label: "float32 unit roundoff"}}, Legend: plots.LegendTopLeft,
		YMin: &errYMin, YMax: &errYMax} // room above the acceptance line for the legend
	times := plots.LineChart{Title: fmt.Sprintf("Ring attention time vs ring size, N = %d (in-process hosts, 2 cores)", r.Opt.ErrorN),
		XLabel: "hosts in the ring (P)", YLabel: "wall time of the slowest host (ms)", Legend: plots.LegendTopLeft}
	for _, l := range r.Opt.Layouts {
		var x, f, b, tf, tb []float64
		for _, e := range r.Errors {
			if e.Layout == l {
				x = append(x, float64(e.Hosts))
				f = append(f, max(e.Out, e.LSE))
				b = append(b, max(e.DQ, e.DK, e.DV))
				tf = append(tf, e.Forward.Seconds()*1e3)
				tb = append(tb, e.Backward.Seconds()*1e3)
			}
		}
		errs.Series = append(errs.Series, plots.Series{Name: l.String() + " forward (out, lse)", X: x, Y: f},
			plots.Series{Name: l.String() + " backward (dq, dk, dv)", X: x, Y: b, Dashed: true})
		times.Series = append(times.Series, plots.Series{Name: l.String() + " forward", X: x, Y: tf},
			plots.Series{Name: l.String() + " backward", X: x, Y: tb, Dashed: true})
	}
	return []report.Figure{{Name: "error_vs_hosts.png", Fig: errs}, {Name: "time_vs_hosts.png", Fig: times}}
}

func (r *Result) overlapTable() *report.Table {
	o := r.Overlap
	t := report.NewTable("overlap", fmt.Sprintf("Transfer hidden behind compute, %d hosts on loopback TCP (%s): α = %.0f µs, B = %.2f GB/s",
		o.Hosts, o.Layout, o.Alpha.Seconds()*1e6, o.Bandwidth/1e9),
		report.Column{Name: "block", Format: "%d"}, report.Column{Name: "N", Format: "%d"},
		report.Column{Name: "F", Unit: "GFLOP/s", Format: "%.1f"},
		report.Column{Name: "compute", Unit: "ms", Format: "%.3f"}, report.Column{Name: "xfer_pred", Unit: "ms", Format: "%.3f"},
		report.Column{Name: "xfer_meas", Unit: "ms", Format: "%.3f"}, report.Column{Name: "exposed", Unit: "ms", Format: "%.3f"},
		report.Column{Name: "hid_pred", Format: "%.2f"}, report.Column{Name: "hid_meas", Format: "%.2f"})
	last := o.Rows[len(o.Rows)-1]
	t.Caption = fmt.Sprintf("per step, medians of %d runs. block: tokens per host; F: one host's kernel rate while\n"+
		"all compute; xfer_pred = α + bytes/B; xfer_meas: the sender's start to arrival; exposed: its\n"+
		"part after the receiver's computation; hid_pred = Σ min(compute, xfer_pred) / Σ xfer_pred;\n"+
		"hid_meas = 1 − Σ exposed / Σ xfer_meas. A half-masked step hides its transfer from\n"+
		"c ≈ %.0f tokens (2c²E/F = α + 8cE/B with the largest block's F)", overlapReps, o.Crossover(last.F))
	for _, x := range o.Rows {
		t.Add(x.Block, x.N, x.F/1e9, x.Compute.Seconds()*1e3, x.Predict.Seconds()*1e3, x.Transfer.Seconds()*1e3, x.Exposed.Seconds()*1e3, x.Predicted, x.Measured)
	}
	return t
}

func (r *Result) overlapFigure() plots.LineChart {
	o := r.Overlap
	var x, p, m []float64
	for _, row := range o.Rows {
		x = append(x, float64(row.Block))
		p = append(p, row.Predicted)
		m = append(m, row.Measured)
	}
	last := o.Rows[len(o.Rows)-1]
	return plots.LineChart{Title: fmt.Sprintf("Communication hidden behind compute, %d hosts, loopback TCP", o.Hosts),
		XLabel: "block size c (tokens per host)", YLabel: "hidden share of communication time", LogX: true,
		Series: []plots.Series{{Name: "predicted from F, α, B", X: x, Y: p, Dashed: true}, {Name: "measured", X: x, Y: m}},
		VLines: []plots.VLine{{X: o.Crossover(last.F), Label: "predicted crossover"}}, Legend: plots.LegendBottomRight}
}

func (r *Result) whatIfTable() *report.Table {
	t := report.NewTable("whatif", "Block size needed to hide the transfer (c ≥ k·F/B, latency neglected)",
		report.Column{Name: "device"}, report.Column{Name: "link"},
		report.Column{Name: "F", Unit: "TFLOP/s", Format: "%.4g"}, report.Column{Name: "B", Unit: "GB/s", Format: "%.4g"},
		report.Column{Name: "c_bf16_full", Format: "%.0f"}, report.Column{Name: "c_bf16_half", Format: "%.0f"},
		report.Column{Name: "c_f32_half", Format: "%.0f"}, report.Column{Name: "source"})
	t.Caption = "c_bf16_full = F/B (Liu et al. 2023: a full c×c pair, bf16 K and V); _half: zigzag and stripe\n" +
		"steps compute half a pair (2F/B); f32 doubles the bytes, as attnlab sends them. F: dense bf16\n" +
		"peak; B: one direction of the ring's link. Last row: this machine, F of one in-process host\n" +
		"(float32) and loopback TCP, measured in the overlap sweep"
	for _, w := range WhatIfs {
		t.Add(w.Device, w.Link, w.F/1e12, w.B/1e9, MinBlock(w.F, w.B, 2, false), MinBlock(w.F, w.B, 2, true), MinBlock(w.F, w.B, 4, true), w.Source)
	}
	o := r.Overlap
	F := o.Rows[len(o.Rows)-1].F
	t.Add("this machine (1 host of the ring)", "loopback TCP", F/1e12, o.Bandwidth/1e9, MinBlock(F, o.Bandwidth, 2, false),
		MinBlock(F, o.Bandwidth, 2, true), MinBlock(F, o.Bandwidth, 4, true), "measured (overlap.csv)")
	return t
}
