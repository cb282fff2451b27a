package induction

import (
	"math"
	"slices"
	"strings"
	"testing"
)

// canonicalTokens returns [BOS, x_1..x_L, x_1..x_L] with BOS = 0 and x_k = k.
func canonicalTokens(L int) []int32 {
	tok := []int32{0}
	for r := 0; r < 2; r++ {
		for k := 1; k <= L; k++ {
			tok = append(tok, int32(k))
		}
	}
	return tok
}

// idealInduction is IdealPattern of the induction pattern on canonical tokens:
// second-repeat query q attends to q-L+1, every other query to BOS.
func idealInduction(L int) []float32 {
	return IdealPattern(InductionPattern(canonicalTokens(L)), 2*L+1)
}

// idealPrevious attends from every query i ≥ 1 to i-1, and from 0 to itself.
func idealPrevious(T int) []float32 {
	return IdealPattern(PreviousTokenPattern(T), T)
}

func TestPrefixMatchingByHand(t *testing.T) {
	t.Parallel()
	const L = 3
	const T = 2*L + 1
	// The ideal induction pattern for L = 3, written out.
	want := []float32{
		1, 0, 0, 0, 0, 0, 0,
		1, 0, 0, 0, 0, 0, 0,
		1, 0, 0, 0, 0, 0, 0,
		1, 0, 0, 0, 0, 0, 0,
		0, 0, 1, 0, 0, 0, 0, // q=4 holds x_1: attend to x_2 at 2
		0, 0, 0, 1, 0, 0, 0, // q=5 holds x_2: attend to x_3 at 3
		0, 0, 0, 0, 1, 0, 0, // q=6 holds x_3: attend to x_1 at 4
	}
	if got := idealInduction(L); !slices.Equal(got, want) {
		t.Fatalf("ideal induction pattern:\n got %v\nwant %v", got, want)
	}
	// Two heads: ideal induction, previous token; one sequence.
	pattern := append(slices.Clone(want), idealPrevious(T)...)
	before := slices.Clone(pattern)
	got, err := PrefixMatchingScores(pattern, 1, 2, T, L)
	if err != nil {
		t.Fatal(err)
	}
	if got[0][0] != 1 || got[1][0] != 0 {
		t.Errorf("prefix matching: induction %g (want 1), previous %g (want 0)", got[0][0], got[1][0])
	}
	// Uniform causal: 1/3 Σ_{q=4..6} 1/(q+1) = (1/5 + 1/6 + 1/7)/3.
	got, err = PrefixMatchingScores(uniformCausal(T), 1, 1, T, L)
	if err != nil {
		t.Fatal(err)
	}
	if u := (1.0/5 + 1.0/6 + 1.0/7) / 3; math.Abs(got[0][0]-u) > 1e-7 {
		t.Errorf("uniform: got %g, want %g", got[0][0], u)
	}
	gotTok, err := PrefixMatchingScoresTokens(pattern, canonicalTokens(L), 1, 2, T)
	if err != nil {
		t.Fatal(err)
	}
	if gotTok[0][0] != 1 || gotTok[1][0] != 0 {
		t.Errorf("token prefix matching: induction %g (want 1), previous %g (want 0)", gotTok[0][0], gotTok[1][0])
	}
	if !slices.Equal(pattern, before) {
		t.Error("prefix matching modified its pattern")
	}
}

func TestPrefixMatchingTokensMatchesCanonical(t *testing.T) {
	t.Parallel()
	// On the canonical batch the token-generic score equals the positional one
	// for any pattern: the only repeated tokens are the second repeat's.
	const L = 4
	const T = 2*L + 1
	const B, H = 2, 3
	pattern := make([]float32, 0, B*H*T*T)
	for b := 0; b < B; b++ {
		pattern = append(pattern, uniformCausal(T)...)
		pattern = append(pattern, idealInduction(L)...)
		pattern = append(pattern, idealPrevious(T)...)
	}
	tokens := append(canonicalTokens(L), canonicalTokens(L)...)
	pos, err := PrefixMatchingScores(pattern, B, H, T, L)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := PrefixMatchingScoresTokens(pattern, tokens, B, H, T)
	if err != nil {
		t.Fatal(err)
	}
	for h := range pos {
		for b := range pos[h] {
			if math.Abs(pos[h][b]-tok[h][b]) > 1e-7 {
				t.Errorf("head %d seq %d: positional %g, token %g", h, b, pos[h][b], tok[h][b])
			}
		}
	}
}

func TestPrefixMatchingTokensGeneric(t *testing.T) {
	t.Parallel()
	// tokens 5 7 5 7 5: queries 2, 3, 4 have earlier copies. Targets: 2→{1},
	// 3→{2}, 4→{1, 3}. Uniform: (1/3 + 1/4 + 2/5) / 3.
	tokens := []int32{5, 7, 5, 7, 5}
	got, err := PrefixMatchingScoresTokens(uniformCausal(5), tokens, 1, 1, 5)
	if err != nil {
		t.Fatal(err)
	}
	if want := (1.0/3 + 1.0/4 + 2.0/5) / 3; math.Abs(got[0][0]-want) > 1e-7 {
		t.Errorf("got %g, want %g", got[0][0], want)
	}
	got, err = PrefixMatchingScoresTokens(uniformCausal(3), []int32{1, 2, 3}, 1, 1, 3)
	if err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(got[0][0]) {
		t.Errorf("no repeats: got %g, want NaN", got[0][0])
	}
}

func TestPrefixMatchingErrors(t *testing.T) {
	t.Parallel()
	if _, err := PrefixMatchingScores(uniformCausal(6), 1, 1, 6, 3); err == nil || !strings.Contains(err.Error(), "T = 2L+1") {
		t.Errorf("T=6, L=3: got %v", err)
	}
	if _, err := PrefixMatchingScores(uniformCausal(7), 2, 1, 7, 3); err == nil || !strings.Contains(err.Error(), "pattern has 49 values") {
		t.Errorf("B=2 with one sequence: got %v", err)
	}
	if _, err := PrefixMatchingScoresTokens(uniformCausal(3), []int32{1, 2}, 1, 1, 3); err == nil || !strings.Contains(err.Error(), "tokens has 2 values") {
		t.Errorf("short tokens: got %v", err)
	}
}
