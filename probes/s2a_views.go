package probes

import (
	"context"
	"fmt"
	"strconv"

	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/report"
	"github.com/attnlab/attnlab/tasks"
)

// S2APatternViews returns, for the interactive view of the HTML report, the
// attention patterns of the answerer's retrieval heads on the first example
// of set: once on the full context (baseline: opinions and irrelevant pairs
// included) and once on the clean context (oracle), each head's view named
// "L1H2 baseline" and "L1H2 oracle". Tokens are labelled with their role:
// the special tokens by name, context tokens as id:role (f fact, A the
// queried fact, o opinion, i irrelevant).
func S2APatternViews(ctx context.Context, m S2AModels, set S2ASet, heads []model.HeadID) ([]report.PatternView, error) {
	if len(set.Examples) == 0 || m.Answerer == nil {
		return nil, fmt.Errorf("probes: no example or no answerer for the pattern view")
	}
	e := set.Examples[0]
	var views []report.PatternView
	for _, c := range []S2ACondition{S2ABaseline, S2AOracle} {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		r := s2aInput(c, e, nil)
		T := len(r.input)
		var names []string
		for _, h := range heads {
			names = append(names, model.HookPattern(h.Layer))
		}
		out, err := m.Answerer.Run(r.input, 1, T, model.RunOptions{CacheNames: names})
		if err != nil {
			return nil, err
		}
		labels := make([]string, T)
		for i, t := range r.input {
			labels[i] = s2aLabel(t, r.roles[i])
		}
		for _, h := range heads {
			p := out.Cache[model.HookPattern(h.Layer)].Data[h.Head*T*T:][:T*T] // [1, H, T, T]
			views = append(views, report.PatternView{Head: h.String() + " " + c.String(), Tokens: labels, Pattern: p,
				Caption: fmt.Sprintf("retrieval head %s of the answerer, %s input, distractor rate %.2f, example 0: hover the last token (the queried key) to see what it reads",
					h, conditionLabel(c), set.Rate)})
		}
	}
	return views, nil
}

// s2aLabel names a token of a distractor-recall sequence for a reader.
func s2aLabel(t int32, role tasks.DistractorRole) string {
	switch t {
	case tasks.DistractorBOS:
		return "BOS"
	case tasks.DistractorQuery:
		return "?"
	case tasks.DistractorOpen:
		return "["
	case tasks.DistractorClose:
		return "]"
	case tasks.DistractorIgnore:
		return "ignore"
	}
	suffix := map[tasks.DistractorRole]string{tasks.RoleFact: ":f", tasks.RoleAnswer: ":A", tasks.RoleOpinion: ":o", tasks.RoleIrrelevant: ":i"}[role]
	return strconv.Itoa(int(t)) + suffix
}
