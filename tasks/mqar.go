package tasks

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// MQARConfig configures multi-query associative recall. The defaults are
// those of Zoology's multiquery_ar.
type MQARConfig struct {
	Vocab            int     // d_vocab; keys from [1, Vocab/2), values from [Vocab/2, Vocab). Default 8192.
	NumKVPairs       int     // key-value pairs at the start of each sequence. Default 4.
	SeqLen           int     // sequence length T: even, ≥ 4·NumKVPairs, < Vocab. Default 64.
	PowerA           float64 // power-law exponent a of the query gaps. Default 0.01.
	RandomNonQueries bool    // fill non-query positions with uniform random tokens instead of 0. Default true.
}

// DefaultMQARConfig returns the defaults documented on MQARConfig.
func DefaultMQARConfig() MQARConfig {
	return MQARConfig{Vocab: 8192, NumKVPairs: 4, SeqLen: 64, PowerA: 0.01, RandomNonQueries: true}
}

// Validate returns an error naming the first field that is out of range.
// The constraints on SeqLen are Zoology's assertions.
func (c MQARConfig) Validate() error {
	switch {
	case c.NumKVPairs < 1:
		return fmt.Errorf("tasks: mqar needs at least 1 key-value pair, got %d", c.NumKVPairs)
	case c.Vocab < 2*c.NumKVPairs+2:
		return fmt.Errorf("tasks: mqar with %d key-value pairs needs a vocabulary of at least 2·%d+2 = %d tokens (distinct keys and values), but it has %d", c.NumKVPairs, c.NumKVPairs, 2*c.NumKVPairs+2, c.Vocab)
	case !(c.PowerA > 0) || math.IsInf(c.PowerA, 0):
		return fmt.Errorf("tasks: mqar's power-law exponent a must be a positive number, got %g", c.PowerA)
	}
	return c.checkLen(c.SeqLen)
}

func (c MQARConfig) checkLen(t int) error {
	switch {
	case t%2 != 0:
		return fmt.Errorf("tasks: mqar sequence length must be even, got %d", t)
	case t < 4*c.NumKVPairs:
		return fmt.Errorf("tasks: mqar with %d key-value pairs needs sequences of at least 4·%d = %d tokens, got %d", c.NumKVPairs, c.NumKVPairs, 4*c.NumKVPairs, t)
	case c.Vocab <= t:
		return fmt.Errorf("tasks: mqar sequences of %d tokens need a vocabulary larger than that, but it has %d", t, c.Vocab)
	}
	return nil
}

// MQAR generates multi-query associative recall data exactly as Zoology's
// multiquery_ar (Arora et al. 2023; HazyResearch/zoology,
// zoology/data/associative_recall.py), with attnlab's −1 for ignored targets
// instead of −100. With K = NumKVPairs and T the sequence length, each
// sequence is
//
//	k_1 v_1 k_2 v_2 … k_K v_K   then T−2K query-region positions
//
// where the keys are K distinct tokens from [1, Vocab/2) and the values K
// distinct tokens from [Vocab/2, Vocab), so no key-value pair is ever
// overwritten. Key k_j is asked again at position 2K + 2·g_j, where the gaps
// g_1…g_K are K distinct draws, without replacement, from 0…S−1,
// S = (T−2K)/2, with the power law
//
//	P(g) ∝ a·(g+1)^(a−1)    (a = PowerA; a = 1 is uniform)
//
// so most queries come soon after the context. The target at a query
// position is the key's value, and the mask is 1 there only; every other
// target is NoTarget. The remaining query-region positions are 0, or with
// RandomNonQueries uniform tokens from [0, Vocab) (which may repeat a key;
// no target is set there).
type MQAR struct {
	cfg MQARConfig
}

// NewMQAR returns the generator for cfg, or cfg's validation error.
func NewMQAR(cfg MQARConfig) (*MQAR, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &MQAR{cfg: cfg}, nil
}

// Config returns the generator's configuration.
func (m *MQAR) Config() MQARConfig { return m.cfg }

// Name returns "mqar".
func (m *MQAR) Name() string { return "mqar" }

// Vocab returns cfg.Vocab.
func (m *MQAR) Vocab() int { return m.cfg.Vocab }

// CheckShape accepts b ≥ 1 and any t that Zoology accepts for this
// configuration (even, ≥ 4·NumKVPairs, < Vocab); Sample is normally called
// with t = SeqLen.
func (m *MQAR) CheckShape(b, t int) error {
	if b < 1 {
		return fmt.Errorf("tasks: mqar batch needs B ≥ 1, got %d", b)
	}
	return m.cfg.checkLen(t)
}

// Spec returns the full generator specification.
func (m *MQAR) Spec() map[string]any {
	c := m.cfg
	return map[string]any{
		"task":               m.Name(),
		"generator":          "zoology multiquery_ar (zoology/data/associative_recall.py)",
		"vocab":              c.Vocab,
		"num_kv_pairs":       c.NumKVPairs,
		"seq_len":            c.SeqLen,
		"power_a":            c.PowerA,
		"random_non_queries": c.RandomNonQueries,
		"key_range":          []int{1, c.Vocab / 2},
		"value_range":        []int{c.Vocab / 2, c.Vocab},
		"gap_distribution":   "K distinct gaps from 0..S-1, S=(T-2K)/2, P(g) ∝ a(g+1)^(a-1), query at 2K+2g",
		"ignore_target":      NoTarget,
	}
}

