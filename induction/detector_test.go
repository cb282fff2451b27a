package induction

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// perfectPrev4 is a perfect previous-token head for T = 4: query 0 can only
// attend to itself (BOS), every later query attends to its predecessor.
var perfectPrev4 = []float32{
	1, 0, 0, 0,
	1, 0, 0, 0,
	0, 1, 0, 0,
	0, 0, 1, 0,
}

// uniformCausal returns the [T, T] pattern with 1/(i+1) on keys 0..i.
func uniformCausal(T int) []float32 {
	p := make([]float32, T*T)
	for i := 0; i < T; i++ {
		for j := 0; j <= i; j++ {
			p[i*T+j] = 1 / float32(i+1)
		}
	}
	return p
}

func TestDetectionPatternsByHand(t *testing.T) {
	t.Parallel()
	tokens := []int32{5, 7, 5, 7, 5}
	cases := []struct {
		name string
		got  []float32
		want []float32
	}{
		{"previous T=4", PreviousTokenPattern(4), []float32{
			0, 0, 0, 0,
			1, 0, 0, 0,
			0, 1, 0, 0,
			0, 0, 1, 0,
		}},
		{"duplicate 5 7 5 7 5", DuplicateTokenPattern(tokens), []float32{
			0, 0, 0, 0, 0,
			0, 0, 0, 0, 0,
			1, 0, 0, 0, 0,
			0, 1, 0, 0, 0,
			1, 0, 1, 0, 0,
		}},
		{"induction 5 7 5 7 5", InductionPattern(tokens), []float32{
			0, 0, 0, 0, 0,
			0, 0, 0, 0, 0,
			0, 1, 0, 0, 0,
			0, 0, 1, 0, 0,
			0, 1, 0, 1, 0,
		}},
		// TL keeps the diagonal of the induction pattern: for "a a" the token
		// after the earlier "a" is the current one.
		{"induction 3 3", InductionPattern([]int32{3, 3}), []float32{
			0, 0,
			0, 1,
		}},
		{"previous T=1", PreviousTokenPattern(1), []float32{0}},
	}
	for _, c := range cases {
		if !slices.Equal(c.got, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestHeadDetectorScoresByHand(t *testing.T) {
	t.Parallel()
	prev := func(int) []float32 { return PreviousTokenPattern(4) }
	cases := []struct {
		name    string
		pattern []float32
		opt     DetectorOptions
		want    float64
	}{
		// mul: ΣA·P = 3 (rows 1..3), ΣA = 4.
		{"perfect mul", perfectPrev4, DetectorOptions{}, 0.75},
		// column 0 zeroed: ΣA' = 2, ΣA'·P = 2.
		{"perfect mul exclude BOS", perfectPrev4, DetectorOptions{ExcludeBOS: true}, 1},
		// diagonal zeroed removes A[0,0]: ΣA' = 3, ΣA'·P = 3.
		{"perfect mul exclude current", perfectPrev4, DetectorOptions{ExcludeCurrentToken: true}, 1},
		// abs: Σ|A-P| = 1 (A[0,0]); 1 - round(1/4, 3).
		{"perfect abs", perfectPrev4, DetectorOptions{ErrorMeasure: "abs"}, 0.75},
		{"perfect abs exclude BOS", perfectPrev4, DetectorOptions{ErrorMeasure: "abs", ExcludeBOS: true}, 1},
		{"perfect abs exclude current", perfectPrev4, DetectorOptions{ErrorMeasure: "abs", ExcludeCurrentToken: true}, 1},
		// uniform: ΣA·P = 1/2 + 1/3 + 1/4 = 13/12, ΣA = 4.
		{"uniform mul", uniformCausal(4), DetectorOptions{}, 13.0 / 48},
		// column 0 zeroed: ΣA' = 1/2 + 2/3 + 3/4 = 23/12, ΣA'·P = 1/3 + 1/4 = 7/12.
		{"uniform mul exclude BOS", uniformCausal(4), DetectorOptions{ExcludeBOS: true}, 7.0 / 23},
		// diagonal zeroed: ΣA' = 0 + 1/2 + 2/3 + 3/4 = 23/12, ΣA'·P = 13/12.
		{"uniform mul exclude current", uniformCausal(4), DetectorOptions{ExcludeCurrentToken: true}, 13.0 / 23},
		// abs rows: 1, 1, 4/3, 3/2; Σ = 29/6; /4 = 1.2083 → round 1.208.
		{"uniform abs", uniformCausal(4), DetectorOptions{ErrorMeasure: "abs"}, 1 - 1.208},
		// column 0 zeroed: rows 0, 1/2, 1, 5/4; Σ = 11/4; /4 = 0.6875 → 0.688 (half to even on exact 0.6875 → 0.688).
		{"uniform abs exclude BOS", uniformCausal(4), DetectorOptions{ErrorMeasure: "abs", ExcludeBOS: true}, 1 - 0.688},
	}
	for _, c := range cases {
		got, err := HeadDetectorScores(c.pattern, 1, 1, 4, prev, c.opt)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if math.Abs(got[0][0]-c.want) > 1e-7 {
			t.Errorf("%s: got %.10f, want %.10f", c.name, got[0][0], c.want)
		}
	}
}

func TestHeadDetectorScoresLayout(t *testing.T) {
	t.Parallel()
	// B=2, H=2: (b0,h0) perfect, (b0,h1) uniform, (b1,h0) uniform, (b1,h1) perfect.
	const T = 4
	var pattern []float32
	pattern = append(pattern, perfectPrev4...)
	pattern = append(pattern, uniformCausal(T)...)
	pattern = append(pattern, uniformCausal(T)...)
	pattern = append(pattern, perfectPrev4...)
	before := slices.Clone(pattern)
	got, err := HeadDetectorScores(pattern, 2, 2, T, func(int) []float32 { return PreviousTokenPattern(T) }, DetectorOptions{ExcludeBOS: true})
	if err != nil {
		t.Fatal(err)
	}
	want := [][]float64{{1, 7.0 / 23}, {7.0 / 23, 1}}
	for h := range want {
		for b := range want[h] {
			if math.Abs(got[h][b]-want[h][b]) > 1e-7 {
				t.Errorf("head %d seq %d: got %g, want %g", h, b, got[h][b], want[h][b])
			}
		}
	}
	if !slices.Equal(pattern, before) {
		t.Error("HeadDetectorScores modified its pattern (TL writes into the cache; we must not)")
	}
}

func TestHeadDetectorScoresErrors(t *testing.T) {
	t.Parallel()
	prev := func(int) []float32 { return PreviousTokenPattern(4) }
	upper := slices.Clone(perfectPrev4)
	upper[0*4+1] = 0.5
	notTril := func(int) []float32 { p := PreviousTokenPattern(4); p[1] = 1; return p }
	cases := []struct {
		name    string
		pattern []float32
		det     func(int) []float32
		opt     DetectorOptions
		want    string
	}{
		{"short pattern", perfectPrev4[:15], prev, DetectorOptions{}, "pattern has 15 values"},
		{"bad measure", perfectPrev4, prev, DetectorOptions{ErrorMeasure: "l2"}, `"l2" is not one of`},
		{"acausal abs", upper, prev, DetectorOptions{ErrorMeasure: "abs"}, "causal attention pattern"},
		{"detection not tril", perfectPrev4, notTril, DetectorOptions{}, "not lower triangular"},
		{"detection wrong size", perfectPrev4, func(int) []float32 { return PreviousTokenPattern(3) }, DetectorOptions{}, "has 9 values"},
	}
	for _, c := range cases {
		_, err := HeadDetectorScores(c.pattern, 1, 1, 4, c.det, c.opt)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "induction: ") {
			t.Errorf("%s: got error %v, want one containing %q", c.name, err, c.want)
		}
	}
}

func TestDetectorCeiling(t *testing.T) {
	t.Parallel()
	tokens := []int32{5, 7, 5, 7, 5}
	dup := func(int) []float32 { return DuplicateTokenPattern(tokens) }
	prev := func(int) []float32 { return PreviousTokenPattern(4) }
	cases := []struct {
		name string
		T    int
		det  func(int) []float32
		opt  DetectorOptions
		want float64
	}{
		// Ideal previous-token head is perfectPrev4: row 0 has no target.
		{"prev mul", 4, prev, DetectorOptions{}, 0.75},
		{"prev mul exclude BOS", 4, prev, DetectorOptions{ExcludeBOS: true}, 1},
		// Duplicate rows 2,3,4 have targets; rows 0,1 park on BOS: 3/5.
		{"dup mul", 5, dup, DetectorOptions{}, 3.0 / 5},
		// abs: rows 0,1 differ by 1 at BOS; row 4 ideal (1/2, 0, 1/2) vs (1, 0, 1): 1.
		// Σ = 3, /5 = 0.6.
		{"dup abs", 5, dup, DetectorOptions{ErrorMeasure: "abs"}, 0.4},
	}
	for _, c := range cases {
		got, err := DetectorCeiling(2, c.T, c.det, c.opt)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		for b, g := range got {
			if math.Abs(g-c.want) > 1e-7 {
				t.Errorf("%s seq %d: got %g, want %g", c.name, b, g, c.want)
			}
		}
	}
}

func TestIdealPatternScoresNoWorseThanRandom(t *testing.T) {
	t.Parallel()
	// On random causal patterns and random tokens, no head beats the ceiling
	// under "mul" without exclusions (the ceiling puts all mass on targets
	// wherever a row has one).
	rng := rand.New(rand.NewPCG(1, 1))
	const B, H, T = 3, 4, 9
	tokens := make([]int32, B*T)
	for i := range tokens {
		tokens[i] = int32(rng.IntN(4))
	}
	pattern := make([]float32, B*H*T*T)
	for bh := 0; bh < B*H; bh++ {
		for i := 0; i < T; i++ {
			var s float32
			row := pattern[(bh*T+i)*T : (bh*T+i+1)*T]
			for j := 0; j <= i; j++ {
				row[j] = rng.Float32() + 1e-3
				s += row[j]
			}
			for j := 0; j <= i; j++ {
				row[j] /= s
			}
		}
	}
	det := func(b int) []float32 { return InductionPattern(tokens[b*T : (b+1)*T]) }
	opt := DetectorOptions{ExcludeBOS: true}
	scores, err := HeadDetectorScores(pattern, B, H, T, det, opt)
	if err != nil {
		t.Fatal(err)
	}
	ceil, err := DetectorCeiling(B, T, det, opt)
	if err != nil {
		t.Fatal(err)
	}
	for h := range scores {
		for b := range scores[h] {
			if scores[h][b] > ceil[b]+1e-9 || scores[h][b] < 0 {
				t.Errorf("head %d seq %d: score %g outside [0, ceiling %g]", h, b, scores[h][b], ceil[b])
			}
		}
	}
}

func TestRound3MatchesPython(t *testing.T) {
	t.Parallel()
	// Values of Python's round(x, 3).
	cases := []struct{ x, want float64 }{
		{1.2083333333333333, 1.208},
		{0.6875, 0.688},   // exact tie, 7 odd → up to 8 (even)
		{0.0625, 0.062},   // exact tie → even
		{2.675, 2.675},    // already 3 decimals
		{0.0005, 0.001},   // 0.0005 is slightly above the tie in binary
		{0.0015, 0.002},   // 0.0015 is slightly above the tie in binary
		{-0.2085, -0.208}, // -0.2085 is slightly below the tie in magnitude
	}
	for _, c := range cases {
		if got := round3(c.x); got != c.want {
			t.Errorf("round3(%v) = %v, want %v", c.x, got, c.want)
		}
	}
}
