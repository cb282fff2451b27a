// Package reach is the sparse-attention reach study: how far back the
// induction circuit copies when attention is sparse. Two-layer
// attention-only models, one per attention kind — dense softmax, a sliding
// window of 16, the same window dilated per head (1, 2, 4, 8), the window
// with 4 global tokens, BigBird block-sparse with blocks of 16 — are
// trained with the same recipe and budget on the induction task
// (TrainArgs), then probed with probes.Reach on repeats at controlled copy
// distances: second-repeat loss and the prefix-matching score of the
// induction heads per distance bin.
//
// The models are embedded (fixtures: reach-dense, reach-window, …), each
// recording the attnlab train command that regenerates it; Models returns
// them, or retrains each with that command through the caller's Trainer.
package reach

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/plots"
	"github.com/attnlab/attnlab/probes"
	"github.com/attnlab/attnlab/report"
)

// Window is the window size W of the study's sparse kinds.
const Window = 16

// Spec is one model of the study.
type Spec struct {
	Name string // short label and fixture suffix: "window" → reach-window
	Kind string // attention kind of both layers
}

// Fixture is the embedded model's name.
func (s Spec) Fixture() string { return "reach-" + s.Name }

// Specs are the study's five kinds.
func Specs() []Spec {
	w := strconv.Itoa(Window)
	return []Spec{
		{Name: "dense", Kind: "softmax"},
		{Name: "window", Kind: "window:" + w},
		{Name: "dilated", Kind: "window:" + w + ":d1,2,4,8"},
		{Name: "global", Kind: "window:" + w + ":g4"},
		{Name: "blocksparse", Kind: "block-sparse:" + w},
	}
}

// TrainArgs is the attnlab train command line (without "attnlab" and
// --out) that trains the study's model of kind: for every kind the
// architecture and data of the embedded induction model (repeats of 2–40
// tokens with up to 24 tokens between the copies, so training copy
// distances run from 2 to 64; probed up to 119) and the same budget,
// 3000 steps of 32 × 128 tokens.
func TrainArgs(kind string) []string {
	return strings.Fields("train --task induction --layers 2 --d-model 64 --heads 4 --pos rotary --n-ctx 128 --seq-len 128 " +
		"--max-rep 40 --max-gap 24 --batch 32 --steps 3000 --lr 3e-3 --seed 1 --units 2 --attn " + kind)
}

// TrainMaxDistance is the longest copy distance in TrainArgs' data
// (--max-rep + --max-gap).
const TrainMaxDistance = 40 + 24

// Model is a trained model of the study.
type Model struct {
	Spec
	Model *model.Model
}

// Head is a (layer, head) pair.
type Head struct{ Layer, Head int }

func (h Head) String() string { return fmt.Sprintf("L%dH%d", h.Layer, h.Head) }

// Result is the study's measurement.
type Result struct {
	Models    []Spec
	Bins      [][]probes.ReachBin // [model][bin]
	Induction [][]Head            // [model]: its induction heads (prefix matching ≥ 0.3 at the shortest distances)
	Vocab     int
}

// Run probes every model (probes.Reach with opt).
func Run(ctx context.Context, ms []Model, opt probes.ReachOptions) (*Result, error) {
	r := &Result{}
	for _, m := range ms {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		bins, err := probes.Reach(ctx, m.Model, opt)
		if err != nil {
			return nil, fmt.Errorf("reach: %s: %w", m.Name, err)
		}
		r.Models = append(r.Models, m.Spec)
		r.Bins = append(r.Bins, bins)
		r.Induction = append(r.Induction, inductionHeads(bins[0]))
		r.Vocab = m.Model.Config.DVocab
	}
	return r, nil
}

// inductionHeads are the heads beyond layer 0 whose prefix matching in the
// shortest bin is at least 0.3 (the best such head when none is).
func inductionHeads(b probes.ReachBin) []Head {
	var hs []Head
	best, bh := -1.0, Head{}
	for l := 1; l < len(b.PrefixMatching); l++ {
		for h, v := range b.PrefixMatching[l] {
			if v >= 0.3 {
				hs = append(hs, Head{l, h})
			}
			if v > best {
				best, bh = v, Head{l, h}
			}
		}
	}
	if len(hs) == 0 {
		hs = []Head{bh}
	}
	return hs
}

// inductionScore is the mean prefix matching of the model's induction heads in bin b.
func inductionScore(b probes.ReachBin, hs []Head) float64 {
	s := 0.0
	for _, h := range hs {
		s += b.PrefixMatching[h.Layer][h.Head]
	}
	return s / float64(len(hs))
}

func binLabel(b probes.ReachBin) string { return fmt.Sprintf("%d–%d", b.Lo, b.Hi-1) }

