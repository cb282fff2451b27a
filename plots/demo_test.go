package plots

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// demoFigures returns one figure of each kind with realistic data.
func demoFigures() map[string]interface{ Save(string) error } {
	rng := rand.New(rand.NewPCG(1, 1))
	figs := map[string]interface{ Save(string) error }{}

	// Layer × head grid of induction scores.
	const layers, heads = 2, 8
	scores := make([]float64, layers*heads)
	for i := range scores {
		scores[i] = 0.1 * rng.Float64()
	}
	scores[1*heads+3], scores[1*heads+6] = 0.92, 0.71
	var rowL, colL []string
	for l := range layers {
		rowL = append(rowL, "L"+string(rune('0'+l)))
	}
	for h := range heads {
		colL = append(colL, "H"+string(rune('0'+h)))
	}
	figs["heads"] = Heatmap{
		Title: "Induction score per head", XLabel: "head", YLabel: "layer",
		ValueLabel: "induction score", Rows: layers, Cols: heads, Values: scores,
		RowLabels: rowL, ColLabels: colL, CellText: true, Min: ptr(0.0), Max: ptr(1.0),
	}

	// Attention pattern of an induction head on a repeated sequence.
	const T = 24
	toks := []string{"<bos>", "the", "cat", "sat", "on", "a", "mat", "and", "dog", "ran", "off", "."}
	var labels []string
	for i := range T {
		labels = append(labels, toks[i%len(toks)])
	}
	pat := make([]float64, T*T)
	for q := range T {
		w := make([]float64, q+1)
		var sum float64
		for k := range w {
			w[k] = 0.05 * rng.Float64()
			if k == 0 {
				w[k] += 0.3
			}
			if q >= len(toks) && k == q-len(toks)+1 {
				w[k] += 3
			}
			sum += w[k]
		}
		for k := range w {
			pat[q*T+k] = w[k] / sum
		}
		for k := q + 1; k < T; k++ {
			pat[q*T+k] = math.NaN()
		}
	}
	figs["pattern"] = Heatmap{
		Title: "L1H3 attention pattern", XLabel: "key position", YLabel: "query position",
		ValueLabel: "attention weight", Rows: T, Cols: T, Values: pat,
		RowLabels: labels, ColLabels: labels, Min: ptr(0.0), Max: ptr(1.0), Width: 6.5, Height: 6,
	}

	// Signed composition scores, diverging.
	comp := make([]float64, 8*8)
	for i := range comp {
		comp[i] = rng.NormFloat64() * 0.3
	}
	var hl []string
	for l := range 2 {
		for h := range 4 {
			hl = append(hl, fmt.Sprintf("L%dH%d", l, h))
		}
	}
	figs["diverging"] = Heatmap{
		Title: "Ablation effect on loss", XLabel: "ablated head", YLabel: "measured head",
		ValueLabel: "Δ loss (nats)", Rows: 8, Cols: 8, Values: comp,
		RowLabels: hl, ColLabels: hl, Diverging: true, CellText: true,
	}

	// A big pattern: raster path and thinned labels.
	const N = 256
	big := make([]float64, N*N)
	for q := range N {
		for k := range N {
			big[q*N+k] = math.Exp(-math.Abs(float64(q-k)) / 20)
		}
	}
	figs["bigpattern"] = Heatmap{
		Title: "Sliding-window pattern", XLabel: "key position", YLabel: "query position",
		ValueLabel: "attention weight", Rows: N, Cols: N, Values: big, Height: 6,
	}

	// Training curves with a phase change.
	steps := make([]float64, 200)
	loss, icl, prev := make([]float64, 200), make([]float64, 200), make([]float64, 200)
	for i := range steps {
		s := float64(i * 50)
		steps[i] = s
		loss[i] = 4.5*math.Exp(-s/800) + 1.2 + 0.6/(1+math.Exp((s-5000)/300)) + 0.02*rng.NormFloat64()
		icl[i] = -0.1 - 0.8/(1+math.Exp(-(s-5000)/300))
		prev[i] = 1.2 + 0.3/(1+math.Exp((s-5000)/300))
	}
	figs["curves"] = LineChart{
		Title: "Training: induction-head phase change", XLabel: "step", YLabel: "loss (nats)",
		Series: []Series{
			{Name: "train loss", X: steps, Y: loss},
			{Name: "in-context learning score", X: steps, Y: icl, Dashed: true},
			{Name: "loss on 2nd half", X: steps, Y: prev},
		},
		VLines: []VLine{{X: 5000, Label: "phase change"}},
		HLines: []HLine{{Y: 0, Label: ""}},
	}

	// Log–log scaling.
	var ns, dense, linear []float64
	for n := 16.0; n <= 16384; n *= 2 {
		ns = append(ns, n)
		dense = append(dense, 1e-6*n*n)
		linear = append(linear, 2e-4*n)
	}
	figs["loglog"] = LineChart{
		Title: "Attention time vs sequence length", XLabel: "sequence length (tokens)", YLabel: "time (ms)",
		Series: []Series{{Name: "dense softmax", X: ns, Y: dense}, {Name: "linear (recurrent)", X: ns, Y: linear}},
		LogX:   true, LogY: true,
	}

	// Grouped bars with negative values.
	figs["bars"] = BarChart{
		Title: "Recall accuracy change vs softmax", XLabel: "attention kind", YLabel: "Δ accuracy",
		Labels: []string{"linear", "window", "sink+window", "longformer", "ring"},
		Groups: []BarGroup{
			{Name: "T=128", Values: []float64{-0.42, -0.1, -0.02, -0.01, 0}},
			{Name: "T=512", Values: []float64{-0.71, -0.3, -0.05, -0.03, 0.01}},
		},
	}
	// A diverging map centred on a baseline marked on the colour bar.
	cmp := make([]float64, 16)
	for i := range cmp {
		cmp[i] = 0.02 + 0.25*rng.Float64()
	}
	figs["baseline"] = Heatmap{
		Title: "K-composition against random heads", XLabel: "reading head", YLabel: "writing head",
		ValueLabel: "composition score", Rows: 4, Cols: 4, Values: cmp, CellText: true,
		Diverging: true, Center: 0.125, Marks: []Mark{{0.125, "random 0.125"}},
	}

	// Accuracy against pairs per d_model: panels, markers, ticks at the
	// measured values, a band over seeds, a chance line.
	pairs := []float64{4, 8, 16, 32, 64}
	var panels []LineChart
	for _, d := range []int{32, 64, 128} {
		c := LineChart{Title: fmt.Sprintf("d_model = %d", d), XLabel: "key-value pairs", YLabel: "accuracy",
			LogX: true, XTicks: pairs, Markers: true, YMin: ptr(0.0), YMax: ptr(1.05),
			HLines: []HLine{{Y: 1.0 / 16, Label: "chance"}}}
		for k, name := range []string{"softmax", "linear:elu", "linear:relu", "linear:taylor"} {
			var y, lo, hi []float64
			for i := range pairs {
				v := 1.0
				if k > 0 {
					v = math.Min(1, float64(d)/(pairs[i]*float64(8*k)))
				}
				y, lo, hi = append(y, v), append(lo, math.Max(0, v-0.05)), append(hi, math.Min(1, v+0.05))
			}
			c.Series = append(c.Series, Series{Name: name, X: pairs, Y: y, Lo: lo, Hi: hi})
		}
		panels = append(panels, c)
	}
	figs["panels"] = Panels{Title: "MQAR accuracy (3 seeds: mean and range)", Charts: panels, SharedLegend: true, Width: 11, Height: 3.8}

	// Reference lines whose labels cross: labels on white, clear of lines.
	var xs, ys []float64
	for i := 1; i <= 100; i++ {
		v := 4.15 + 0.05*rng.NormFloat64()
		if i > 51 {
			v = 0.2 + 0.05*rng.NormFloat64()
		}
		xs, ys = append(xs, float64(i)), append(ys, v)
	}
	figs["reflines"] = LineChart{Title: "Loss by position", XLabel: "position", YLabel: "loss (nats)",
		Series: []Series{{Name: "mean", X: xs, Y: ys}}, Legend: LegendRight,
		VLines: []VLine{{X: 51, Label: "second repeat starts"}}, HLines: []HLine{{Y: 4.1589, Label: "uniform: ln 64 = 4.16"}}}
	return figs
}

func ptr[T any](v T) *T { return &v }

// TestDemo writes every demo figure to $PLOTS_DEMO_DIR (as .png, .svg and
// .pdf) for a person to look at; it is skipped when the variable is unset.
func TestDemo(t *testing.T) {
	dir := os.Getenv("PLOTS_DEMO_DIR")
	if dir == "" {
		t.Skip("set PLOTS_DEMO_DIR to write the demo figures")
	}
	for name, f := range demoFigures() {
		for _, ext := range []string{".png", ".svg", ".pdf"} {
			if err := f.Save(filepath.Join(dir, name+ext)); err != nil {
				t.Fatal(err)
			}
		}
	}
}
