package probes

import (
	"context"
	"math"
	"slices"
	"testing"

	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/tasks"
)

// handAnswerer builds, by hand, a two-layer attention-only model (no
// LayerNorm, learned positions, one head per layer) that answers "? k" with
// the token after the LAST earlier occurrence of k: a distractible
// answerer whose answers are known exactly.
//
// Residual layout (D = 2V + P): token one-hot [0, V), position one-hot
// [V, V+P), previous-token one-hot [V+P, 2V+P).
//
//	L0H0, previous-token head: score(i, j) = 40·[j = i−1]; it copies token j into the previous-token slots.
//	L1H0, retrieval head: score(i, j) = 30·[prev(j) = tok(i)] + 0.2·j; it copies token j, ×10, into the token slots.
//
// The unembedding reads the token slots, so the copied token (logit ≈ 10)
// beats the query's own (1). Among several matches the latest wins: the
// recency term gives it the most weight.
func handAnswerer(t *testing.T) *model.Model {
	t.Helper()
	const V, P, E = 128, 64, 136
	D := 2*V + P
	m, err := model.New[float32](model.Config{NLayers: 2, DModel: D, NHeads: 1, DHead: E, DVocab: V, NCtx: P,
		NormalizationType: "", PositionalEmbeddingType: "standard", AttnOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	p := m.Params
	sq := math.Sqrt(E)
	for tk := range V {
		p.WE[tk*D+tk] = 1
		p.WU[tk*V+tk] = 1 // [D, V]: token slot tk → logit tk
	}
	for i := range P {
		p.WPos[i*D+V+i] = 1
	}
	b0, b1 := &p.Blocks[0], &p.Blocks[1]
	for i := range P { // [H, D, E]
		b0.WQ[(V+i)*E+i] = 1
		if i+1 < P {
			b0.WK[(V+i)*E+i+1] = float32(40 * sq)
		}
		b1.WK[(V+i)*E+V] = float32(0.2 * float64(i) * sq) // recency, against b_Q's constant
	}
	b1.BQ[V] = 1
	for tk := range V {
		b0.WV[tk*E+tk] = 1
		b0.WO[tk*D+V+P+tk] = 1 // [H, E, D]
		b1.WQ[tk*E+tk] = float32(30 * sq)
		b1.WK[(V+P+tk)*E+tk] = 1
		b1.WV[tk*E+tk] = 1
		b1.WO[tk*D+tk] = 10
	}
	return m
}

// handBigram builds a one-layer model whose output depends only on the
// current token (attention writes nothing): next(t) = chain[t], else BOS.
func handBigram(t *testing.T, chain map[int32]int32) *model.Model {
	t.Helper()
	const V = 128
	m, err := model.New[float32](model.Config{NLayers: 1, DModel: V, NHeads: 1, DHead: 8, DVocab: V, NCtx: 64,
		NormalizationType: "", PositionalEmbeddingType: "standard", AttnOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	for tk := range V {
		m.Params.WE[tk*V+tk] = 1
	}
	for from, to := range chain {
		m.Params.WU[int(from)*V+int(to)] = 10
	}
	return m
}

// The hand-built examples. The bigram regenerator writes exactly
// "10 90 12 92 11 91" then EOS, whatever it is given.
var (
	regenChain = map[int32]int32{tasks.DistractorRegen: 10, 10: 90, 90: 12, 12: 92, 92: 11, 11: 91, 91: tasks.DistractorEOS}
	// A: the opinion [12 93] comes after the fact (12, 92), so the answerer
	// (last occurrence wins) follows it on the full context; the rewrite is
	// exactly A's clean context.
	exA = tasks.DistractorExample{Query: 12, Answer: 92, Items: []tasks.DistractorItem{
		{Kind: tasks.ItemFact, Key: 10, Value: 90}, {Kind: tasks.ItemFact, Key: 12, Value: 92},
		{Kind: tasks.ItemOpinion, Key: 12, Value: 93}, {Kind: tasks.ItemIrrelevant, Key: 50, Value: 94},
		{Kind: tasks.ItemFact, Key: 11, Value: 91}}}
	// B: the opinion [12 92] comes before the fact (12, 95); the rewrite
	// keeps the opinion (without brackets) and the irrelevant pair and
	// drops the queried fact.
	exB = tasks.DistractorExample{Query: 12, Answer: 95, Items: []tasks.DistractorItem{
		{Kind: tasks.ItemOpinion, Key: 12, Value: 92}, {Kind: tasks.ItemFact, Key: 10, Value: 90},
		{Kind: tasks.ItemFact, Key: 12, Value: 95}, {Kind: tasks.ItemIrrelevant, Key: 11, Value: 91}}}
)

// TestS2AConditionsHandBuilt checks every condition's plumbing on
// hand-built models whose answers are known.
func TestS2AConditionsHandBuilt(t *testing.T) {
	t.Parallel()
	ans, regen := handAnswerer(t), handBigram(t, regenChain)
	res, err := EvaluateS2A(context.Background(), S2AModels{Answerer: ans, Regenerator: regen},
		[]S2ASet{{Rate: 0.4, Examples: []tasks.DistractorExample{exA}}, {Rate: 0.5, Examples: []tasks.DistractorExample{exB}}},
		S2AOptions{Seed: 1, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	// Per condition: correct? follows the opinion?
	want := map[float64]map[S2ACondition][2]float64{
		0.4: {S2ABaseline: {0, 1}, S2AOracle: {1, 0}, S2ARegen: {1, 0}, S2AKeepOrig: {1, 0}, S2AInstructed: {0, 1}},
		0.5: {S2ABaseline: {1, 0}, S2AOracle: {1, 0}, S2ARegen: {0, 1}, S2AKeepOrig: {0, 1}, S2AInstructed: {1, 0}},
	}
	for _, s := range res.Sets {
		for _, c := range s.Conditions {
			w := want[s.Rate][c.Condition]
			if c.Accuracy.Mean != w[0] || c.FollowsOpinion.Mean != w[1] {
				t.Errorf("rate %v %v: accuracy %v, follows opinion %v; want %v, %v", s.Rate, c.Condition, c.Accuracy.Mean, c.FollowsOpinion.Mean, w[0], w[1])
			}
		}
	}
	// The retrieval head is L1H0: it reads the answer on the clean context.
	if !slices.Equal(res.Answerer.Chosen, []model.HeadID{{Layer: 1, Head: 0}}) || res.Answerer.Scores[1][0] < 0.99 || res.Answerer.Scores[0][0] > 0.01 {
		t.Errorf("retrieval heads %v, scores %v; want L1H0 only, scoring ≈ 1", res.Answerer.Chosen, res.Answerer.Scores)
	}
	// Tokens: A's context has 12 tokens, the regenerator's prompt 16, it
	// writes 6 and stops at EOS.
	a := res.Sets[0].Conditions
	for _, tc := range []struct {
		c    S2ACondition
		want float64
	}{{S2ABaseline, 15}, {S2AOracle, 9}, {S2ARegen, 16 + 6 + 9}, {S2AKeepOrig, 16 + 6 + 21}, {S2AInstructed, 16}} {
		if got := a[slices.Index(S2AConditions, tc.c)].Tokens; got != tc.want {
			t.Errorf("%v: %v tokens per example, want %v", tc.c, got, tc.want)
		}
	}
	// FLOPs: the answerer on its input, plus the regenerator on its prompt
	// and the 6 tokens it wrote (no instructed model: the answerer answers).
	af, rf := ans.Config.ForwardFLOPs, regen.Config.ForwardFLOPs
	for _, tc := range []struct {
		c    S2ACondition
		want float64
	}{{S2ABaseline, af(15)}, {S2AOracle, af(9)}, {S2ARegen, rf(16+6) + af(9)}, {S2AKeepOrig, rf(16+6) + af(21)}} {
		if got := a[slices.Index(S2AConditions, tc.c)].FLOPs; got != tc.want || got <= 0 {
			t.Errorf("%v: %v FLOPs per example, want %v", tc.c, got, tc.want)
		}
	}
	// Attention mass: on A's full context the retrieval head splits between
	// the fact's value (position 4) and the opinion's (position 7), by
	// recency: e^{0.2·7} / (e^{0.2·4} + e^{0.2·7}).
	wantOp := math.Exp(1.4) / (math.Exp(0.8) + math.Exp(1.4))
	base := a[0].Mass
	if math.Abs(base.Opinion.Mean-wantOp) > 1e-3 || math.Abs(base.Answer.Mean-(1-wantOp)) > 1e-3 || base.Irrelevant.Mean > 1e-6 {
		t.Errorf("baseline mass: opinion %v, answer %v, irrelevant %v; want %.4f, %.4f, 0", base.Opinion.Mean, base.Answer.Mean, base.Irrelevant.Mean, wantOp, 1-wantOp)
	}
	for _, c := range []S2ACondition{S2AOracle, S2ARegen} {
		if m := a[slices.Index(S2AConditions, c)].Mass; m.Distractor.Mean != 0 || m.Answer.Mean < 0.999 {
			t.Errorf("%v on A: distractor mass %v, answer mass %v; want 0 and 1", c, m.Distractor.Mean, m.Answer.Mean)
		}
	}
	// On B the rewrite keeps the opinion pair: S2A's head reads it.
	if m := res.Sets[1].Conditions[slices.Index(S2AConditions, S2ARegen)].Mass; m.Opinion.Mean < 0.999 {
		t.Errorf("s2a on B: opinion mass %v, want ≈ 1", m.Opinion.Mean)
	}
	// The regenerator's errors.
	if g := res.Sets[0].Regen; g.Exact != 1 || g.FactsDropped != 0 || g.OpinionsKept != 0 || g.IrrelevantKept != 0 || g.Written != 7 || g.NoEOS != 0 {
		t.Errorf("regenerator on A: %+v, want an exact rewrite of 6 tokens and EOS", g)
	}
	if g := res.Sets[1].Regen; g.Exact != 0 || g.FactsDropped != 0.5 || g.AnswerDropped != 1 || g.OpinionsKept != 1 || g.IrrelevantKept != 1 || g.Invented != 0 || g.Malformed != 0 {
		t.Errorf("regenerator on B: %+v, want half the facts dropped (the answer), the opinion and the irrelevant pair kept", g)
	}
	// Tables and figures build, and the headline fits 100 columns.
	if len(res.Tables()) != 4 || len(res.Figures()) != 2 {
		t.Errorf("%d tables, %d figures", len(res.Tables()), len(res.Figures()))
	}
}

// TestS2ARegenerateLimit: a regenerator that never writes EOS stops at the
// room the answerer leaves, and the rewrite counts as having no EOS.
func TestS2ARegenerateLimit(t *testing.T) {
	t.Parallel()
	loop := handBigram(t, map[int32]int32{tasks.DistractorRegen: 10, 10: 90, 90: 10})
	res, err := EvaluateS2A(context.Background(), S2AModels{Answerer: handAnswerer(t), Regenerator: loop},
		[]S2ASet{{Rate: 0.4, Examples: []tasks.DistractorExample{exA}}}, S2AOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// The answerer leaves 64 − 3 − 12 = 49 tokens of room, the
	// regenerator's n_ctx 64 − 16 = 48 after its prompt: the smaller wins.
	if g := res.Sets[0].Regen; g.NoEOS != 1 || g.Written != 48 {
		t.Errorf("looping regenerator: %+v, want 48 tokens and no EOS", g)
	}
}

func TestS2AErrors(t *testing.T) {
	t.Parallel()
	ans, regen := handAnswerer(t), handBigram(t, regenChain)
	set := []S2ASet{{Rate: 0.4, Examples: []tasks.DistractorExample{exA}}}
	long := exA
	for k := int32(20); k < 45; k++ {
		long.Items = append(long.Items, tasks.DistractorItem{Kind: tasks.ItemFact, Key: k, Value: k + 75})
	}
	for name, tc := range map[string]struct {
		m    S2AModels
		sets []S2ASet
	}{
		"no regenerator": {S2AModels{Answerer: ans}, set},
		"no sets":        {S2AModels{Answerer: ans, Regenerator: regen}, nil},
		"empty set":      {S2AModels{Answerer: ans, Regenerator: regen}, []S2ASet{{Rate: 0}}},
		"too long":       {S2AModels{Answerer: ans, Regenerator: regen}, []S2ASet{{Examples: []tasks.DistractorExample{long}}}},
		"shape":          {S2AModels{Answerer: ans, Regenerator: regen, Instructed: regen}, set},
	} {
		if _, err := EvaluateS2A(context.Background(), tc.m, tc.sets, S2AOptions{}); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := EvaluateS2A(ctx, S2AModels{Answerer: ans, Regenerator: regen}, set, S2AOptions{}); err == nil {
		t.Error("a cancelled context should stop the evaluation")
	}
}

// TestS2AInstructedModel: with an instructed model of its own, it answers
// the instructed condition, and its answers without the token are reported
// as instructed-notoken. Here it is a second hand-built answerer that
// cannot write B's answer: on B the two instructed conditions are wrong
// where the answerer's baseline is right.
func TestS2AInstructedModel(t *testing.T) {
	t.Parallel()
	ans, ins := handAnswerer(t), handAnswerer(t)
	ins.Params.Blocks[1].WO[int(exB.Answer)*ins.Config.DModel+int(exB.Answer)] = 0 // it can no longer write B's answer
	res, err := EvaluateS2A(context.Background(), S2AModels{Answerer: ans, Instructed: ins, Regenerator: handBigram(t, regenChain)},
		[]S2ASet{{Rate: 0.4, Examples: []tasks.DistractorExample{exA}}, {Rate: 0.5, Examples: []tasks.DistractorExample{exB}}}, S2AOptions{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Conditions, append(slices.Clone(S2AConditions), S2AInstructedNoToken)) || res.Instructed.Model != "instructed" {
		t.Fatalf("conditions %v, instructed heads of %q", res.Conditions, res.Instructed.Model)
	}
	get := func(set int, c S2ACondition) S2ACondResult {
		return res.Sets[set].Conditions[slices.Index(res.Conditions, c)]
	}
	// On A both models follow the opinion (93) on the full context.
	for _, tc := range []struct {
		set  int
		c    S2ACondition
		want float64
	}{{0, S2AInstructed, 0}, {0, S2AInstructedNoToken, 0}, {1, S2AInstructed, 0}, {1, S2AInstructedNoToken, 0}, {1, S2ABaseline, 1}, {1, S2AOracle, 1}} {
		if got := get(tc.set, tc.c).Accuracy.Mean; got != tc.want {
			t.Errorf("set %d %v: accuracy %v, want %v", tc.set, tc.c, got, tc.want)
		}
	}
	// The instructed model's retrieval head is found on its own runs.
	if !slices.Equal(res.Instructed.Chosen, []model.HeadID{{Layer: 1, Head: 0}}) {
		t.Errorf("instructed retrieval heads %v", res.Instructed.Chosen)
	}
	if tabs := res.Tables(); len(tabs[0].Rows) != 12 {
		t.Errorf("s2a table has %d rows, want 2 rates × 6 conditions", len(tabs[0].Rows))
	}
}

// TestRegenerate: the bigram regenerator writes exA's clean context and
// stops at EOS; with room for 3 tokens it stops there, without EOS.
func TestRegenerate(t *testing.T) {
	t.Parallel()
	g := handBigram(t, regenChain)
	dec, err := g.NewDecoder(g.Config.NCtx, model.TextPositions)
	if err != nil {
		t.Fatal(err)
	}
	out, eos, err := Regenerate(dec, exA, 40)
	if err != nil || !eos || !slices.Equal(out, exA.Clean()) {
		t.Errorf("Regenerate = %v, EOS %v, %v; want %v and EOS", out, eos, err, exA.Clean())
	}
	out, eos, _ = Regenerate(dec, exA, 3)
	if eos || !slices.Equal(out, exA.Clean()[:3]) {
		t.Errorf("Regenerate with room for 3 = %v, EOS %v", out, eos)
	}
}