// Tables returns reach (every model × bin) and the two pivots the terminal
// shows: loss and prefix matching by distance, one row per kind.
func (r *Result) Tables() []*report.Table {
	col := func(name, unit string) report.Column { return report.Column{Name: name, Unit: unit} }
	t := report.NewTable("reach", "Induction by copy distance: second-repeat loss and prefix matching per distance bin",
		col("model", ""), col("kind", ""), col("distance_lo", ""), col("distance_hi", ""),
		col("loss_second_repeat", "nats"), col("loss_se", "nats"), col("loss_first_repeat", "nats"),
		col("induction_heads", ""), col("induction_prefix_matching", ""), col("best_head", ""), col("best_prefix_matching", ""))
	for mi, s := range r.Models {
		var names []string
		for _, h := range r.Induction[mi] {
			names = append(names, h.String())
		}
		for _, b := range r.Bins[mi] {
			l, h, v := b.Best()
			t.Add(s.Name, s.Kind, b.Lo, b.Hi-1, b.Loss, b.LossSE, b.FirstLoss, strings.Join(names, " "),
				inductionScore(b, r.Induction[mi]), Head{l, h}.String(), v)
		}
	}
	pivot := func(name, title, unit string, get func(mi int, b probes.ReachBin) float64) *report.Table {
		cols := []report.Column{{Name: "kind"}}
		for _, b := range r.Bins[0] {
			cols = append(cols, report.Column{Name: binLabel(b), Unit: unit, Format: "%.2f"})
		}
		p := report.NewTable(name, title, cols...)
		for mi, s := range r.Models {
			row := []any{s.Kind}
			for _, b := range r.Bins[mi] {
				row = append(row, get(mi, b))
			}
			p.Add(row...)
		}
		return p
	}
	loss := pivot("reach_loss", fmt.Sprintf("Second-repeat loss (nats) by copy distance; chance ln %d = %.2f; window W = %d", r.Vocab, math.Log(float64(r.Vocab)), Window), "",
		func(_ int, b probes.ReachBin) float64 { return b.Loss })
	pm := pivot("reach_prefix_matching", "Prefix matching of the induction heads (mean over them) by copy distance", "",
		func(mi int, b probes.ReachBin) float64 { return inductionScore(b, r.Induction[mi]) })
	return []*report.Table{t, loss, pm}
}

// Headline is the two pivots.
func (r *Result) Headline() []*report.Table { return r.Tables()[1:] }

// Figures: loss and prefix matching against copy distance, one line per
// kind, the window marked.
func (r *Result) Figures() []report.Figure {
	var loss, pm, best []plots.Series
	for mi, s := range r.Models {
		var x, y, lo, hi, p, bp []float64
		for _, b := range r.Bins[mi] {
			x = append(x, float64(b.Lo+b.Hi-1)/2)
			y = append(y, b.Loss)
			lo, hi = append(lo, b.Loss-b.LossSE), append(hi, b.Loss+b.LossSE)
			p = append(p, inductionScore(b, r.Induction[mi]))
			_, _, v := b.Best()
			bp = append(bp, v)
		}
		loss = append(loss, plots.Series{Name: s.Kind, X: x, Y: y, Lo: lo, Hi: hi})
		pm = append(pm, plots.Series{Name: s.Kind, X: x, Y: p})
		best = append(best, plots.Series{Name: s.Kind, X: x, Y: bp})
	}
	zero, one := 0.0, 1.0
	vl := []plots.VLine{{X: Window, Label: fmt.Sprintf("W = %d", Window)}, {X: TrainMaxDistance, Label: "longest copy in training"}}
	return []report.Figure{
		{Name: "reach_loss.png", Fig: plots.LineChart{Title: "Second-repeat loss vs copy distance (same budget)", Width: 8.5, Height: 5,
			XLabel: "copy distance (tokens, bin centre)", YLabel: "second-repeat loss (nats)", Series: loss, LogX: true, Markers: true,
			VLines: vl, HLines: []plots.HLine{{Y: math.Log(float64(r.Vocab)), Label: "chance ln(d_vocab)"}}, Legend: plots.LegendRight}},
		{Name: "reach_prefix_matching.png", Fig: plots.LineChart{Title: "Induction heads' prefix matching vs copy distance", Width: 8.5, Height: 5,
			XLabel: "copy distance (tokens, bin centre)", YLabel: "attention to the token after the earlier copy", Series: pm,
			LogX: true, Markers: true, VLines: vl, YMin: &zero, YMax: &one, Legend: plots.LegendRight}},
		{Name: "reach_best_head.png", Fig: plots.LineChart{Title: "Best head's prefix matching vs copy distance", Width: 8.5, Height: 5,
			XLabel: "copy distance (tokens, bin centre)", YLabel: "attention to the token after the earlier copy", Series: best,
			LogX: true, Markers: true, VLines: vl, YMin: &zero, YMax: &one, Legend: plots.LegendRight}},
	}
}

// Results is what the sparse command writes for the study.
func (r *Result) Results() report.Results {
	induction := map[string]string{}
	for mi, s := range r.Models {
		var names []string
		for _, h := range r.Induction[mi] {
			names = append(names, h.String())
		}
		induction[s.Name] = strings.Join(names, " ")
	}
	return report.Results{Tables: r.Tables(), Headline: r.Headline(), Figures: r.Figures(),
		Extra: map[string]any{"reach_window": Window, "reach_induction_heads": induction}}
}
