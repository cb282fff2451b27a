package tasks

import (
	"math"
	"slices"
	"strings"
	"testing"
)

func mustDistractor(t *testing.T, cfg DistractorConfig) *Distractor {
	t.Helper()
	d, err := NewDistractor(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestDistractorRateExact: every context of a fixed-rate configuration has
// exactly the configured facts, opinions and irrelevant pairs, so the share
// of distractors is the rate asked for, in every row, not on average.
func TestDistractorRateExact(t *testing.T) {
	t.Parallel()
	base := DefaultDistractorConfig()
	for _, tc := range []struct {
		rate       float64
		opin, irre int
	}{{0, 0, 0}, {0.25, 1, 1}, {0.4, 2, 2}, {0.5, 3, 3}, {0.6, 5, 4}} {
		cfg, err := base.WithRate(tc.rate)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Opinions != tc.opin || cfg.Irrelevant != tc.irre || cfg.Rate() != tc.rate {
			t.Errorf("rate %v: %d opinions, %d irrelevant, Rate %v; want %d, %d, %v", tc.rate, cfg.Opinions, cfg.Irrelevant, cfg.Rate(), tc.opin, tc.irre, tc.rate)
		}
		d := mustDistractor(t, cfg)
		for i, e := range d.Examples(newRand(uint64(7+cfg.Opinions)), 300) {
			f, o, ir := e.Count(ItemFact), e.Count(ItemOpinion), e.Count(ItemIrrelevant)
			if f != 6 || o != tc.opin || ir != tc.irre {
				t.Fatalf("rate %v: example %d has %d facts, %d opinions, %d irrelevant", tc.rate, i, f, o, ir)
			}
			if got := float64(o+ir) / float64(f+o+ir); got != tc.rate {
				t.Fatalf("rate %v: example %d has rate %v", tc.rate, i, got)
			}
		}
	}
	if _, err := base.WithRate(0.3); err == nil || !strings.Contains(err.Error(), "not a whole number") {
		t.Errorf("rate 0.3 with 6 facts (2.57 distractors): got %v", err)
	}
	for _, r := range []float64{-0.1, 1, math.NaN()} {
		if _, err := base.WithRate(r); err == nil {
			t.Errorf("rate %v accepted", r)
		}
	}
}

// TestDistractorAnswersCorrect checks the semantics of every example: the
// queried key has exactly one fact, whose value is the answer; opinions
// repeat the queried key with a wrong value; facts are of one topic and
// irrelevant pairs of the other; values are distinct.
func TestDistractorAnswersCorrect(t *testing.T) {
	t.Parallel()
	cfg := DistractorTraining(ModeRegenerate)
	d := mustDistractor(t, cfg)
	topic := func(k int32) int32 { return (k - DistractorFirstKey) / int32(cfg.Keys) }
	isValue := func(v int32) bool { return v >= DistractorFirstKey+2*int32(cfg.Keys) && int(v) < cfg.Vocab() }
	seenOpinionBefore, seenOpinionAfter := false, false
	for i, e := range d.Examples(newRand(3), 2000) {
		facts := 0
		values := map[int32]bool{}
		factAt := -1
		for j, it := range e.Items {
			if !isValue(it.Value) || values[it.Value] {
				t.Fatalf("example %d: value %d out of range or repeated", i, it.Value)
			}
			values[it.Value] = true
			switch it.Kind {
			case ItemFact:
				if topic(it.Key) != topic(e.Query) {
					t.Fatalf("example %d: fact key %d is not of the query's topic", i, it.Key)
				}
				if it.Key == e.Query {
					facts++
					factAt = j
					if it.Value != e.Answer {
						t.Fatalf("example %d: the queried fact has value %d, answer %d", i, it.Value, e.Answer)
					}
				}
			case ItemOpinion:
				if it.Key != e.Query || it.Value == e.Answer {
					t.Fatalf("example %d: opinion %v is not the queried key with a wrong value", i, it)
				}
			case ItemIrrelevant:
				if topic(it.Key) == topic(e.Query) {
					t.Fatalf("example %d: irrelevant key %d is of the query's topic", i, it.Key)
				}
			}
		}
		if facts != 1 {
			t.Fatalf("example %d: %d facts for the queried key", i, facts)
		}
		for j, it := range e.Items {
			if it.Kind == ItemOpinion {
				seenOpinionBefore = seenOpinionBefore || j < factAt
				seenOpinionAfter = seenOpinionAfter || j > factAt
			}
		}
	}
	if !seenOpinionBefore || !seenOpinionAfter {
		t.Error("opinions should come both before and after the fact they contradict")
	}
}

// TestDistractorRegenTargetIsClean: the regenerator's target is the clean
// context (the facts in context order) and EOS, and parsing the original
// context gives back its items with the right roles.
func TestDistractorRegenTargetIsClean(t *testing.T) {
	t.Parallel()
	cfg, _ := DefaultDistractorConfig().WithRate(0.5)
	d := mustDistractor(t, cfg)
	for i, e := range d.Examples(newRand(11), 200) {
		var facts []DistractorItem
		for _, it := range e.Items {
			if it.Kind == ItemFact {
				facts = append(facts, it)
			}
		}
		tgt := e.RegenTarget()
		if tgt[len(tgt)-1] != DistractorEOS {
			t.Fatalf("example %d: target does not end with EOS", i)
		}
		got, _, bad := e.Parse(tgt[:len(tgt)-1])
		if bad != 0 || !slices.Equal(got, facts) {
			t.Fatalf("example %d: target parses to %v (%d malformed), want the facts %v", i, got, bad, facts)
		}
		ctx := e.Context()
		items, span, bad := e.Parse(ctx)
		if bad != 0 || !slices.Equal(items, e.Items) {
			t.Fatalf("example %d: context parses to %v, want %v", i, items, e.Items)
		}
		roles := e.Roles(ctx)
		for j, it := range items {
			want := map[DistractorItemKind]DistractorRole{ItemFact: RoleFact, ItemOpinion: RoleOpinion, ItemIrrelevant: RoleIrrelevant}[it.Kind]
			if it.Kind == ItemFact && it.Key == e.Query {
				want = RoleAnswer
			}
			if roles[span[j]] != want {
				t.Fatalf("example %d: item %v has role %v, want %v", i, it, roles[span[j]], want)
			}
		}
	}
}

// TestDistractorParse: hand-written outputs of a regenerator.
func TestDistractorParse(t *testing.T) {
	t.Parallel()
	k1, k2, kq, ko := int32(10), int32(11), int32(12), int32(50)
	v1, v2, vq, vw, vo := int32(90), int32(91), int32(92), int32(93), int32(94)
	e := DistractorExample{Query: kq, Answer: vq, Items: []DistractorItem{
		{ItemFact, k1, v1}, {ItemOpinion, kq, vw}, {ItemFact, kq, vq}, {ItemIrrelevant, ko, vo}, {ItemFact, k2, v2}}}
	if got, want := e.Context(), []int32{k1, v1, DistractorOpen, kq, vw, DistractorClose, kq, vq, ko, vo, k2, v2}; !slices.Equal(got, want) {
		t.Fatalf("Context %v, want %v", got, want)
	}
	if got, want := e.Clean(), []int32{k1, v1, kq, vq, k2, v2}; !slices.Equal(got, want) {
		t.Fatalf("Clean %v, want %v", got, want)
	}
	// An output that keeps the opinion without brackets, drops k2, invents
	// (k1, v2) and has a stray bracket.
	out := []int32{kq, vw, k1, v1, DistractorClose, k1, v2, kq, vq}
	items, span, bad := e.Parse(out)
	want := []DistractorItem{{ItemOpinion, kq, vw}, {ItemFact, k1, v1}, {ItemInvented, k1, v2}, {ItemFact, kq, vq}}
	if !slices.Equal(items, want) || !slices.Equal(span, []int{0, 2, 5, 7}) || bad != 1 {
		t.Errorf("Parse = %v %v %d, want %v [0 2 5 7] 1", items, span, bad, want)
	}
	roles := e.Roles(out)
	wantRoles := []DistractorRole{RoleOpinion, RoleOpinion, RoleFact, RoleFact, RoleOther, RoleOther, RoleOther, RoleAnswer, RoleAnswer}
	if !slices.Equal(roles, wantRoles) {
		t.Errorf("Roles = %v, want %v", roles, wantRoles)
	}
	if p := e.AnswerPrompt(e.Clean()); p[0] != DistractorBOS || p[len(p)-2] != DistractorQuery || p[len(p)-1] != kq {
		t.Errorf("AnswerPrompt %v", p)
	}
	if p := e.InstructedPrompt(nil); !slices.Equal(p, []int32{DistractorBOS, DistractorIgnore, DistractorQuery, kq}) {
		t.Errorf("InstructedPrompt %v", p)
	}
}

// TestDistractorSample checks the layouts, targets and masks of each mode.
func TestDistractorSample(t *testing.T) {
	t.Parallel()
	for _, mode := range []DistractorMode{ModeAnswer, ModeInstructed, ModeRegenerate, ModeAnswer + 10, ModeInstructed + 10} {
		cfg := DistractorTraining(mode % 10)
		if mode >= 10 { // the same with a shift of up to 2 pad tokens after BOS
			mode -= 10
			cfg.MaxShift = 2
		}
		d := mustDistractor(t, cfg)
		if n, ok := ParseDistractorMode(d.Name()); !ok || n != mode {
			t.Errorf("%v: name %q does not parse back", mode, d.Name())
		}
		T := d.MaxLen()
		if err := d.CheckShape(4, T-1); err == nil {
			t.Errorf("%v: T = MaxLen-1 accepted", mode)
		}
		bt := d.Sample(newRand(5), 256, T)
		if Hash(bt) != Hash(d.Sample(newRand(5), 256, T)) || Hash(bt) == Hash(d.Sample(newRand(6), 256, T)) {
			t.Errorf("%v: sampling is not a function of the seed", mode)
		}
		instructed, longest := 0, 0
		shifts := map[int]int{}
		for row := range bt.B {
			tok, tgt, mask := bt.Row(row)
			if tok[0] != DistractorBOS {
				t.Fatalf("%v row %d does not start with BOS", mode, row)
			}
			shift := 0
			for tok[1+shift] == DistractorPad {
				shift++
			}
			shifts[shift]++
			end := T
			for tok[end-1] == DistractorPad {
				end--
			}
			longest = max(longest, end)
			masked := 0
			for p := range T {
				if (mask[p] != 0) != (tgt[p] != NoTarget) {
					t.Fatalf("%v row %d position %d: mask %v, target %d", mode, row, p, mask[p], tgt[p])
				}
				if mask[p] != 0 {
					masked++
				}
			}
			switch mode {
			case ModeAnswer, ModeInstructed:
				first := slices.Index(tok, DistractorQuery)
				facts := (first - 1 - shift) / 2 // of a clean row: every item is a fact
				if masked < 1 || mask[end-1] == 0 || mask[first+1] == 0 || masked != (end-first)/2 {
					t.Fatalf("%v row %d: %d targets; want one at each queried key after the context", mode, row, masked)
				}
				if tok[1+shift] != DistractorIgnore && masked != facts {
					t.Fatalf("%v row %d: %d questions about %d facts; want every fact asked", mode, row, masked, facts)
				}
				if tok[1+shift] == DistractorIgnore {
					instructed++
				} else if slices.Contains(tok[:end], DistractorOpen) {
					t.Fatalf("%v row %d: an opinion without the ignore token", mode, row)
				}
				// Each target is the value after its key in a fact, and
				// the first question is about the key the opinions repeat.
				asked := map[int32]bool{}
				for q := first + 1; q < end; q += 2 {
					if tok[q-1] != DistractorQuery || asked[tok[q]] {
						t.Fatalf("%v row %d: position %d is not a new question", mode, row, q)
					}
					asked[tok[q]] = true
					ok := false
					for p := 1; p+1 < first; p++ {
						if tok[p] == tok[q] && tok[p+1] == tgt[q] && tok[p-1] != DistractorOpen {
							ok = true
						}
						if q > first+1 && tok[p] == DistractorOpen && tok[p+1] == tok[q] {
							t.Fatalf("%v row %d: a later question is about the opinions' key", mode, row)
						}
					}
					if !ok {
						t.Fatalf("%v row %d: target %d is not the value of key %d", mode, row, tgt[q], tok[q])
					}
				}
			case ModeRegenerate:
				cue := slices.Index(tok, DistractorRegen)
				if cue < 0 || tok[end-1] != DistractorEOS || masked != end-1-cue {
					t.Fatalf("%v row %d: targets should run from the cue to EOS", mode, row)
				}
			}
		}
		if len(shifts) != cfg.MaxShift+1 {
			t.Errorf("%v: shifts %v, want each of 0..%d", mode, shifts, cfg.MaxShift)
		}
		if mode == ModeInstructed && (instructed < 100 || instructed > 156) {
			t.Errorf("instructed rows: %d of 256, want about half", instructed)
		}
		if mode != ModeInstructed && longest < T-6 {
			t.Errorf("%v: longest row %d of MaxLen %d: the ranges are not exercised", mode, longest, T)
		}
	}
}

func TestDistractorValidate(t *testing.T) {
	t.Parallel()
	ok := DefaultDistractorConfig()
	for _, tc := range []struct {
		edit func(*DistractorConfig)
		msg  string
	}{
		{func(c *DistractorConfig) { c.Keys = 0 }, "Keys ≥ 1"},
		{func(c *DistractorConfig) { c.Keys = 1e8 }, "vocabulary"},
		{func(c *DistractorConfig) { c.MinFacts = 0 }, "needs 1 ≤ min_facts ≤ max_facts, got 0 and 6"},
		{func(c *DistractorConfig) { c.MaxShift = -1 }, "max_shift must be between 0 and 4096, got -1"},
		{func(c *DistractorConfig) { c.MaxFacts = 41; c.Values = 100 }, "keys of a topic"},
		{func(c *DistractorConfig) { c.Opinions = 40 }, "distinct values"},
		{func(c *DistractorConfig) { c.Irrelevant = -1 }, "non-negative"},
		{func(c *DistractorConfig) { c.Mode = 9 }, "mode"},
	} {
		c := ok
		tc.edit(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%+v: got %v, want an error about %q", c, err, tc.msg)
		}
	}
	if ok.Vocab() != 128 {
		t.Errorf("default vocabulary %d, want 128", ok.Vocab())
	}
}

func TestHashDistractorExamples(t *testing.T) {
	t.Parallel()
	d := mustDistractor(t, DistractorTraining(ModeRegenerate))
	a, b := d.Examples(newRand(1), 50), d.Examples(newRand(1), 50)
	if HashDistractorExamples(a) != HashDistractorExamples(b) {
		t.Error("same seed, different hash")
	}
	b[49].Items[0].Value++
	if HashDistractorExamples(a) == HashDistractorExamples(b) {
		t.Error("changing a value left the hash unchanged")
	}
}

// TestBuildDistractor: Build makes the s2a tasks with their training
// settings, and the options override facts and shift.
func TestBuildDistractor(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"s2a-answer", "s2a-instructed", "s2a-regen"} {
		task, T, err := Build(Options{Task: name})
		d, ok := task.(*Distractor)
		if err != nil || !ok || d.Name() != name || T != d.MaxLen() {
			t.Fatalf("%s: %v, %T, T=%d", name, err, task, T)
		}
		if mode, _ := ParseDistractorMode(name); d.Config() != DistractorTraining(mode) {
			t.Errorf("%s: config %+v, want DistractorTraining's", name, d.Config())
		}
	}
	zero := 0
	task, _, err := Build(Options{Task: "s2a-answer", MinFacts: 3, MaxFacts: 5, MaxShift: &zero})
	if err != nil {
		t.Fatal(err)
	}
	if c := task.(*Distractor).Config(); c.MinFacts != 3 || c.MaxFacts != 5 || c.Queries != 5 || c.MaxShift != 0 {
		t.Errorf("overridden config %+v", c)
	}
	if _, _, err := Build(Options{Task: "s2a-regen", MinFacts: 9}); err == nil {
		t.Error("MinFacts 9 > MaxFacts 8 accepted")
	}
}
