package sinks

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/report"
)

// PatternViews returns, for the interactive view of the HTML report, the
// attention patterns on the first held-out window (tokens[:T]) of the n
// heads with the largest first-token mass α: where the sink shows, in
// every query's row, as the column of the first token.
func (r *Report) PatternViews(ctx context.Context, m *model.Model, tokens []int32, n int) ([]report.PatternView, error) {
	T := r.T
	if len(tokens) < T {
		return nil, fmt.Errorf("sinks: %d tokens for a window of %d", len(tokens), T)
	}
	type ranked struct {
		id    model.HeadID
		alpha float64
	}
	var hs []ranked
	for l := range r.L {
		for h := range r.H {
			hs = append(hs, ranked{model.HeadID{Layer: l, Head: h}, r.Alpha[l][h]})
		}
	}
	slices.SortStableFunc(hs, func(a, b ranked) int {
		switch {
		case a.alpha > b.alpha:
			return -1
		case a.alpha < b.alpha:
			return 1
		}
		return 0
	})
	hs = hs[:min(n, len(hs))]
	var names []string
	for _, h := range hs {
		if nm := model.HookPattern(h.id.Layer); !slices.Contains(names, nm) {
			names = append(names, nm)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	window := tokens[:T]
	out, err := m.Run(window, 1, T, model.RunOptions{CacheNames: names})
	if err != nil {
		return nil, err
	}
	labels := make([]string, T)
	for i, t := range window {
		switch {
		case i == 0 && r.BOS.On:
			labels[i] = "BOS"
		case m.ByteLevel():
			labels[i] = strconv.QuoteRune(rune(t))
			labels[i] = labels[i][1 : len(labels[i])-1] // the character, escaped, without quotes
		default:
			labels[i] = strconv.Itoa(int(t))
		}
	}
	var views []report.PatternView
	for _, h := range hs {
		p := out.Cache[model.HookPattern(h.id.Layer)].Data[h.id.Head*T*T:][:T*T] // [1, H, T, T]
		views = append(views, report.PatternView{Head: h.id.String(), Tokens: labels, Pattern: p,
			Caption: fmt.Sprintf("first-token mass α = %.3f (uniform %.3f); the first held-out window, first token %s",
				h.alpha, Uniform(T), r.BOS)})
	}
	return views, nil
}
