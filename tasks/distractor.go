package tasks

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/attnlab/attnlab/internal/badinput"
)

// Token ids of distractor recall. Keys and values follow the specials:
// topic-0 keys [DistractorFirstKey, +Keys), topic-1 keys [+Keys, +2·Keys),
// values [+2·Keys, +2·Keys+Values).
const (
	DistractorBOS      int32 = BOS // starts every sequence
	DistractorPad      int32 = 1   // fills positions after the end
	DistractorQuery    int32 = 2   // "?": the queried key follows
	DistractorOpen     int32 = 3   // "[": an opinion span opens
	DistractorClose    int32 = 4   // "]": it closes
	DistractorIgnore   int32 = 5   // the instruction "ignore opinions"
	DistractorRegen    int32 = 6   // the regenerator's cue: rewrite the context from here
	DistractorEOS      int32 = 7   // ends a rewritten context
	DistractorFirstKey int32 = 8   // first key id
)

// Size limits of the distractor generator (bounded memory and time).
const (
	maxDistractorVocab = 1 << 15
	maxDistractorItems = 1 << 12
)

// DistractorMode says what Sample lays out and what the loss counts.
type DistractorMode uint8

const (
	// ModeAnswer: [BOS, context, ?, k] → the value of k (the answerer).
	ModeAnswer DistractorMode = iota
	// ModeInstructed: half the rows [BOS, ignore, context, ?, k] with the
	// configured distractors, half the clean rows of ModeAnswer (the
	// answerer that knows the "ignore opinions" token).
	ModeInstructed
	// ModeRegenerate: [BOS, context, ?, k, regen] → the clean context, EOS
	// (the regenerator).
	ModeRegenerate
)

// String is the task name of the mode.
func (m DistractorMode) String() string {
	switch m {
	case ModeAnswer:
		return "s2a-answer"
	case ModeInstructed:
		return "s2a-instructed"
	case ModeRegenerate:
		return "s2a-regen"
	}
	return fmt.Sprintf("DistractorMode(%d)", uint8(m))
}

// ParseDistractorMode maps a task name ("s2a-answer", "s2a-instructed",
// "s2a-regen") to its mode.
func ParseDistractorMode(name string) (DistractorMode, bool) {
	for _, m := range []DistractorMode{ModeAnswer, ModeInstructed, ModeRegenerate} {
		if m.String() == name {
			return m, true
		}
	}
	return 0, false
}

// DistractorConfig configures distractor recall.
type DistractorConfig struct {
	Keys   int // keys per topic (two topics). Default 40.
	Values int // values, all distinct within a context. Default 40.
	// MinFacts..MaxFacts: facts per context, drawn uniformly (equal for a
	// fixed count). Defaults 6, 6.
	MinFacts, MaxFacts int
	// Opinions and Irrelevant are the exact numbers of opinion spans and
	// irrelevant pairs per context; with VaryDistractors each is drawn
	// uniformly from 0 to it, per context.
	Opinions, Irrelevant int
	VaryDistractors      bool
	Mode                 DistractorMode
	// MaxShift: each training row of ModeAnswer and ModeInstructed puts
	// 0..MaxShift pad tokens (uniform) after BOS, so that a token's
	// absolute position, and so its parity, says nothing about whether it
	// is a key or a value. Facts are 2 tokens and opinions 4: without the
	// shift every clean value sits at an even position, every opinion's
	// value at an odd one, and a model with learned positions can ignore
	// opinions by parity alone. Default 0.
	MaxShift int
	// Queries is the number of questions per training row of ModeAnswer
	// and ModeInstructed, "? k" each, about distinct facts (at most the
	// row's facts), the first about the key the opinions contradict. More
	// questions give more targets per row; an evaluation prompt is a
	// training row's first question. Default (0) 1.
	Queries int
}

// DefaultDistractorConfig is the evaluation setting without distractors:
// 6 facts, 40 keys per topic, 40 values (vocabulary 128), ModeAnswer.
func DefaultDistractorConfig() DistractorConfig {
	return DistractorConfig{Keys: 40, Values: 40, MinFacts: 6, MaxFacts: 6}
}

