package induction_test

import (
	"fmt"

	"github.com/attnlab/attnlab/induction"
)

// A perfect previous-token head on 4 positions, scored as TransformerLens
// detect_head would, with and without exclude_bos.
func ExampleHeadDetectorScores() {
	pattern := []float32{ // [B=1, H=1, T=4, T]
		1, 0, 0, 0,
		1, 0, 0, 0,
		0, 1, 0, 0,
		0, 0, 1, 0,
	}
	prev := func(int) []float32 { return induction.PreviousTokenPattern(4) }
	for _, opt := range []induction.DetectorOptions{
		{},
		{ExcludeBOS: true},
		{ErrorMeasure: "abs"},
	} {
		s, err := induction.HeadDetectorScores(pattern, 1, 1, 4, prev, opt)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%+v: %.3f\n", opt, s[0][0])
	}
	// Output:
	// {ExcludeBOS:false ExcludeCurrentToken:false ErrorMeasure:}: 0.750
	// {ExcludeBOS:true ExcludeCurrentToken:false ErrorMeasure:}: 1.000
	// {ExcludeBOS:false ExcludeCurrentToken:false ErrorMeasure:abs}: 0.750
}

func ExampleInductionPattern() {
	tokens := []int32{5, 7, 5, 7}
	p := induction.InductionPattern(tokens)
	for i := range tokens {
		fmt.Println(p[i*4 : (i+1)*4])
	}
	// Output:
	// [0 0 0 0]
	// [0 0 0 0]
	// [0 1 0 0]
	// [0 0 1 0]
}

// Prefix matching of an ideal induction head on [BOS, 1 2 3, 1 2 3].
func ExamplePrefixMatchingScores() {
	tokens := []int32{0, 1, 2, 3, 1, 2, 3}
	ideal := induction.IdealPattern(induction.InductionPattern(tokens), 7)
	s, err := induction.PrefixMatchingScores(ideal, 1, 1, 7, 3)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(s[0][0])
	// Output: 1
}

func ExampleSummarize() {
	s := induction.Summarize([]float64{0.9, 0.8, 0.85, 0.95}, 1)
	fmt.Printf("mean %.3f std %.3f, 95%% CI inside [0.8, 0.95]: %v\n", s.Mean, s.Std, s.Lo >= 0.8 && s.Hi <= 0.95)
	// Output: mean 0.875 std 0.065, 95% CI inside [0.8, 0.95]: true
}

func ExampleRepeatLosses() {
	// [BOS, x1 x2 x3, x1 x2 x3]: loss[t] predicts position t+1.
	loss := []float32{5, 4, 4, 5, 0.5, 0.5} // [B=1, T-1=6]
	first, second, _, err := induction.RepeatLosses(loss, 1, 7, 3)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(first.Mean, second.Mean)
	// Output: 4 0.5
}
