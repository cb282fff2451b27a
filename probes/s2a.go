package probes

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/attnlab/attnlab/induction"
	"github.com/attnlab/attnlab/internal/membudget"
	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/tasks"
)

// S2ACondition is one way of answering a distractor-recall question
// (Weston and Sukhbaatar 2023, §3).
type S2ACondition uint8

const (
	// S2ABaseline answers on the full context: [BOS, context, ?, k].
	S2ABaseline S2ACondition = iota
	// S2AOracle answers on the clean context (the facts alone).
	S2AOracle
	// S2ARegen (System 2 Attention) regenerates the context, then answers
	// on the regenerated context only: [BOS, regenerated, ?, k].
	S2ARegen
	// S2AKeepOrig answers on the original context followed by the
	// regenerated one: [BOS, context, regenerated, ?, k].
	S2AKeepOrig
	// S2AInstructed answers on the full context behind the "ignore
	// opinions" token, with the model trained to know it.
	S2AInstructed
	// S2AInstructedNoToken is the instructed model on the full context
	// without its token: whether what it learnt from the token leaks into
	// its uninstructed answers (only when it is a model of its own).
	S2AInstructedNoToken
)

// S2AConditions lists the conditions every evaluation has, in report
// order; S2AInstructedNoToken follows them when the instructed model is
// not the answerer.
var S2AConditions = []S2ACondition{S2ABaseline, S2AOracle, S2ARegen, S2AKeepOrig, S2AInstructed}

func (c S2ACondition) String() string {
	switch c {
	case S2ABaseline:
		return "baseline"
	case S2AOracle:
		return "oracle"
	case S2ARegen:
		return "s2a"
	case S2AKeepOrig:
		return "s2a-keeporig"
	case S2AInstructed:
		return "instructed"
	case S2AInstructedNoToken:
		return "instructed-notoken"
	}
	return fmt.Sprintf("S2ACondition(%d)", uint8(c))
}

// instructedModel reports whether the condition runs the instructed model.
func (c S2ACondition) instructedModel() bool { return c == S2AInstructed || c == S2AInstructedNoToken }

// Hashes returns each set's hash (tasks.HashDistractorExamples) by rate,
// for provenance.
func (r *S2AResult) Hashes() map[string]string {
	h := map[string]string{}
	for _, s := range r.Sets {
		h[strconv.FormatFloat(s.Rate, 'g', -1, 64)] = s.Hash
	}
	return h
}

// S2AModels are the models of a System 2 Attention evaluation.
type S2AModels struct {
	Answerer    *model.Model // trained on clean contexts (tasks.ModeAnswer)
	Instructed  *model.Model // knows the ignore token (tasks.ModeInstructed); nil: the Answerer
	Regenerator *model.Model // rewrites a context without its distractors (tasks.ModeRegenerate)
}

// S2ASet is the evaluation set at one distractor rate.
type S2ASet struct {
	Rate     float64
	Examples []tasks.DistractorExample
}

// S2AOptions configures EvaluateS2A.
type S2AOptions struct {
	Seed uint64 // seeds the bootstrap intervals
	// HeadThreshold picks the retrieval heads: those whose retrieval score
	// (S2AHeads) is at least this; the best head when none is. Default 0.3.
	HeadThreshold float64
	Workers       int // goroutines; default GOMAXPROCS. Results do not depend on it.
	Chunk         int // sequences per forward pass; default 64
}

// S2AResult is what EvaluateS2A measures.
type S2AResult struct {
	Conditions []S2ACondition // those measured, in the order of each set's results
	Sets       []S2ASetResult
	// Heads: the retrieval heads of the answerer and of the instructed
	// model (the same model when no instructed model is given).
	Answerer, Instructed S2AHeads
	Opt                  S2AOptions
}

// S2AHeads scores a model's heads as retrieval heads, on the oracle inputs
// of every set:
//
//	score(l, h) = mean over examples of pattern_{l,h}[q, p_v]
//
// where q is the last position (the queried key) and p_v the position of
// the queried fact's value: the attention that reads the answer.
type S2AHeads struct {
	Model  string      // "answerer" or "instructed"
	Scores [][]float64 // [layer][head]
	Chosen []model.HeadID
}

// S2ASetResult is one distractor rate.
type S2ASetResult struct {
	Rate       float64
	N          int             // examples
	Hash       string          // tasks.HashDistractorExamples of the set
	Conditions []S2ACondResult // in S2AResult.Conditions order
	Regen      S2ARegenStats
}