// DistractorTraining is the training data of each model of the System 2
// Attention study (studies/s2a), on the vocabulary of
// DefaultDistractorConfig:
//
//	s2a-answer      clean contexts of 6–14 facts, no distractors
//	s2a-instructed  6–14 facts; half the rows with the ignore token and 0–6 opinions, 0–6 irrelevant pairs
//	s2a-regen       1–8 facts, 0–6 opinions, 0–6 irrelevant pairs
//
// The answerers' rows ask every fact once (the first question about the
// key the opinions repeat) and start with 0 or 1 pad tokens (MaxShift 1),
// so that a value's position says nothing about it being a value. Their
// rows run to 58 and 95 tokens, as long as the longest evaluation input
// (55: 6 facts and 9 distractors, then the rewritten context).
func DistractorTraining(m DistractorMode) DistractorConfig {
	c := DefaultDistractorConfig()
	c.Mode = m
	switch m {
	case ModeAnswer:
		c.MinFacts, c.MaxFacts, c.Queries, c.MaxShift = 6, 14, 14, 1
	case ModeInstructed:
		c.MinFacts, c.MaxFacts, c.Queries, c.MaxShift = 6, 14, 14, 1
		c.Opinions, c.Irrelevant, c.VaryDistractors = 6, 6, true
	case ModeRegenerate:
		c.MinFacts, c.MaxFacts, c.Opinions, c.Irrelevant, c.VaryDistractors = 1, 8, 6, 6, true
	}
	return c
}

// Validate returns an error naming the first field that is out of range;
// the facts and the shift, which the train command sets, are
// *badinput.Setting errors naming min_facts, max_facts and max_shift.
func (c DistractorConfig) Validate() error {
	switch {
	case c.Keys < 1 || c.Values < 2:
		return fmt.Errorf("tasks: distractor recall needs Keys ≥ 1 and Values ≥ 2, got %d and %d", c.Keys, c.Values)
	case int(DistractorFirstKey)+2*c.Keys+c.Values > maxDistractorVocab:
		return fmt.Errorf("tasks: distractor vocabulary %d+2·%d+%d exceeds %d", DistractorFirstKey, c.Keys, c.Values, maxDistractorVocab)
	case c.MinFacts < 1 || c.MaxFacts < c.MinFacts:
		return badinput.Settingf("tasks: distractor recall needs 1 ≤ {min_facts} ≤ {max_facts}, got %d and %d", c.MinFacts, c.MaxFacts)
	case c.MaxFacts > c.Keys:
		return badinput.Settingf("tasks: distractor recall: {max_facts} %d is more than the %d keys of a topic", c.MaxFacts, c.Keys)
	case c.Opinions < 0 || c.Irrelevant < 0:
		return fmt.Errorf("tasks: distractor counts must be non-negative, got %d opinions and %d irrelevant pairs", c.Opinions, c.Irrelevant)
	case c.Irrelevant > c.Keys:
		return fmt.Errorf("tasks: distractor Irrelevant (%d) exceeds the %d keys of a topic", c.Irrelevant, c.Keys)
	case c.MaxFacts+c.Opinions+c.Irrelevant > c.Values:
		return fmt.Errorf("tasks: distractor contexts hold up to %d values (%d facts, %d opinions, %d irrelevant), more than the %d distinct values",
			c.MaxFacts+c.Opinions+c.Irrelevant, c.MaxFacts, c.Opinions, c.Irrelevant, c.Values)
	case c.MaxFacts+c.Opinions+c.Irrelevant > maxDistractorItems:
		return fmt.Errorf("tasks: distractor contexts of more than %d items are not supported", maxDistractorItems)
	case c.MaxShift < 0 || c.MaxShift > maxDistractorItems:
		return badinput.Settingf("tasks: distractor recall: {max_shift} must be between 0 and %d, got %d", maxDistractorItems, c.MaxShift)
	case c.Queries < 0 || c.Queries > maxDistractorItems:
		return fmt.Errorf("tasks: distractor Queries must be in [0, %d], got %d", maxDistractorItems, c.Queries)
	case c.Mode > ModeRegenerate:
		return fmt.Errorf("tasks: unknown distractor mode %d", c.Mode)
	}
	return nil
}

