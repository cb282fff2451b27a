package tasks

import (
	"slices"
	"strings"
	"testing"
)

func mustMQAR(t *testing.T, cfg MQARConfig) *MQAR {
	t.Helper()
	m, err := NewMQAR(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestMQARDeterminismAndHash(t *testing.T) {
	t.Parallel()
	m := mustMQAR(t, DefaultMQARConfig())
	a := m.Sample(newRand(5), 16, 64)
	b := m.Sample(newRand(5), 16, 64)
	c := m.Sample(newRand(6), 16, 64)
	if !equalBatch(a, b) || Hash(a) != Hash(b) {
		t.Error("same seed gave different batches or hashes")
	}
	if slices.Equal(a.Tokens, c.Tokens) || Hash(a) == Hash(c) {
		t.Error("different seeds gave the same batch or hash")
	}
	if h := Hash(a); len(h) != 64 {
		t.Errorf("hash %q is not hex sha256", h)
	}
	// The hash covers targets as well as tokens.
	d := NewBatch(a.B, a.T)
	copy(d.Tokens, a.Tokens)
	copy(d.Targets, a.Targets)
	copy(d.Mask, a.Mask)
	if Hash(d) != Hash(a) {
		t.Error("copied batch hashes differently")
	}
	d.Targets[len(d.Targets)-1]++
	if Hash(d) == Hash(a) {
		t.Error("changing a target left the hash unchanged")
	}
}

func TestMQARInvariants(t *testing.T) {
	t.Parallel()
	for _, random := range []bool{true, false} {
		cfg := MQARConfig{Vocab: 256, NumKVPairs: 8, SeqLen: 128, PowerA: 0.01, RandomNonQueries: random}
		m := mustMQAR(t, cfg)
		const B = 200
		bt := m.Sample(newRand(9), B, cfg.SeqLen)
		if err := m.Check(bt); err != nil {
			t.Fatalf("random=%v: Check: %v", random, err)
		}
		k, half := cfg.NumKVPairs, int32(cfg.Vocab/2)
		space := (cfg.SeqLen - 2*k) / 2
		gapSum, gaps := 0, 0
		for row := range B {
			tok, tgt, mask := bt.Row(row)
			val := map[int32]int32{}
			for j := range k {
				key, v := tok[2*j], tok[2*j+1]
				if key < 1 || key >= half || v < half || int(v) >= cfg.Vocab {
					t.Fatalf("row %d pair %d: key %d value %d not in disjoint halves", row, j, key, v)
				}
				if _, dup := val[key]; dup {
					t.Fatalf("row %d: key %d repeated", row, key)
				}
				val[key] = v
			}
			n := 0
			for p := range cfg.SeqLen {
				if tgt[p] == NoTarget {
					if mask[p] != 0 {
						t.Fatalf("row %d pos %d: mask without target", row, p)
					}
					if !random && p >= 2*k && tok[p] != 0 {
						t.Fatalf("row %d pos %d: non-query token %d, want 0", row, p, tok[p])
					}
					continue
				}
				n++
				off := p - 2*k
				if off < 0 || off%2 != 0 || off/2 >= space {
					t.Fatalf("row %d: query at %d is not at 2K + 2g with g < %d", row, p, space)
				}
				if v, ok := val[tok[p]]; !ok || v != tgt[p] || mask[p] != 1 {
					t.Fatalf("row %d pos %d: query %d target %d mask %g, want value %d", row, p, tok[p], tgt[p], mask[p], v)
				}
				gapSum += off / 2
				gaps++
			}
			if n != k {
				t.Fatalf("row %d: %d queries, want %d", row, n, k)
			}
		}
		// Power law with a = 0.01: gaps crowd near the context. The mean of
		// K distinct gaps drawn uniformly from 0..S−1 is (S−1)/2 = 27.5.
		if mean := float64(gapSum) / float64(gaps); mean > 20 {
			t.Errorf("random=%v: mean gap %.1f, want well below the uniform 27.5", random, mean)
		}
	}
}

func TestMQARCheckCatches(t *testing.T) {
	t.Parallel()
	m := mustMQAR(t, MQARConfig{Vocab: 128, NumKVPairs: 4, SeqLen: 32, PowerA: 0.01, RandomNonQueries: true})
	fresh := func() Batch { return m.Sample(newRand(2), 3, 32) }
	for _, tc := range []struct {
		name string
		edit func(b Batch)
		want string
	}{
		{"overwritten key", func(b Batch) { b.Tokens[2] = b.Tokens[0] }, "overwritten"},
		{"value in key half", func(b Batch) { b.Tokens[1] = 5 }, "value 5"},
		{"wrong target", func(b Batch) {
			for i, v := range b.Targets {
				if v != NoTarget {
					b.Targets[i] = b.Tokens[3] + 1
					if b.Targets[i] == int32(m.Vocab()) {
						b.Targets[i] -= 2
					}
					return
				}
			}
		}, "want value"},
		{"mask off a target", func(b Batch) {
			for i, v := range b.Targets {
				if v != NoTarget {
					b.Mask[i] = 0
					return
				}
			}
		}, "mask 0"},
	} {
		b := fresh()
		if err := m.Check(b); err != nil {
			t.Fatalf("%s: fresh batch fails: %v", tc.name, err)
		}
		tc.edit(b)
		err := m.Check(b)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Check = %v, want an error mentioning %q", tc.name, err, tc.want)
		}
	}
}

func TestMQARValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		cfg  MQARConfig
		want string
	}{
		{MQARConfig{Vocab: 8192, NumKVPairs: 4, SeqLen: 63, PowerA: 0.01}, "even"},
		{MQARConfig{Vocab: 8192, NumKVPairs: 20, SeqLen: 64, PowerA: 0.01}, "with 20 key-value pairs needs sequences of at least 4·20 = 80 tokens, got 64"},
		{MQARConfig{Vocab: 64, NumKVPairs: 4, SeqLen: 64, PowerA: 0.01}, "sequences of 64 tokens need a vocabulary larger than that, but it has 64"},
		{MQARConfig{Vocab: 20, NumKVPairs: 10, SeqLen: 64, PowerA: 0.01}, "with 10 key-value pairs needs a vocabulary of at least 2·10+2 = 22 tokens (distinct keys and values), but it has 20"},
		{MQARConfig{Vocab: 8192, NumKVPairs: 0, SeqLen: 64, PowerA: 0.01}, "at least 1 key-value pair, got 0"},
		{MQARConfig{Vocab: 8192, NumKVPairs: 4, SeqLen: 64, PowerA: 0}, "power-law exponent a must be a positive number, got 0"},
	} {
		if _, err := NewMQAR(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want one mentioning %q", tc.cfg, err, tc.want)
		}
	}
	m := mustMQAR(t, DefaultMQARConfig())
	if err := CheckShape(m, 2, 66); err != nil {
		t.Errorf("T=66: %v", err)
	}
	if err := CheckShape(m, 2, 65); err == nil {
		t.Error("odd T accepted")
	}
	spec := m.Spec()
	for _, key := range []string{"vocab", "num_kv_pairs", "seq_len", "power_a", "random_non_queries", "key_range", "value_range"} {
		if _, ok := spec[key]; !ok {
			t.Errorf("Spec lacks %q", key)
		}
	}
}

func TestWeightedDraw(t *testing.T) {
	t.Parallel()
	r := newRand(4)
	w := []float64{0, 3, 0, 1}
	counts := make([]int, len(w))
	for range 4000 {
		counts[weightedDraw(r, w)]++
	}
	if counts[0] != 0 || counts[2] != 0 {
		t.Errorf("zero weights drawn: %v", counts)
	}
	if counts[1] < 2800 || counts[1] > 3200 {
		t.Errorf("weight 3 of 4 drawn %d of 4000 times", counts[1])
	}
}