// S2ACondResult is one condition at one rate.
type S2ACondResult struct {
	Condition S2ACondition
	// Accuracy: the answer (argmax of the last position's logits) is the
	// queried fact's value. FollowsOpinion: it is an opinion's value.
	Accuracy, FollowsOpinion induction.Stat
	// Attention of the retrieval heads from the last position, summed over
	// the positions of each role and averaged over the chosen heads
	// (S2AMass).
	Mass S2AMass
	// Tokens is the mean number of tokens the models process per example:
	// the answerer's input, plus for s2a and s2a-keeporig the regenerator's
	// prompt and every token it writes.
	Tokens float64
	// Seconds is the wall time per example (regeneration included where
	// there is one): it depends on the machine and its load.
	Seconds float64
	// FLOPs is the matrix-product work per example, counted
	// (model.Config.ForwardFLOPs of every model run, the regenerator's
	// prompt and rewrite included): the same on every machine.
	FLOPs float64
}

// S2AMass is the attention mass of the retrieval heads from the last
// position (the queried key) on the tokens of each role:
//
//	mass_role = 1/|R| Σ_{(l,h) ∈ R} Σ_{j : role(j) = role} pattern_{l,h}[q, j]
//
// per example, R the chosen retrieval heads; summarised over examples.
// Distractor is Opinion + Irrelevant; Answer is the queried fact's key and
// value (both copies in s2a-keeporig).
type S2AMass struct {
	Distractor, Opinion, Irrelevant, Answer induction.Stat
}

// S2ARegenStats are the regenerator's errors at one rate, its output
// parsed against the example (tasks.DistractorExample.Parse).
type S2ARegenStats struct {
	Exact          float64 // the output is exactly the clean context
	FactsDropped   float64 // Σ facts missing / Σ facts
	AnswerDropped  float64 // the queried fact is missing
	OpinionsKept   float64 // Σ opinions kept / Σ opinions (NaN without opinions)
	IrrelevantKept float64 // Σ irrelevant pairs kept / Σ irrelevant pairs (NaN without)
	Invented       float64 // pairs that are no item of the context, per example
	Malformed      float64 // tokens that form no pair, per example
	NoEOS          float64 // the output reached its length limit without EOS
	Written        float64 // tokens written per example (EOS included)
}

// s2aRun is one example's answer under one condition.
type s2aRun struct {
	input   []int32
	roles   []tasks.DistractorRole // [T] of input
	answer  int32
	last    []float32 // [L, H, T] attention of the last position
	seconds float64
	flops   float64 // model.Config.ForwardFLOPs of the input
}

