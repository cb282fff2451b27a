// Package retrieval is the exact-recall comparison of softmax and linear
// attention that attnlab retrieval runs, in up to three parts:
//
//   - analytic: probes.Analytic and probes.KernelFidelity, no training;
//   - mqar: the trained multi-query associative recall grid, or one shard
//     of it (studies/mqar: embedded models where a cell has one);
//   - scaling: probes.Scaling, one head's attention time against N.
//
// Check validates every part's sizes before Run runs any part, so a bad
// setting never costs a part's run. Messages and the progress bar go to
// Options.Log.
package retrieval

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/attnlab/attnlab/internal/badinput"
	"github.com/attnlab/attnlab/internal/list"
	"github.com/attnlab/attnlab/optim"
	"github.com/attnlab/attnlab/probes"
	"github.com/attnlab/attnlab/report"
	"github.com/attnlab/attnlab/studies/mqar"
)

// Parts are the parts Run knows, in the order it runs them.
var Parts = []string{"analytic", "mqar", "scaling"}

// ScalingE is d_head of the scaling part's head.
const ScalingE = 64

// ScalingBudget is the time the scaling part spends per form and length.
const ScalingBudget = 500 * time.Millisecond

// Options are one retrieval run.
type Options struct {
	Parts      []string              // which of Parts to run
	Analytic   probes.AnalyticConfig // the analytic part
	Grid       mqar.Grid             // the mqar part's grid
	Shard      mqar.ShardOptions     // which shard of it, how (its Log is set from Log)
	ScalingN   []int                 // the scaling part's sequence lengths
	ScalingMap string                // the scaling part's feature map
	Log        io.Writer             // messages and progress; nil for none
}

// Has reports whether part is one of o.Parts.
func (o Options) Has(part string) bool { return slices.Contains(o.Parts, part) }

// ParseParts reads a comma-separated list of distinct Parts (list.Parse).
// Its error is a *badinput.Setting naming parts.
func ParseParts(s string) ([]string, error) {
	parts, err := list.Strings(s)
	if err != nil {
		return nil, badinput.Settingf("{parts} %v", err)
	}
	if err := checkParts(parts); err != nil {
		return nil, err
	}
	return parts, nil
}

func checkParts(parts []string) error {
	for _, p := range parts {
		if !slices.Contains(Parts, p) {
			return badinput.Settingf("{parts} must list analytic, mqar or scaling, got %q", p)
		}
	}
	return nil
}

// Check validates o before anything runs: the parts, the feature maps
// (analytic and scaling, whether or not their part runs), at least two
// lengths for the scaling part's slope, and the memory every part that
// runs needs. A bad part, map or length list is a *badinput.Setting
// (parts, maps, scaling_map, scaling_n).
func (o Options) Check() error {
	if err := checkParts(o.Parts); err != nil {
		return err
	}
	const known = "(known: elu, relu, favor, favor:M, taylor, identity)"
	for _, m := range o.Analytic.Maps {
		if probes.CheckFeatureMap(m) != nil {
			return badinput.Settingf("{maps}: unknown feature map %q "+known, m)
		}
	}
	if probes.CheckFeatureMap(o.ScalingMap) != nil {
		return badinput.Settingf("{scaling_map}: unknown feature map %q "+known, o.ScalingMap)
	}
	if o.Has("analytic") {
		if err := probes.CheckAnalytic(o.Analytic); err != nil {
			return err
		}
	}
	if o.Has("scaling") {
		if len(o.ScalingN) == 0 || slices.Min(o.ScalingN) == slices.Max(o.ScalingN) {
			ns := make([]string, len(o.ScalingN))
			for i, n := range o.ScalingN {
				ns[i] = strconv.Itoa(n)
			}
			return badinput.Settingf("{scaling_n} must list at least two different lengths to fit a slope, got %q", strings.Join(ns, ","))
		}
		return probes.CheckScaling(o.ScalingN, ScalingE, o.ScalingMap)
	}
	return nil
}

// Run runs o's parts and returns their tables and figures, with what they
// ran on in Extra (parts, analytic, the mqar shard).
func Run(ctx context.Context, o Options) (report.Results, error) {
	r := report.Results{Model: "trained per cell", Extra: map[string]any{"parts": o.Parts}}
	if err := o.Check(); err != nil {
		return r, err
	}
	if o.Has("analytic") {
		tick, done := o.progress("analytic probe", "est. M multiply-adds", probes.AnalyticWork(o.Analytic), 1e6)
		rows, err := probes.AnalyticProgress(ctx, o.Analytic, tick)
		done()
		if err != nil {
			return r, err
		}
		r.Append(probes.AnalyticResults(o.Analytic, rows))
		krows, err := probes.KernelFidelity(o.Analytic.Maps, o.Analytic.Dims, 4096, o.Analytic.Seed)
		if err != nil {
			return r, err
		}
		r.Tables = append(r.Tables, probes.KernelTable(krows))
		r.Extra["analytic"] = o.Analytic
	}
	if o.Has("mqar") {
		so := o.Shard
		so.Log = o.Log
		g, err := mqar.RunShard(ctx, o.Grid, so)
		if err != nil {
			return r, err
		}
		r.Append(g)
	}
	if o.Has("scaling") {
		if o.Log != nil {
			fmt.Fprintf(o.Log, "timing attention at N = %v (dense softmax at N = 16384 takes a few seconds)\n", o.ScalingN)
		}
		tick, done := o.progress("scaling", "est. ms of timed runs", probes.ScalingWork(o.ScalingN, ScalingE, o.ScalingMap, ScalingBudget), 1e3)
		pts, err := probes.ScalingProgress(ctx, o.ScalingN, ScalingE, o.ScalingMap, ScalingBudget, tick)
		done()
		if err != nil {
			return r, err
		}
		r.Append(probes.ScalingResults(pts, ScalingE, o.ScalingMap))
	}
	return r, nil
}

// progress reports a part's progress on o.Log (a bar on a terminal, else a
// line at every tenth with the time so far and the time left at the rate
// so far), in units of scale of the part's estimated work total: tick
// takes work in the part's own units (from several goroutines), done ends
// the report. Without a Log both do nothing.
func (o Options) progress(label, unit string, total int, scale float64) (tick func(work int), done func()) {
	if o.Log == nil {
		return nil, func() {}
	}
	p := optim.NewCounter(o.Log, label, unit, max(1, int(float64(total)/scale)), false)
	var mu sync.Mutex
	sum, shown := 0, 0
	return func(work int) {
		mu.Lock()
		sum += work
		n := int(float64(sum)/scale) - shown
		shown += n
		mu.Unlock()
		if n > 0 {
			p.Add(n)
		}
	}, p.Finish
}
