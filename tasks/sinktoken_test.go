package tasks

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/attnlab/attnlab/internal/badinput"
)

func TestSinkTokenPrepends(t *testing.T) {
	t.Parallel()
	inner, err := NewInduction(DefaultInductionConfig())
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSinkToken(inner, 0)
	if err != nil {
		t.Fatal(err)
	}
	const B, T = 3, 9
	got := s.Sample(rand.New(rand.NewPCG(1, 2)), B, T)
	want := inner.Sample(rand.New(rand.NewPCG(1, 2)), B, T-1)
	if got.B != B || got.T != T {
		t.Fatalf("shape [%d, %d], want [%d, %d]", got.B, got.T, B, T)
	}
	for b := range B {
		tok, tgt, mask := got.Row(b)
		itok, itgt, imask := want.Row(b)
		if tok[0] != 0 || !slices.Equal(tok[1:], itok) || tgt[0] != itok[0] || !slices.Equal(tgt[1:], itgt) ||
			mask[0] != imask[0] || !slices.Equal(mask[1:], imask) {
			t.Errorf("row %d: tokens %v targets %v, inner tokens %v targets %v", b, tok, tgt, itok, itgt)
		}
	}
	if s.Name() != "induction+sink" || s.Spec()["sink_token"] != int32(0) {
		t.Errorf("name %q spec %v", s.Name(), s.Spec())
	}
	if err := s.CheckShape(2, 1); err == nil {
		t.Error("T = 1 accepted")
	}
	if _, err := NewSinkToken(inner, int32(inner.Vocab())); err == nil {
		t.Error("sink token outside the vocabulary accepted")
	}
}

func TestParseBOS(t *testing.T) {
	for _, c := range []struct {
		s       string
		tok     int32
		ok, bad bool
	}{{"", 0, false, false}, {"none", 0, false, false}, {"0", 0, true, false}, {"255", 255, true, false},
		{"256", 0, false, true}, {"-1", 0, false, true}, {"x", 0, false, true}} {
		tok, ok, err := ParseBOS(c.s, 256)
		if tok != c.tok || ok != c.ok || (err != nil) != c.bad || (c.bad && !badinput.Is(err)) {
			t.Errorf("ParseBOS(%q) = %d, %v, %v", c.s, tok, ok, err)
		}
	}
	if _, _, err := ParseBOS("256", 256); err.Error() != `bos must be a token id in [0, 256) or none, got "256"` {
		t.Errorf("error %q", err)
	}
}