func (o S2AOptions) withDefaults() S2AOptions {
	if o.HeadThreshold == 0 {
		o.HeadThreshold = 0.3
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.Chunk <= 0 {
		o.Chunk = 64
	}
	return o
}

// EvaluateS2A answers every example of every set under each condition and
// measures accuracy (with 95% bootstrap intervals, induction.Summarize),
// the attention mass the retrieval heads put on distractors, the
// regenerator's errors and the compute each condition costs.
//
// The regenerator writes greedily (argmax) with the KV-cache decoder
// (model.Decoder), token by token after its prompt [BOS, context, ?, k,
// regen], until EOS or until the rewritten context could no longer fit the
// answerer next to the original (s2a-keeporig). Examples are independent,
// so they run on Workers goroutines with identical results.
func EvaluateS2A(ctx context.Context, m S2AModels, sets []S2ASet, opt S2AOptions) (*S2AResult, error) {
	opt = opt.withDefaults()
	if m.Instructed == nil {
		m.Instructed = m.Answerer
	}
	if err := checkS2A(m, sets); err != nil {
		return nil, err
	}
	conds := slices.Clone(S2AConditions)
	if m.Instructed != m.Answerer {
		conds = append(conds, S2AInstructedNoToken)
	}
	res := &S2AResult{Opt: opt, Conditions: conds}
	runs := make([][][]s2aRun, len(sets)) // [set][condition][example]
	for si, set := range sets {
		regen, stats, err := regenerateAll(ctx, m.Regenerator, m.Answerer.Config.NCtx, set.Examples, opt.Workers)
		if err != nil {
			return nil, err
		}
		runs[si] = make([][]s2aRun, len(conds))
		for ci, c := range conds {
			inputs := make([]s2aRun, len(set.Examples))
			for i, e := range set.Examples {
				inputs[i] = s2aInput(c, e, regen[i].out)
			}
			mod := m.Answerer
			if c.instructedModel() {
				mod = m.Instructed
			}
			if err := answerAll(ctx, mod, inputs, opt); err != nil {
				return nil, err
			}
			runs[si][ci] = inputs
		}
		sr := S2ASetResult{Rate: set.Rate, N: len(set.Examples), Hash: tasks.HashDistractorExamples(set.Examples), Regen: stats}
		for ci, c := range conds {
			sr.Conditions = append(sr.Conditions, summarizeS2A(c, set.Examples, runs[si][ci], regen, opt.Seed))
		}
		res.Sets = append(res.Sets, sr)
	}
	oracle := slices.Index(S2AConditions, S2AOracle)
	res.Answerer = retrievalHeads("answerer", m.Answerer.Config, sets, runs, oracle, opt.HeadThreshold)
	res.Instructed = res.Answerer
	if m.Instructed != m.Answerer {
		// The instructed model's heads, scored on its own oracle runs: the
		// clean context behind the ignore token.
		ir, err := instructedOracle(ctx, m.Instructed, sets, opt)
		if err != nil {
			return nil, err
		}
		res.Instructed = retrievalHeads("instructed", m.Instructed.Config, sets, ir, 0, opt.HeadThreshold)
	}
	for si := range res.Sets {
		for ci, c := range conds {
			heads := res.Answerer.Chosen
			if c.instructedModel() {
				heads = res.Instructed.Chosen
			}
			res.Sets[si].Conditions[ci].Mass = massS2A(runs[si][ci], m.Answerer.Config.NHeads, heads, opt.Seed)
		}
	}
	return res, nil
}

// checkS2A validates models and sets before any work.
func checkS2A(m S2AModels, sets []S2ASet) error {
	if m.Answerer == nil || m.Regenerator == nil {
		return fmt.Errorf("probes: s2a needs an answerer and a regenerator")
	}
	if len(sets) == 0 {
		return fmt.Errorf("probes: s2a needs at least one set of examples")
	}
	a, ins, g := m.Answerer.Config, m.Instructed.Config, m.Regenerator.Config
	if ins.NLayers != a.NLayers || ins.NHeads != a.NHeads {
		// Masses are averaged over heads by position in [L, H]; keep the
		// bookkeeping simple by requiring the same shape.
		return fmt.Errorf("probes: the instructed model (%d layers × %d heads) must have the answerer's shape (%d × %d)", ins.NLayers, ins.NHeads, a.NLayers, a.NHeads)
	}
	examples := 0
	for _, s := range sets {
		if len(s.Examples) == 0 {
			return fmt.Errorf("probes: the set at rate %v has no examples", s.Rate)
		}
		for _, e := range s.Examples {
			vocab := int(slices.Max(append(e.RegenPrompt(), e.Answer, tasks.DistractorEOS))) + 1
			for _, c := range []struct {
				name string
				cfg  model.Config
			}{{"answerer", a}, {"instructed model", ins}, {"regenerator", g}} {
				if c.cfg.DVocab < vocab {
					return fmt.Errorf("probes: the %s's d_vocab %d is too small for the task's tokens (up to %d)", c.name, c.cfg.DVocab, vocab-1)
				}
			}
			n, clean := len(e.Context()), len(e.Clean())
			switch {
			case n+4 > ins.NCtx:
				return fmt.Errorf("probes: the instructed model's n_ctx %d cannot hold a context of %d tokens with its prompt (%d)", ins.NCtx, n, n+4)
			case len(e.RegenPrompt())+clean > g.NCtx:
				return fmt.Errorf("probes: the regenerator's n_ctx %d cannot hold a prompt of %d tokens and the %d-token rewrite", g.NCtx, len(e.RegenPrompt()), clean)
			case 1+n+clean+2 > a.NCtx:
				return fmt.Errorf("probes: the answerer's n_ctx %d cannot hold a context of %d tokens, its %d-token rewrite and the question (s2a-keeporig)", a.NCtx, n, clean)
			}
		}
		examples += len(s.Examples)
	}
	// The last-position attention rows kept per condition and example, and
	// the rewrites and inputs (int32) beside them.
	var est membudget.Estimate
	est.Add(4, examples, len(S2AConditions)+1, a.NLayers, a.NHeads, a.NCtx)
	est.Add(4, examples, len(S2AConditions)+2, a.NCtx)
	return est.Check(fmt.Sprintf("an s2a evaluation of %d contexts", examples))
}

// s2aInput builds the answerer's input of one condition and labels its
// positions.
func s2aInput(c S2ACondition, e tasks.DistractorExample, regen []int32) s2aRun {
	full := e.Context()
	var ctxs [][]int32
	switch c {
	case S2ABaseline, S2AInstructed, S2AInstructedNoToken:
		ctxs = [][]int32{full}
	case S2AOracle:
		ctxs = [][]int32{e.Clean()}
	case S2ARegen:
		ctxs = [][]int32{regen}
	case S2AKeepOrig:
		ctxs = [][]int32{full, regen}
	}
	var joined []int32
	roles := []tasks.DistractorRole{tasks.RoleOther} // BOS
	if c == S2AInstructed {
		roles = append(roles, tasks.RoleOther) // the ignore token
	}
	for _, x := range ctxs {
		joined = append(joined, x...)
		roles = append(roles, e.Roles(x)...)
	}
	roles = append(roles, tasks.RoleOther, tasks.RoleOther) // ?, k
	in := e.AnswerPrompt(joined)
	if c == S2AInstructed {
		in = e.InstructedPrompt(joined)
	}
	return s2aRun{input: in, roles: roles}
}

// answerAll runs mod on every input in chunks of opt.Chunk sequences (padded
// with tasks.DistractorPad after their end, which a causal model never sees
// from the last real position) and fills answer, last, seconds and flops.
func answerAll(ctx context.Context, mod *model.Model, runs []s2aRun, opt S2AOptions) error {
	c := mod.Config
	names := make([]string, c.NLayers)
	for l := range names {
		names[l] = model.HookPattern(l)
	}
	chunks := (len(runs) + opt.Chunk - 1) / opt.Chunk
	return parallel(ctx, chunks, opt.Workers, func(k int) error {
		part := runs[k*opt.Chunk : min(len(runs), (k+1)*opt.Chunk)]
		T := 0
		for _, r := range part {
			T = max(T, len(r.input))
		}
		B := len(part)
		tokens := make([]int32, B*T)
		for b, r := range part {
			row := tokens[b*T : (b+1)*T]
			copy(row, r.input)
			for p := len(r.input); p < T; p++ {
				row[p] = tasks.DistractorPad
			}
		}
		start := time.Now()
		out, err := mod.Run(tokens, B, T, model.RunOptions{CacheNames: names})
		if err != nil {
			return err
		}
		secs := time.Since(start).Seconds() / float64(B)
		for b := range part {
			part[b].flops = c.ForwardFLOPs(len(part[b].input))
		}
		V, L, H := c.DVocab, c.NLayers, c.NHeads
		for b := range part {
			r := &part[b]
			q := len(r.input) - 1
			r.answer = int32(argmax(out.Logits.Data[(b*T+q)*V : (b*T+q+1)*V]))
			r.last = make([]float32, L*H*(q+1))
			for l := range L {
				pat := out.Cache[names[l]].Data // [B, H, T, T]
				for h := range H {
					copy(r.last[(l*H+h)*(q+1):][:q+1], pat[((b*H+h)*T+q)*T:][:q+1])
				}
			}
			r.seconds = secs
		}
		return nil
	})
}

// instructedOracle runs the instructed model on the clean context behind
// the ignore token, for its head scores: runs[set][0][example].
func instructedOracle(ctx context.Context, mod *model.Model, sets []S2ASet, opt S2AOptions) ([][][]s2aRun, error) {
	out := make([][][]s2aRun, len(sets))
	for si, s := range sets {
		runs := make([]s2aRun, len(s.Examples))
		for i, e := range s.Examples {
			clean := e.Clean()
			runs[i] = s2aRun{input: e.InstructedPrompt(clean),
				roles: append(append([]tasks.DistractorRole{tasks.RoleOther, tasks.RoleOther}, e.Roles(clean)...), tasks.RoleOther, tasks.RoleOther)}
		}
		if err := answerAll(ctx, mod, runs, opt); err != nil {
			return nil, err
		}
		out[si] = [][]s2aRun{runs}
	}
	return out, nil
}

// retrievalHeads scores every head on runs[set][cond] (S2AHeads) and picks
// those at or above threshold, or the best one.
func retrievalHeads(name string, c model.Config, sets []S2ASet, runs [][][]s2aRun, cond int, threshold float64) S2AHeads {
	L, H := c.NLayers, c.NHeads
	h := S2AHeads{Model: name, Scores: make([][]float64, L)}
	for l := range L {
		h.Scores[l] = make([]float64, H)
	}
	n := 0
	for si := range sets {
		if runs == nil || runs[si] == nil {
			continue
		}
		for i, r := range runs[si][cond] {
			e := sets[si].Examples[i]
			pv := -1
			for p, role := range r.roles {
				if role == tasks.RoleAnswer && r.input[p] == e.Answer {
					pv = p
				}
			}
			if pv < 0 {
				continue
			}
			T := len(r.input)
			for l := range L {
				for hd := range H {
					h.Scores[l][hd] += float64(r.last[(l*H+hd)*T+pv])
				}
			}
			n++
		}
	}
	best, bestScore := model.HeadID{}, math.Inf(-1)
	for l := range L {
		for hd := range H {
			h.Scores[l][hd] /= float64(max(n, 1))
			if s := h.Scores[l][hd]; s >= threshold {
				h.Chosen = append(h.Chosen, model.HeadID{Layer: l, Head: hd})
			}
			if h.Scores[l][hd] > bestScore {
				best, bestScore = model.HeadID{Layer: l, Head: hd}, h.Scores[l][hd]
			}
		}
	}
	if len(h.Chosen) == 0 {
		h.Chosen = []model.HeadID{best}
	}
	return h
}

// massS2A summarises the attention mass of the chosen heads per role.
func massS2A(runs []s2aRun, H int, heads []model.HeadID, seed uint64) S2AMass {
	var dis, op, ir, ans []float64
	for _, r := range runs {
		T := len(r.input)
		var m [5]float64 // by role
		for _, hd := range heads {
			row := r.last[(hd.Layer*H+hd.Head)*T:][:T]
			for j, role := range r.roles {
				m[role] += float64(row[j])
			}
		}
		k := float64(len(heads))
		op, ir = append(op, m[tasks.RoleOpinion]/k), append(ir, m[tasks.RoleIrrelevant]/k)
		dis = append(dis, (m[tasks.RoleOpinion]+m[tasks.RoleIrrelevant])/k)
		ans = append(ans, m[tasks.RoleAnswer]/k)
	}
	return S2AMass{Distractor: induction.Summarize(dis, seed), Opinion: induction.Summarize(op, seed),
		Irrelevant: induction.Summarize(ir, seed), Answer: induction.Summarize(ans, seed)}
}

// summarizeS2A turns one condition's answers into accuracy and compute.
func summarizeS2A(c S2ACondition, exs []tasks.DistractorExample, runs []s2aRun, regen []regenOut, seed uint64) S2ACondResult {
	res := S2ACondResult{Condition: c}
	acc, follows := make([]float64, len(runs)), make([]float64, len(runs))
	var tokens, secs, flops float64
	for i, r := range runs {
		e := exs[i]
		if r.answer == e.Answer {
			acc[i] = 1
		}
		for _, it := range e.Items {
			if it.Kind == tasks.ItemOpinion && it.Value == r.answer {
				follows[i] = 1
			}
		}
		tokens += float64(len(r.input))
		secs += r.seconds
		flops += r.flops
		if c == S2ARegen || c == S2AKeepOrig {
			tokens += float64(regen[i].processed)
			secs += regen[i].seconds
			flops += regen[i].flops
		}
	}
	n := float64(len(runs))
	res.Accuracy, res.FollowsOpinion = induction.Summarize(acc, seed), induction.Summarize(follows, seed)
	res.Tokens, res.Seconds, res.FLOPs = tokens/n, secs/n, flops/n
	return res
}

// parallel runs f(0..n-1) on workers goroutines, stopping at the first
// error or when ctx is cancelled.
func parallel(ctx context.Context, n, workers int, f func(i int) error) error {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs error
	)
	next := make(chan int)
	for range min(workers, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := f(i); err != nil {
					mu.Lock()
					if errs == nil {
						errs = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	for i := range n {
		mu.Lock()
		stop := errs != nil
		mu.Unlock()
		if stop || ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if errs != nil {
		return errs
	}
	return ctx.Err()
}

func argmax(x []float32) int {
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	return best
}
