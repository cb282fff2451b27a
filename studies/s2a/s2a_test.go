package s2a

import (
	"context"
	"strings"
	"testing"

	"github.com/attnlab/attnlab/internal/badinput"
	"github.com/attnlab/attnlab/tasks"
)

func TestSets(t *testing.T) {
	t.Parallel()
	s := DefaultSetup()
	s.Examples = 50
	a, err := s.Sets()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := s.Sets()
	for i, set := range a {
		if set.Rate != s.Rates[i] || len(set.Examples) != 50 {
			t.Fatalf("set %d: rate %v, %d examples", i, set.Rate, len(set.Examples))
		}
		if tasks.HashDistractorExamples(set.Examples) != tasks.HashDistractorExamples(b[i].Examples) {
			t.Errorf("rate %v: the same seed drew different contexts", set.Rate)
		}
		for _, e := range set.Examples {
			d := e.Count(tasks.ItemOpinion) + e.Count(tasks.ItemIrrelevant)
			if f := e.Count(tasks.ItemFact); f != 6 || float64(d)/float64(f+d) != set.Rate {
				t.Fatalf("rate %v: a context with %d facts and %d distractors", set.Rate, f, d)
			}
		}
	}
	if tasks.HashDistractorExamples(a[1].Examples) == tasks.HashDistractorExamples(a[2].Examples) {
		t.Error("two rates drew the same contexts")
	}
	for _, bad := range []Setup{
		{Facts: 6, Rates: []float64{0.3}, Examples: 10},
		{Facts: 6, Rates: nil, Examples: 10},
		{Facts: 6, Rates: []float64{0}, Examples: 0},
		{Facts: 6, Rates: []float64{0}, Examples: MaxExamples + 1},
		{Facts: 6, Rates: []float64{0, 0, 0, 0, 0}, Examples: MaxExamples},
	} {
		if _, err := bad.Sets(); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
	for _, c := range []struct {
		s    Setup
		want string
	}{
		{Setup{Facts: 41, Rates: []float64{0}, Examples: 10}, "facts must be between 1 and 40 (the keys of a topic), got 41"},
		{Setup{Facts: 6, Rates: make([]float64, MaxRates+1), Examples: 1}, "rates lists 65 rates, at most 64"},
		{Setup{Facts: 6, Rates: []float64{0}, Examples: 0}, "examples must be between 1 and 65536, got 0"},
	} {
		if _, err := c.s.Sets(); !badinput.Is(err) || err.Error() != c.want {
			t.Errorf("got %v, want bad input %q", err, c.want)
		}
	}
}

func TestRecipes(t *testing.T) {
	t.Parallel()
	for _, r := range Recipes() {
		cfg, err := r.Config()
		if err != nil {
			t.Fatalf("%s: %v", r.Name, err)
		}
		task, _ := r.Task()
		opt, _ := r.Options()
		if cfg.NCtx < task.MaxLen() || opt.SeqLen != task.MaxLen() || cfg.DVocab != task.Vocab() {
			t.Errorf("%s: n_ctx %d, sequence length %d, vocabulary %d for a task of %d and %d", r.Name, cfg.NCtx, opt.SeqLen, cfg.DVocab, task.MaxLen(), task.Vocab())
		}
		if !strings.HasPrefix(r.Command(), "attnlab train --task "+r.Mode.String()+" ") {
			t.Errorf("%s: command %q", r.Name, r.Command())
		}
	}
	// Cancelled before the first step: an error, no model.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if m, err := Train(ctx, Recipes()[0], nil); err == nil || m != nil {
		t.Errorf("cancelled training returned %v, %v", m, err)
	}
}

func TestParseRates(t *testing.T) {
	t.Parallel()
	if r, err := ParseRates("0, 0.25,0.5"); err != nil || len(r) != 3 || r[1] != 0.25 {
		t.Errorf("ParseRates = %v, %v", r, err)
	}
	for _, s := range []string{"", "0,1", "-0.1", "NaN", "0,,0.5"} {
		if _, err := ParseRates(s); !badinput.Is(err) || !strings.HasPrefix(err.Error(), "rates must be a comma-separated list of numbers in [0, 1), got ") {
			t.Errorf("ParseRates(%q): %v", s, err)
		}
	}
}
