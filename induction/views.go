package induction

import (
	"fmt"
	"slices"

	"github.com/attnlab/attnlab/report"
)

// PatternViews returns, for the interactive view of the HTML report, the
// attention pattern on the first sequence ([B, H, T, T], b = 0) of every head the analysis names:
// the induction heads, then their previous-token partners.
func (r *Report) PatternViews() []report.PatternView {
	T := r.T
	tokens := make([]string, T)
	for i, t := range r.Tokens[:T] {
		tokens[i] = fmt.Sprint(t)
	}
	tokens[0] = "BOS"
	var names []string
	for _, lb := range append(slices.Clone(r.InductionHeads), r.PrevPartners...) {
		if !slices.Contains(names, lb) {
			names = append(names, lb)
		}
	}
	var out []report.PatternView
	for _, lb := range names {
		i := slices.IndexFunc(r.Heads, func(h HeadScores) bool { return h.Label() == lb })
		if i < 0 {
			continue
		}
		l, h := r.Heads[i].Layer, r.Heads[i].Head
		role := "induction head"
		if !slices.Contains(r.InductionHeads, lb) {
			role = "previous-token partner"
		}
		out = append(out, report.PatternView{Head: lb, Tokens: tokens, Pattern: r.Patterns[l][h*T*T : (h+1)*T*T],
			Caption: fmt.Sprintf("%s on [BOS, x×%d, x×%d], sequence 0 (token ids)", role, r.L, r.L)})
	}
	return out
}
