package induction

import (
	"fmt"
	"slices"

	"github.com/attnlab/attnlab/model"
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
	var heads []model.HeadID
	for _, hd := range append(slices.Clone(r.InductionHeads), r.PrevPartners...) {
		if !slices.Contains(heads, hd) {
			heads = append(heads, hd)
		}
	}
	var out []report.PatternView
	for _, hd := range heads {
		if !slices.ContainsFunc(r.Heads, func(h HeadScores) bool { return h.HeadID == hd }) {
			continue
		}
		l, h := hd.Layer, hd.Head
		role := "induction head"
		if !slices.Contains(r.InductionHeads, hd) {
			role = "previous-token partner"
		}
		out = append(out, report.PatternView{Head: hd.String(), Tokens: tokens, Pattern: r.Patterns[l][h*T*T : (h+1)*T*T],
			Caption: fmt.Sprintf("%s on [BOS, x×%d, x×%d], sequence 0 (token ids)", role, r.L, r.L)})
	}
	return out
}
