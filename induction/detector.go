package induction

import (
	"fmt"
	"math"
	"strconv"

	"github.com/attnlab/attnlab/model"
)

// Error measures of DetectorOptions.ErrorMeasure, as TransformerLens.
const (
	ErrorMul = "mul"
	ErrorAbs = "abs"
)

// DetectorOptions are the keyword options of TransformerLens detect_head.
type DetectorOptions struct {
	ExcludeBOS          bool   // exclude_bos: ignore key column 0
	ExcludeCurrentToken bool   // exclude_current_token: ignore the diagonal
	ErrorMeasure        string // "mul" (default when empty) or "abs"
}

func (o DetectorOptions) measure() (string, error) {
	switch o.ErrorMeasure {
	case "", ErrorMul:
		return ErrorMul, nil
	case ErrorAbs:
		return ErrorAbs, nil
	}
	return "", fmt.Errorf("induction: error measure %q is not one of \"mul\", \"abs\"", o.ErrorMeasure)
}

// PreviousTokenPattern returns TransformerLens's previous-token detection
// pattern (get_previous_token_head_detection_pattern), [T, T]:
//
//	P[i, j] = 1 if j = i-1, else 0
func PreviousTokenPattern(T int) []float32 {
	p := make([]float32, T*T) // [T, T]
	for i := 1; i < T; i++ {
		p[i*T+i-1] = 1
	}
	return p
}

// DuplicateTokenPattern returns TransformerLens's duplicate-token detection
// pattern (get_duplicate_token_head_detection_pattern) for one sequence,
// [T, T] with T = len(tokens):
//
//	P[i, j] = 1 if j < i and tokens[j] = tokens[i], else 0
//
// (TL: eq_mask of tokens against themselves, diagonal filled with 0, tril.)
func DuplicateTokenPattern(tokens []int32) []float32 {
	T := len(tokens)
	p := make([]float32, T*T) // [T, T]
	for i := 0; i < T; i++ {
		for j := 0; j < i; j++ {
			if tokens[j] == tokens[i] {
				p[i*T+j] = 1
			}
		}
	}
	return p
}

// InductionPattern returns TransformerLens's induction detection pattern
// (get_induction_head_detection_pattern) for one sequence, [T, T]: the
// duplicate-token pattern rolled one column right, column 0 zeroed, tril:
//
//	P[i, j] = Dup[i, j-1]  for 1 ≤ j ≤ i, else 0
//	        = 1 if tokens[j-1] = tokens[i] and j-1 < i
//
// As in TL, the diagonal is kept: P[i, i] = 1 when tokens[i-1] = tokens[i].
func InductionPattern(tokens []int32) []float32 {
	T := len(tokens)
	d := DuplicateTokenPattern(tokens)
	p := make([]float32, T*T) // [T, T]
	for i := 0; i < T; i++ {
		for j := 1; j <= i; j++ {
			p[i*T+j] = d[i*T+j-1]
		}
	}
	return p
}

// HeadDetectorScores scores every head of one layer against a detection
// pattern, one score per head and sequence ([H][B]), following
// TransformerLens compute_head_attention_similarity_score on each sequence's
// [T, T] pattern A and detection pattern P = detection(b):
//
//	"mul":  A' = A with A'[:, 0] = 0 if ExcludeBOS, diag(A') = 0 if ExcludeCurrentToken
//	        score = Σ(A' ⊙ P) / ΣA'
//	"abs":  D = |A - P|, D[:, 0] = 0 if ExcludeBOS, diag(D) = 0 if ExcludeCurrentToken
//	        score = 1 - round(mean(D) · T, 3) = 1 - round(ΣD / T, 3)
//
// "abs" rounds to 3 decimals exactly as TL does (Python round, half to even on
// the exact binary value) and, like TL, divides by T even when columns are
// excluded. "mul" returns NaN where ΣA' = 0 (TL's 0/0). Like TL, P must be
// lower triangular, and for "abs" A must be zero above the diagonal;
// otherwise an error is returned. Unlike TL (whose attention_pattern[:, 0] = 0
// writes into the cache), pattern is not modified.
func HeadDetectorScores(pattern []float32, B, H, T int, detection func(b int) []float32, opt DetectorOptions) ([][]float64, error) {
	measure, err := opt.measure()
	if err != nil {
		return nil, err
	}
	if err := checkPattern(pattern, B, H, T); err != nil {
		return nil, err
	}
	scores := make([][]float64, H) // [H][B]
	for h := range scores {
		scores[h] = make([]float64, B)
	}
	for b := 0; b < B; b++ {
		det := detection(b) // [T, T]
		if err := checkDetection(det, T, b); err != nil {
			return nil, err
		}
		for h := 0; h < H; h++ {
			a := pattern[(b*H+h)*T*T : (b*H+h+1)*T*T : (b*H+h+1)*T*T] // [T, T]
			s, err := similarity(a, det, T, opt, measure)
			if err != nil {
				return nil, fmt.Errorf("%w (sequence %d, head %d)", err, b, h)
			}
			scores[h][b] = s
		}
	}
	return scores, nil
}

