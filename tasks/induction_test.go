package tasks

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 1)) }

func mustInduction(t *testing.T, cfg InductionConfig) *Induction {
	t.Helper()
	g, err := NewInduction(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func equalBatch(a, b Batch) bool {
	return a.B == b.B && a.T == b.T && slices.Equal(a.Tokens, b.Tokens) &&
		slices.Equal(a.Targets, b.Targets) && slices.Equal(a.Mask, b.Mask)
}

func TestInductionDeterminism(t *testing.T) {
	t.Parallel()
	g := mustInduction(t, DefaultInductionConfig())
	a := g.Sample(newRand(7), 8, 64)
	b := g.Sample(newRand(7), 8, 64)
	c := g.Sample(newRand(8), 8, 64)
	if !equalBatch(a, b) {
		t.Error("same seed gave different batches")
	}
	if slices.Equal(a.Tokens, c.Tokens) {
		t.Error("different seeds gave the same tokens")
	}
	d, parts := g.SampleParts(newRand(7), 8, 64)
	if !equalBatch(a, d) || len(parts) != 8*64 {
		t.Error("SampleParts drew a different batch from Sample")
	}
}

func TestInductionStructure(t *testing.T) {
	t.Parallel()
	const B, T = 64, 128
	cfg := DefaultInductionConfig()
	all := mustInduction(t, cfg)
	cfg.RepeatsOnly = true
	rep := mustInduction(t, cfg)
	bt, parts := all.SampleParts(newRand(3), B, T)
	bo, parts2 := rep.SampleParts(newRand(3), B, T)
	if !slices.Equal(bt.Tokens, bo.Tokens) || !slices.Equal(parts, parts2) {
		t.Fatal("RepeatsOnly changed the tokens; it should change only the mask")
	}
	lengths := map[int]bool{}
	for row := range B {
		tok, tgt, mask := bt.Row(row)
		_, _, mrep := bo.Row(row)
		part := parts[row*T : (row+1)*T]
		if tok[0] != BOS || part[0] != PartBOS || mask[0] != 0 {
			t.Fatalf("row %d starts with token %d part %v mask %g, want BOS, bos, 0", row, tok[0], part[0], mask[0])
		}
		for i := 1; i < T; i++ {
			if tok[i] < 1 || int(tok[i]) >= cfg.Vocab {
				t.Fatalf("row %d pos %d: content token %d outside [1, %d)", row, i, tok[i], cfg.Vocab)
			}
			if mask[i] != 1 {
				t.Fatalf("row %d pos %d: default mask %g, want 1", row, i, mask[i])
			}
		}
		for i := range T - 1 {
			if tgt[i] != tok[i+1] {
				t.Fatalf("row %d pos %d: target %d, next token %d", row, i, tgt[i], tok[i+1])
			}
		}
		// Repeat segments: a run of First of length L followed by L Second
		// tokens equal to it.
		for i := 1; i < T; {
			if part[i] != PartFirst {
				i++
				continue
			}
			l := 0
			for i+l < T && part[i+l] == PartFirst {
				l++
			}
			for j := 0; j < l && i+l+j < T; j++ {
				if part[i+l+j] != PartSecond || tok[i+l+j] != tok[i+j] {
					t.Fatalf("row %d: repeat at %d of length %d broken at %d", row, i, l, j)
				}
			}
			if i+2*l <= T {
				lengths[l] = true
			}
			i += 2 * l
		}
		// The induction rule predicts every RepeatsOnly target.
		for i := range T {
			if mrep[i] == 0 {
				continue
			}
			if part[i] != PartSecond {
				t.Fatalf("row %d pos %d: RepeatsOnly mask on a %v position", row, i, part[i])
			}
			prev := -1
			for j := i - 1; j >= 0; j-- {
				if tok[j] == tok[i] {
					prev = j
					break
				}
			}
			if prev < 0 || tok[prev+1] != tgt[i] {
				t.Fatalf("row %d pos %d: induction rule misses the target", row, i)
			}
		}
	}
	if len(lengths) < 10 {
		t.Errorf("only %d distinct repeat lengths: %v", len(lengths), lengths)
	}
	// No fixed offset solves the repeats, with either mask.
	for _, b := range []Batch{bt, bo} {
		if d, frac := bestOffset(b); frac > 0.6 {
			t.Errorf("offset %d predicts %.0f%% of the masked targets", d, 100*frac)
		}
	}
	// Control: with one fixed repeat length, offset L solves every repeat.
	cfg.MinRep, cfg.MaxRep = 8, 8
	if d, frac := bestOffset(mustInduction(t, cfg).Sample(newRand(3), B, T)); d != 8 || frac < 0.99 {
		t.Errorf("fixed-length control: best offset %d predicts %.2f, want 8 and 1", d, frac)
	}
}

// bestOffset returns the offset d whose fixed rule "target = Tokens[t+1−d]"
// is right most often on the masked positions, and that fraction.
func bestOffset(b Batch) (int, float64) {
	n := b.MaskedCount()
	bestD, best := 0, 0.0
	for d := 1; d < b.T; d++ {
		hit := 0
		for row := range b.B {
			tok, tgt, mask := b.Row(row)
			for i := range b.T {
				if mask[i] != 0 && i+1-d >= 0 && tok[i+1-d] == tgt[i] {
					hit++
				}
			}
		}
		if f := float64(hit) / float64(n); f > best {
			bestD, best = d, f
		}
	}
	return bestD, best
}

func TestInductionConfigValidate(t *testing.T) {
	t.Parallel()
	base := DefaultInductionConfig()
	for _, tc := range []struct {
		edit func(*InductionConfig)
		want string
	}{
		{func(c *InductionConfig) { c.Vocab = 2 }, "vocab must be at least 3"},
		{func(c *InductionConfig) { c.MinRep = 0 }, "min_rep must be at least 1"},
		{func(c *InductionConfig) { c.MaxRep = 1 }, "max_rep (1) must be at least min_rep (2)"},
		{func(c *InductionConfig) { c.Vocab = 10 }, "max_rep (16) must be at most vocab − 1 (9)"},
		{func(c *InductionConfig) { c.MaxGap = MaxGapLimit + 1 }, "max_gap 65537 is longer than any sequence attnlab supports (65536)"},
		{func(c *InductionConfig) { c.PRepeat = 1.5 }, "PRepeat"},
		{func(c *InductionConfig) { c.MaxFiller = 0 }, "MaxFiller"},
	} {
		c := base
		tc.edit(&c)
		_, err := NewInduction(c)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "tasks: ") {
			t.Errorf("config %+v: error %v, want one mentioning %q", c, err, tc.want)
		}
	}
	if err := CheckShape(mustInduction(t, base), 4, 1); err == nil {
		t.Error("T=1 accepted")
	}
}

func TestCanonical(t *testing.T) {
	t.Parallel()
	const B, L, V = 5, 7, 20
	bt := Canonical(newRand(1), B, L, V)
	if bt.B != B || bt.T != 2*L+1 {
		t.Fatalf("shape [%d, %d], want [%d, %d]", bt.B, bt.T, B, 2*L+1)
	}
	if !equalBatch(bt, Canonical(newRand(1), B, L, V)) {
		t.Error("Canonical not deterministic")
	}
	fs, fe := CanonicalFirst(L)
	ss, se := CanonicalSecond(L)
	if fs != 1 || fe != L+1 || ss != L+1 || se != 2*L+1 {
		t.Errorf("halves [%d,%d) [%d,%d)", fs, fe, ss, se)
	}
	parts := CanonicalParts(L)
	for row := range B {
		tok, tgt, mask := bt.Row(row)
		if tok[0] != BOS {
			t.Errorf("row %d: first token %d", row, tok[0])
		}
		for p := fs; p < fe; p++ {
			if tok[p] < 1 || tok[p] >= V || tok[p+L] != tok[p] || parts[p] != PartFirst || parts[p+L] != PartSecond {
				t.Errorf("row %d: position %d is not repeated at %d", row, p, p+L)
			}
		}
		for p := range bt.T {
			wantT, wantM := int32(NoTarget), float32(0)
			if p < bt.T-1 {
				wantT = tok[p+1]
			}
			if p >= 1 && p < bt.T-1 {
				wantM = 1
			}
			if tgt[p] != wantT || mask[p] != wantM {
				t.Errorf("row %d pos %d: target %d mask %g, want %d %g", row, p, tgt[p], mask[p], wantT, wantM)
			}
		}
		// In the second half the induction target sits at p−L+1.
		for p := ss; p < se-1; p++ {
			if tgt[p] != tok[p-L+1] {
				t.Errorf("row %d pos %d: target %d, token at p−L+1 %d", row, p, tgt[p], tok[p-L+1])
			}
		}
	}
	if parts[0] != PartBOS || PartSecond.String() != "second" {
		t.Error("part labels wrong")
	}
}