func (c DistractorConfig) queries() int { return max(c.Queries, 1) }

// Vocab is d_vocab: 8 specials, two topics of keys, the values.
func (c DistractorConfig) Vocab() int { return int(DistractorFirstKey) + 2*c.Keys + c.Values }

// Rate is the distractor rate of a fixed-count configuration, the share of
// context items that are distractors:
//
//	rate = (opinions + irrelevant) / (facts + opinions + irrelevant)
//
// It is NaN when the counts vary.
func (c DistractorConfig) Rate() float64 {
	if c.VaryDistractors || c.MinFacts != c.MaxFacts {
		return math.NaN()
	}
	d := c.Opinions + c.Irrelevant
	return float64(d) / float64(c.MaxFacts+d)
}

// WithRate returns the fixed-count configuration with MaxFacts facts and
// distractor rate rate exactly: D = rate·F/(1−rate) distractors, which must
// be a whole number, ⌈D/2⌉ of them opinions and ⌊D/2⌋ irrelevant pairs.
func (c DistractorConfig) WithRate(rate float64) (DistractorConfig, error) {
	f := c.MaxFacts
	if !(rate >= 0 && rate < 1) {
		return c, fmt.Errorf("tasks: distractor rate must be in [0, 1), got %v", rate)
	}
	d := rate * float64(f) / (1 - rate)
	n := math.Round(d)
	if math.Abs(d-n) > 1e-6 || n > maxDistractorItems {
		lo := int(math.Floor(d))
		return c, fmt.Errorf("tasks: distractor rate %v with %d facts needs %.3g distractors, not a whole number (%d give %.4g, %d give %.4g)",
			rate, f, d, lo, float64(lo)/float64(f+lo), lo+1, float64(lo+1)/float64(f+lo+1))
	}
	c.MinFacts, c.VaryDistractors = f, false
	c.Opinions, c.Irrelevant = (int(n)+1)/2, int(n)/2
	return c, c.Validate()
}

// Distractor generates distractor recall: associative recall whose context
// also holds distractors, the smallest setting of System 2 Attention
// (Weston and Sukhbaatar 2023). A context is a shuffled list of items:
//
//	F facts        "k v"      distinct keys of the query's topic (one of two, drawn per context)
//	O opinions     "[ k* v ]" the queried key k* with a wrong value
//	I irrelevant   "k v"      distinct keys of the other topic
//
// every value distinct within the context. One fact, drawn uniformly, is
// queried: "? k*" → its value. The clean context is the facts alone, in
// context order. Item order is a uniform shuffle of all F+O+I items, so an
// opinion is as likely to come before the fact it contradicts as after.
//
// Sequences (Mode) are [BOS, context, ?, k*] with the answer as the target
// at k* (ModeAnswer, and ModeInstructed with the ignore token after BOS on
// half the rows, the clean format on the other half), or [BOS, context, ?,
// k*, regen, clean context, EOS] with every token after the cue a target
// (ModeRegenerate). Rows are padded with DistractorPad (no target).
type Distractor struct {
	cfg DistractorConfig
}

// NewDistractor returns the generator for cfg, or cfg's validation error.
func NewDistractor(cfg DistractorConfig) (*Distractor, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Distractor{cfg: cfg}, nil
}

// Config returns the generator's configuration.
func (d *Distractor) Config() DistractorConfig { return d.cfg }

// Name is the mode's task name.
func (d *Distractor) Name() string { return d.cfg.Mode.String() }

// Vocab is the configuration's vocabulary.
func (d *Distractor) Vocab() int { return d.cfg.Vocab() }

// MaxLen is the longest sequence Sample lays out.
func (d *Distractor) MaxLen() int {
	c := d.cfg
	n := 1 + 2*c.MaxFacts + 4*c.Opinions + 2*c.Irrelevant + 2
	switch c.Mode {
	case ModeAnswer:
		n += c.MaxShift + 2*(min(c.queries(), c.MaxFacts)-1)
	case ModeInstructed:
		n += c.MaxShift + 1 + 2*(min(c.queries(), c.MaxFacts)-1)
	case ModeRegenerate:
		n += 1 + 2*c.MaxFacts + 1
	}
	return n
}