// similarity is compute_head_attention_similarity_score for one [T, T] pair.
func similarity(a, det []float32, T int, opt DetectorOptions, measure string) (float64, error) {
	keep := func(i, j int) bool {
		return !(opt.ExcludeBOS && j == 0) && !(opt.ExcludeCurrentToken && i == j)
	}
	if measure == ErrorMul {
		var num, den float64
		for i := 0; i < T; i++ {
			for j := 0; j < T; j++ {
				if !keep(i, j) {
					continue
				}
				x := float64(a[i*T+j])
				num += x * float64(det[i*T+j])
				den += x
			}
		}
		return num / den, nil
	}
	var sum float64
	for i := 0; i < T; i++ {
		for j := 0; j < T; j++ {
			d := math.Abs(float64(a[i*T+j]) - float64(det[i*T+j]))
			if j > i && d != 0 {
				return 0, fmt.Errorf("induction: \"abs\" needs a causal attention pattern, got %g at query %d, key %d", a[i*T+j], i, j)
			}
			if keep(i, j) {
				sum += d
			}
		}
	}
	return 1 - round3(sum/float64(T)), nil
}

// round3 is Python's round(x, 3): correctly rounded, ties to even on the
// exact binary value (strconv rounds the exact decimal expansion the same way).
func round3(x float64) float64 {
	r, err := strconv.ParseFloat(strconv.FormatFloat(x, 'f', 3, 64), 64)
	if err != nil {
		return x // NaN and ±Inf format as non-numbers; keep them.
	}
	return r
}

// IdealPattern turns a detection pattern into the attention pattern of a head
// that does exactly what the detector looks for: each row with detection mass
// is normalised to sum to 1; a row with none attends fully to BOS (key 0),
// where heads park attention they do not need. Returns a new [T, T] slice.
//
//	Ideal[i, :] = P[i, :] / ΣP[i, :]   if ΣP[i, :] > 0
//	Ideal[i, :] = e_0                   otherwise
func IdealPattern(detection []float32, T int) []float32 {
	p := make([]float32, T*T) // [T, T]
	for i := 0; i < T; i++ {
		var s float64
		for j := 0; j < T; j++ {
			s += float64(detection[i*T+j])
		}
		if s <= 0 {
			p[i*T] = 1
			continue
		}
		for j := 0; j < T; j++ {
			p[i*T+j] = float32(float64(detection[i*T+j]) / s)
		}
	}
	return p
}

// DetectorCeiling returns, per sequence ([B]), the score HeadDetectorScores
// gives the ideal head (IdealPattern of that sequence's detection pattern)
// under the same options: the best score reachable on these tokens. For
// "mul" without ExcludeBOS it is the fraction of rows with a detection
// target; for "abs" it is below 1 wherever a row has several targets.
func DetectorCeiling(B, T int, detection func(b int) []float32, opt DetectorOptions) ([]float64, error) {
	measure, err := opt.measure()
	if err != nil {
		return nil, err
	}
	if B < 0 || T < 1 {
		return nil, fmt.Errorf("induction: need B ≥ 0 and T ≥ 1, got B=%d, T=%d", B, T)
	}
	out := make([]float64, B) // [B]
	for b := 0; b < B; b++ {
		det := detection(b)
		if err := checkDetection(det, T, b); err != nil {
			return nil, err
		}
		s, err := similarity(IdealPattern(det, T), det, T, opt, measure)
		if err != nil {
			return nil, err
		}
		out[b] = s
	}
	return out, nil
}

func checkPattern(pattern []float32, B, H, T int) error {
	if err := model.CheckPattern(pattern, B, H, T); err != nil {
		return fmt.Errorf("induction: %w", err)
	}
	return nil
}

func checkDetection(det []float32, T, b int) error {
	if len(det) != T*T {
		return fmt.Errorf("induction: detection pattern of sequence %d has %d values, [T=%d, T] wants %d", b, len(det), T, T*T)
	}
	for i := 0; i < T; i++ {
		for j := i + 1; j < T; j++ {
			if det[i*T+j] != 0 {
				return fmt.Errorf("induction: detection pattern of sequence %d is not lower triangular (query %d, key %d is %g)", b, i, j, det[i*T+j])
			}
		}
	}
	return nil
}
