package probes

import (
	"fmt"
	"math"
	"strings"

	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/plots"
	"github.com/attnlab/attnlab/report"
)

// KernelMap is one linear-attention head's pattern on one sequence beside
// the softmax pattern of the same queries and keys.
type KernelMap struct {
	Head    model.HeadID
	Kind    string // the layer's attention kind, "linear:elu"
	T       int
	Linear  []float64 // [T, T] the normalised φ(q)·φ(k) map (the cache's hook_pattern)
	Softmax []float64 // [T, T] causal softmax of q·k/√d_head
	// Mean and largest |linear − softmax| over the causal entries, and
	// the fraction of queries whose most-attended key is the same.
	MeanAbs, MaxAbs, ArgmaxAgree float64
}

// KernelMaps compares what a linear-attention head computes with what
// softmax would on the same queries and keys:
//
//	linear[i,j]  = φ(q_i)·φ(k_j) / Σ_{j'≤i} φ(q_i)·φ(k_j')   (the layer's own pattern)
//	softmax[i,j] = exp(q_i·k_j/√E) / Σ_{j'≤i} exp(q_i·k_j'/√E)
//
// (q, k after rotary for rotary models), on tokens [1, T].
func KernelMaps(m *model.Model, tokens []int32, head model.HeadID) (KernelMap, error) {
	c := m.Config
	if head.Layer < 0 || head.Layer >= c.NLayers || head.Head < 0 || head.Head >= c.NHeads {
		return KernelMap{}, fmt.Errorf("probes: head %v is not in a %d-layer, %d-head model", head, c.NLayers, c.NHeads)
	}
	kind := c.AttentionKind(head.Layer)
	if !strings.HasPrefix(kind, "linear:") {
		return KernelMap{}, fmt.Errorf("probes: layer %d is %s attention, not a linear kind", head.Layer, kind)
	}
	qn, kn := model.HookQ(head.Layer), model.HookK(head.Layer)
	if c.Rotary() {
		qn, kn = model.HookRotQ(head.Layer), model.HookRotK(head.Layer)
	}
	pn := model.HookPattern(head.Layer)
	T := len(tokens)
	out, err := m.Run(tokens, 1, T, model.RunOptions{CacheNames: []string{qn, kn, pn}})
	if err != nil {
		return KernelMap{}, err
	}
	H, E := c.NHeads, c.DHead
	q, k, pat := out.Cache[qn].Data, out.Cache[kn].Data, out.Cache[pn].Data // [1, T, H, E], [1, H, T, T]
	km := KernelMap{Head: head, Kind: kind, T: T, Linear: make([]float64, T*T), Softmax: make([]float64, T*T)}
	scale := 1 / math.Sqrt(float64(E))
	agree, n := 0, 0
	for i := range T {
		qi := q[(i*H+head.Head)*E:][:E]
		row := km.Softmax[i*T : (i+1)*T]
		mx := math.Inf(-1)
		for j := 0; j <= i; j++ {
			kj := k[(j*H+head.Head)*E:][:E]
			s := 0.0
			for e := range E {
				s += float64(qi[e]) * float64(kj[e])
			}
			row[j] = s * scale
			mx = max(mx, row[j])
		}
		z := 0.0
		for j := 0; j <= i; j++ {
			row[j] = math.Exp(row[j] - mx)
			z += row[j]
		}
		bl, bs := 0, 0
		for j := 0; j <= i; j++ {
			row[j] /= z
			l := float64(pat[(head.Head*T+i)*T+j])
			km.Linear[i*T+j] = l
			d := math.Abs(l - row[j])
			km.MeanAbs += d
			km.MaxAbs = max(km.MaxAbs, d)
			n++
			if l > km.Linear[i*T+bl] {
				bl = j
			}
			if row[j] > row[bs] {
				bs = j
			}
		}
		if bl == bs {
			agree++
		}
	}
	km.MeanAbs /= float64(n)
	km.ArgmaxAgree = float64(agree) / float64(T)
	return km, nil
}

// Figure draws the two maps and their difference side by side.
func (km KernelMap) Figure(name string) report.Figure {
	T := km.T
	diff := make([]float64, T*T)
	lin, sm := make([]float64, T*T), make([]float64, T*T)
	for i := range T {
		for j := range T {
			if j > i {
				diff[i*T+j], lin[i*T+j], sm[i*T+j] = math.NaN(), math.NaN(), math.NaN()
				continue
			}
			lin[i*T+j], sm[i*T+j] = km.Linear[i*T+j], km.Softmax[i*T+j]
			diff[i*T+j] = lin[i*T+j] - sm[i*T+j]
		}
	}
	zero, one := 0.0, 1.0
	mk := func(title, value string, v []float64) plots.Heatmap {
		return plots.Heatmap{Title: title, XLabel: "key position", YLabel: "query position", ValueLabel: value,
			Rows: T, Cols: T, Values: v, Min: &zero, Max: &one}
	}
	d := mk("linear − softmax", "difference of attention weights", diff)
	d.Min, d.Max, d.Diverging = nil, nil, true
	return report.Figure{Name: name, Fig: plots.HeatmapPanels{
		Title: fmt.Sprintf("%s (%s): the kernel map against softmax on the same q, k — mean |Δ| %.3f, same top key for %.0f%% of queries",
			km.Head, km.Kind, km.MeanAbs, 100*km.ArgmaxAgree),
		Heatmaps: []plots.Heatmap{mk("linear: φ(q)·φ(k), normalised", "attention weight", lin),
			mk("softmax: exp(q·k/√d_head), normalised", "attention weight", sm), d},
		Width: 14, Height: 4.6}}
}