// Sample draws b sequences of length t; see MQAR.
func (m *MQAR) Sample(r *rand.Rand, b, t int) Batch {
	if err := m.CheckShape(b, t); err != nil {
		panic(err)
	}
	c := m.cfg
	k := c.NumKVPairs
	ctx := 2 * k
	half := int32(c.Vocab / 2)
	space := (t - ctx) / 2
	pw := make([]float64, space) // [S] unnormalised power-law weights
	for g := range pw {
		pw[g] = c.PowerA * math.Pow(float64(g+1), c.PowerA-1)
	}
	w := make([]float64, space)
	keys := make([]int32, k)
	vals := make([]int32, k)
	pool := make([]int32, 0, c.Vocab)
	bt := NewBatch(b, t)
	for row := range b {
		tok, tgt, mask := bt.Row(row)
		pool = distinct(r, keys, 1, half, pool)
		pool = distinct(r, vals, half, int32(c.Vocab), pool)
		for j := range k {
			tok[2*j], tok[2*j+1] = keys[j], vals[j]
		}
		copy(w, pw)
		for j := range k {
			g := weightedDraw(r, w)
			w[g] = 0 // without replacement
			p := ctx + 2*g
			tok[p], tgt[p], mask[p] = keys[j], vals[j], 1
		}
		if c.RandomNonQueries {
			for p := ctx; p < t; p++ {
				if tok[p] == 0 {
					tok[p] = int32(r.IntN(c.Vocab))
				}
			}
		}
	}
	return bt
}

// weightedDraw returns index i with probability w[i]/Σw, summing in index
// order. Zero weights are never drawn.
func weightedDraw(r *rand.Rand, w []float64) int {
	var total float64
	for _, x := range w {
		total += x
	}
	u := r.Float64() * total
	last := -1
	for i, x := range w {
		if x == 0 {
			continue
		}
		last = i
		if u < x {
			return i
		}
		u -= x
	}
	return last // rounding left u past the end: the last nonzero weight
}

// Check verifies the MQAR invariants of a batch: the first 2K tokens of
// each row alternate keys in [1, Vocab/2) and values in [Vocab/2, Vocab),
// the keys are distinct (no key-value pair overwritten), there are exactly K
// targets, all in the query region, each at a position holding an earlier
// key and equal to that key's value, and the mask is 1 exactly at targets.
func (m *MQAR) Check(bt Batch) error {
	c := m.cfg
	k := c.NumKVPairs
	half := int32(c.Vocab / 2)
	if bt.T < 2*k || len(bt.Tokens) != bt.B*bt.T || len(bt.Targets) != bt.B*bt.T || len(bt.Mask) != bt.B*bt.T {
		return fmt.Errorf("tasks: mqar batch of shape [%d, %d] with %d tokens, %d targets, %d mask does not hold %d key-value pairs",
			bt.B, bt.T, len(bt.Tokens), len(bt.Targets), len(bt.Mask), k)
	}
	value := make(map[int32]int32, k)
	keyPos := make(map[int32]int, k)
	for row := range bt.B {
		tok, tgt, mask := bt.Row(row)
		clear(value)
		clear(keyPos)
		for j := range k {
			key, val := tok[2*j], tok[2*j+1]
			if key < 1 || key >= half {
				return fmt.Errorf("tasks: mqar row %d: key %d at position %d is outside [1, %d)", row, key, 2*j, half)
			}
			if val < half || val >= int32(c.Vocab) {
				return fmt.Errorf("tasks: mqar row %d: value %d at position %d is outside [%d, %d)", row, val, 2*j+1, half, c.Vocab)
			}
			if p, dup := keyPos[key]; dup {
				return fmt.Errorf("tasks: mqar row %d: key %d at positions %d and %d: a key-value pair is overwritten", row, key, p, 2*j)
			}
			keyPos[key], value[key] = 2*j, val
		}
		n := 0
		for p := range bt.T {
			has := tgt[p] != NoTarget
			if has != (mask[p] != 0) {
				return fmt.Errorf("tasks: mqar row %d position %d: target %d with mask %g", row, p, tgt[p], mask[p])
			}
			if !has {
				continue
			}
			n++
			if p < 2*k {
				return fmt.Errorf("tasks: mqar row %d: target at position %d inside the key-value context", row, p)
			}
			want, ok := value[tok[p]]
			if !ok {
				return fmt.Errorf("tasks: mqar row %d: query at position %d asks %d, which is not an earlier key", row, p, tok[p])
			}
			if tgt[p] != want {
				return fmt.Errorf("tasks: mqar row %d: query of key %d at position %d has target %d, want value %d", row, tok[p], p, tgt[p], want)
			}
		}
		if n != k {
			return fmt.Errorf("tasks: mqar row %d has %d queries, want %d", row, n, k)
		}
	}
	return nil
}
