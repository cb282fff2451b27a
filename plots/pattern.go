package plots

import (
	"fmt"
	"math"
)

// Pattern returns the heatmap of one head's attention pattern on one
// sequence: queries down, keys across, weights on a fixed 0–1 scale.
// pattern is row-major [T, T] (row i is query i's attention over keys
// 0..i); tokens, when given (one per position), label the axes — drawn
// when there are at most MaxTickLabels of them, else positions are shown.
// Keys after the query (masked by causal attention) are grey.
func Pattern(title string, pattern []float32, T int, tokens []string) (Heatmap, error) {
	if T < 1 || len(pattern) != T*T {
		return Heatmap{}, fmt.Errorf("plots: pattern %q has %d weights, want T×T = %d×%d", title, len(pattern), T, T)
	}
	if tokens != nil && len(tokens) != T {
		return Heatmap{}, fmt.Errorf("plots: pattern %q has %d token labels for %d positions", title, len(tokens), T)
	}
	v := make([]float64, T*T)
	for i, x := range pattern {
		v[i] = float64(x)
		if i%T > i/T {
			v[i] = math.NaN() // a key after the query: masked, drawn grey
		}
	}
	xl, yl := "key position", "query position"
	var labels []string
	if tokens != nil && T <= MaxTickLabels {
		xl, yl, labels = "key token", "query token", tokens
	}
	zero, one := 0.0, 1.0
	size := 3.2 + 0.1*float64(min(T, 32))
	return Heatmap{Title: title, XLabel: xl, YLabel: yl, ValueLabel: "attention weight", Rows: T, Cols: T, Values: v,
		RowLabels: labels, ColLabels: labels, Min: &zero, Max: &one, CellText: T <= 12, Width: size + 1.3, Height: size}, nil
}