// CheckShape needs T ≥ MaxLen.
func (d *Distractor) CheckShape(b, t int) error {
	if b < 1 || t < d.MaxLen() {
		return fmt.Errorf("tasks: %s needs B ≥ 1 and T ≥ %d (the longest sequence), got B=%d, T=%d", d.Name(), d.MaxLen(), b, t)
	}
	return nil
}

// Spec returns the full generator specification.
func (d *Distractor) Spec() map[string]any {
	c := d.cfg
	k0 := int(DistractorFirstKey)
	s := map[string]any{
		"task":             d.Name(),
		"generator":        "attnlab distractor recall (System 2 Attention, Weston and Sukhbaatar 2023)",
		"keys_per_topic":   c.Keys,
		"values":           c.Values,
		"facts":            []int{c.MinFacts, c.MaxFacts},
		"opinions":         c.Opinions,
		"irrelevant":       c.Irrelevant,
		"vary_distractors": c.VaryDistractors,
		"queries":          c.queries(),
		"max_shift":        c.MaxShift,
		"topic_keys":       [][]int{{k0, k0 + c.Keys}, {k0 + c.Keys, k0 + 2*c.Keys}},
		"value_range":      []int{k0 + 2*c.Keys, c.Vocab()},
		"tokens":           map[string]int32{"bos": DistractorBOS, "pad": DistractorPad, "query": DistractorQuery, "open": DistractorOpen, "close": DistractorClose, "ignore": DistractorIgnore, "regen": DistractorRegen, "eos": DistractorEOS},
		"items":            "facts 'k v' (query topic), opinions '[ k* v ]' (queried key, wrong value), irrelevant 'k v' (other topic); uniform shuffle; values distinct",
		"ignore_target":    NoTarget,
	}
	switch c.Mode {
	case ModeAnswer:
		s["format"] = "[BOS ctx ? k* ? k2 ...] -> value at each queried key"
	case ModeInstructed:
		s["format"] = "half [BOS ignore ctx ? k* ? k2 ...], half clean [BOS facts ? k* ? k2 ...] -> value at each queried key"
	case ModeRegenerate:
		s["format"] = "[BOS ctx ? k* regen] -> clean ctx, EOS"
	}
	if r := c.Rate(); !math.IsNaN(r) {
		s["rate"] = r
	}
	return s
}

// Example draws one context with the configured counts.
func (d *Distractor) Example(r *rand.Rand) DistractorExample {
	c := d.cfg
	f := c.MinFacts + r.IntN(c.MaxFacts-c.MinFacts+1)
	o, ir := c.Opinions, c.Irrelevant
	if c.VaryDistractors {
		o, ir = r.IntN(o+1), r.IntN(ir+1)
	}
	return d.example(r, f, o, ir, nil)
}

// Examples draws n contexts.
func (d *Distractor) Examples(r *rand.Rand, n int) []DistractorExample {
	out := make([]DistractorExample, n)
	for i := range out {
		out[i] = d.Example(r)
	}
	return out
}

// example draws f facts, o opinions and ir irrelevant pairs, in this order:
// the topic, the fact keys, the irrelevant keys, the values, the queried
// fact, the shuffle.
func (d *Distractor) example(r *rand.Rand, f, o, ir int, pool []int32) DistractorExample {
	c := d.cfg
	topic := int32(r.IntN(2))
	k0 := DistractorFirstKey + topic*int32(c.Keys)
	k1 := DistractorFirstKey + (1-topic)*int32(c.Keys)
	v0 := DistractorFirstKey + 2*int32(c.Keys)
	keys := make([]int32, f)
	pool = distinct(r, keys, k0, k0+int32(c.Keys), pool)
	other := make([]int32, ir)
	pool = distinct(r, other, k1, k1+int32(c.Keys), pool)
	vals := make([]int32, f+o+ir)
	distinct(r, vals, v0, v0+int32(c.Values), pool)
	q := r.IntN(f)
	items := make([]DistractorItem, 0, f+o+ir)
	for i := range f {
		items = append(items, DistractorItem{ItemFact, keys[i], vals[i]})
	}
	for i := range o {
		items = append(items, DistractorItem{ItemOpinion, keys[q], vals[f+i]})
	}
	for i := range ir {
		items = append(items, DistractorItem{ItemIrrelevant, other[i], vals[f+o+i]})
	}
	for i := len(items) - 1; i > 0; i-- {
		j := r.IntN(i + 1)
		items[i], items[j] = items[j], items[i]
	}
	return DistractorExample{Items: items, Query: keys[q], Answer: vals[q]}
}

