package mqar

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/probes"
	"github.com/attnlab/attnlab/report"
)

// KernelMapCell picks the cell whose trained model the kernel-map figure
// shows: the first linear kind of the grid, at its largest d_model, its
// fewest kv pairs and its first seed (the linear cell most likely to have
// learned the lookup). ok is false when the grid has no linear kind.
func (g Grid) KernelMapCell() (c Cell, ok bool) {
	kind := ""
	for _, k := range g.Kinds {
		if strings.HasPrefix(k, "linear:") {
			kind = k
			break
		}
	}
	if kind == "" {
		return Cell{}, false
	}
	d, kv := g.DModels[0], g.KVPairs[0]
	for _, x := range g.DModels {
		d = max(d, x)
	}
	for _, x := range g.KVPairs {
		kv = min(kv, x)
	}
	for _, cell := range g.Cells() {
		if cell.Kind == kind && cell.DModel == d && cell.KVPairs == kv && cell.Seed == g.Seeds[0] {
			return cell, true
		}
	}
	return Cell{}, false
}

// kernelMapColumns are kernel_map.csv's columns.
var kernelMapColumns = []report.Column{
	{Name: "head"}, {Name: "attention"}, {Name: "d_model"}, {Name: "kv_pairs"}, {Name: "seed"},
	{Name: "mean_abs_diff", Format: "%.4f"}, {Name: "max_abs_diff", Format: "%.3f"},
	{Name: "same_top_key", Format: "%.3f"}, {Name: "same_top_key_at_queries", Format: "%.3f"},
	{Name: "linear_on_answer", Format: "%.3f"}, {Name: "softmax_on_answer", Format: "%.3f"},
}

// KernelMaps compares, for every head of the last layer of cell c's model
// m, the layer's linear-attention map with the softmax map of the same q
// and k (probes.KernelMaps) on the cell's first held-out sequence (the
// one EvalMQAR scores first). The table kernel_map.csv has per head the
// mean and largest |linear − softmax| over the causal entries, the
// fraction of positions (and of query positions) whose most-attended key
// is the same in both, and the weight each map puts, averaged over the
// query positions, on the answer: the context position holding the value
// the query asks for, where a lookup head looks after layer 0 has copied
// each key into its value's position. One figure per head,
// kernel_map_L1H0.png, …, draws the two maps and their difference.
func (g Grid) KernelMaps(c Cell, m *model.Model) (*report.Table, []report.Figure, error) {
	task, err := g.Task(c.KVPairs)
	if err != nil {
		return nil, nil, err
	}
	T := g.SeqLenFor(c.KVPairs)
	bt := task.Sample(rand.New(rand.NewPCG(c.Seed, probes.EvalSeedStream)), 1, T)
	t := report.NewTable("kernel_map", fmt.Sprintf("Linear attention's map against softmax on the same q, k (%s, d_model %d, %d kv pairs, one held-out sequence)",
		c.Kind, c.DModel, c.KVPairs), kernelMapColumns...)
	var figs []report.Figure
	last := m.Config.NLayers - 1
	for h := range m.Config.NHeads {
		head := model.HeadID{Layer: last, Head: h}
		km, err := probes.KernelMaps(m, bt.Tokens, head)
		if err != nil {
			return nil, nil, err
		}
		q := onAnswer(km, bt.Tokens, bt.Targets, bt.Mask, 2*c.KVPairs)
		t.Add(head, km.Kind, c.DModel, c.KVPairs, int(c.Seed), km.MeanAbs, km.MaxAbs, km.ArgmaxAgree, q.sameTop, q.linear, q.softmax)
		figs = append(figs, km.Figure("kernel_map_"+head.String()+".png"))
	}
	return t, figs, nil
}

// answerWeights are the query-position averages onAnswer returns.
type answerWeights struct{ sameTop, linear, softmax float64 }

// onAnswer averages, over the query positions (mask 1), whether the two
// maps' most-attended keys agree and the weight each puts on the answer:
// the position j < ctx holding the query's target value.
func onAnswer(km probes.KernelMap, tokens, targets []int32, mask []float32, ctx int) answerWeights {
	T := km.T
	var a answerWeights
	n := 0
	for i := range T {
		if mask[i] == 0 {
			continue
		}
		ans := -1
		for j := 1; j < min(ctx, i+1); j += 2 {
			if tokens[j] == targets[i] {
				ans = j
			}
		}
		if ans < 0 {
			continue
		}
		bl, bs := 0, 0
		for j := 0; j <= i; j++ {
			if km.Linear[i*T+j] > km.Linear[i*T+bl] {
				bl = j
			}
			if km.Softmax[i*T+j] > km.Softmax[i*T+bs] {
				bs = j
			}
		}
		if bl == bs {
			a.sameTop++
		}
		a.linear += km.Linear[i*T+ans]
		a.softmax += km.Softmax[i*T+ans]
		n++
	}
	if n > 0 {
		a.sameTop /= float64(n)
		a.linear /= float64(n)
		a.softmax /= float64(n)
	}
	return a
}