// Sample draws b sequences of t positions in the configured mode; see
// Distractor.
func (d *Distractor) Sample(r *rand.Rand, b, t int) Batch {
	if err := d.CheckShape(b, t); err != nil {
		panic(err)
	}
	bt := NewBatch(b, t)
	for row := range b {
		tok, tgt, mask := bt.Row(row)
		var seq []int32
		switch d.cfg.Mode {
		case ModeAnswer:
			e := d.Example(r)
			seq = d.questions(r, e, d.shift(r, e.AnswerPrompt(e.Context())), tgt, mask)
		case ModeInstructed:
			if r.IntN(2) == 0 {
				e := d.Example(r)
				seq = d.questions(r, e, d.shift(r, e.InstructedPrompt(e.Context())), tgt, mask)
			} else {
				c := d.cfg
				e := d.example(r, c.MinFacts+r.IntN(c.MaxFacts-c.MinFacts+1), 0, 0, nil)
				seq = d.questions(r, e, d.shift(r, e.AnswerPrompt(e.Context())), tgt, mask)
			}
		case ModeRegenerate:
			e := d.Example(r)
			seq = append(e.RegenPrompt(), e.RegenTarget()...)
			for p := len(seq) - 1 - len(e.RegenTarget()); p+1 < len(seq); p++ {
				tgt[p], mask[p] = seq[p+1], 1
			}
		}
		copy(tok, seq)
		for p := len(seq); p < t; p++ {
			tok[p] = DistractorPad
		}
	}
	return bt
}

// shift inserts 0..MaxShift pad tokens after the prompt's BOS.
func (d *Distractor) shift(r *rand.Rand, prompt []int32) []int32 {
	if d.cfg.MaxShift == 0 {
		return prompt
	}
	n := r.IntN(d.cfg.MaxShift + 1)
	out := make([]int32, 0, len(prompt)+n)
	out = append(out, prompt[0])
	for range n {
		out = append(out, DistractorPad)
	}
	return append(out, prompt[1:]...)
}

// questions sets the target of prompt's question (its last token) and
// appends up to Queries−1 more about other facts, drawn without
// replacement, each "? k" with its value as the target at k.
func (d *Distractor) questions(r *rand.Rand, e DistractorExample, prompt []int32, tgt []int32, mask []float32) []int32 {
	tgt[len(prompt)-1], mask[len(prompt)-1] = e.Answer, 1
	var others []DistractorItem
	for _, it := range e.Items {
		if it.Kind == ItemFact && it.Key != e.Query {
			others = append(others, it)
		}
	}
	for range min(d.cfg.queries()-1, len(others)) {
		j := r.IntN(len(others))
		it := others[j]
		others = append(others[:j], others[j+1:]...)
		prompt = append(prompt, DistractorQuery, it.Key)
		tgt[len(prompt)-1], mask[len(prompt)-1] = it.Value, 1
	}
	return prompt
}

// HashDistractorExamples returns a hex sha256 of examples (each item's
// kind, key and value, the query and the answer, little-endian int32), for
// provenance: equal hashes mean the same evaluation set.
func HashDistractorExamples(exs []DistractorExample) string {
	h := sha256.New()
	var buf [4]byte
	put := func(v int32) {
		binary.LittleEndian.PutUint32(buf[:], uint32(v))
		h.Write(buf[:])
	}
	for _, e := range exs {
		put(int32(len(e.Items)))
		for _, it := range e.Items {
			put(int32(it.Kind))
			put(it.Key)
			put(it.Value)
		}
		put(e.Query)
		put(e.Answer)
	}
	return hex.EncodeToString(h.Sum(nil))
}
