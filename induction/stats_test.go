package induction

import (
	"math"
	"slices"
	"strings"
	"testing"
)

func TestSummarizeExact(t *testing.T) {
	t.Parallel()
	// Constant values: every resample mean is the constant.
	s := Summarize([]float64{2, 2, 2, 2}, 7)
	if s != (Stat{Mean: 2, Std: 0, Lo: 2, Hi: 2}) {
		t.Errorf("constant: got %+v", s)
	}
	// 1, 2, 3, 4: mean 2.5, sample std sqrt(5/3).
	xs := []float64{1, 2, 3, 4}
	before := slices.Clone(xs)
	s = Summarize(xs, 7)
	if s.Mean != 2.5 || math.Abs(s.Std-math.Sqrt(5.0/3)) > 1e-15 {
		t.Errorf("1..4: got mean %g std %g", s.Mean, s.Std)
	}
	if !(s.Lo >= 1 && s.Lo < 2.5 && s.Hi > 2.5 && s.Hi <= 4) {
		t.Errorf("1..4: interval [%g, %g] does not bracket 2.5 inside [1, 4]", s.Lo, s.Hi)
	}
	if again := Summarize(xs, 7); again != s {
		t.Errorf("same seed, different result: %+v vs %+v", again, s)
	}
	if !slices.Equal(xs, before) {
		t.Error("Summarize modified its input")
	}
	if one := Summarize([]float64{3}, 1); one != (Stat{Mean: 3, Lo: 3, Hi: 3}) {
		t.Errorf("one value: got %+v", one)
	}
	if e := Summarize(nil, 1); !math.IsNaN(e.Mean) || !math.IsNaN(e.Lo) {
		t.Errorf("empty: got %+v", e)
	}
}

func TestSummarizeBootstrapWidth(t *testing.T) {
	t.Parallel()
	// For n = 400 values ±1, the bootstrap SE of the mean is ≈ 1/sqrt(400) =
	// 0.05, so the 95% interval half-width is ≈ 0.098.
	xs := make([]float64, 400)
	for i := range xs {
		xs[i] = float64(2*(i%2) - 1)
	}
	s := Summarize(xs, 3)
	if w := (s.Hi - s.Lo) / 2; w < 0.085 || w > 0.11 {
		t.Errorf("half-width %g, want ≈ 0.098", w)
	}
}

func TestQuantileNumpyLinear(t *testing.T) {
	t.Parallel()
	// numpy.percentile([1, 2, 3, 4, 5], [2.5, 50, 97.5]) = 1.1, 3, 4.9.
	x := []float64{1, 2, 3, 4, 5}
	for _, c := range []struct{ p, want float64 }{{0.025, 1.1}, {0.5, 3}, {0.975, 4.9}, {1, 5}} {
		if got := quantile(x, c.p); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("quantile(%g) = %g, want %g", c.p, got, c.want)
		}
	}
}

func TestRepeatLossesByHand(t *testing.T) {
	t.Parallel()
	// L = 3, T = 7, loss [B=2, 6]. t: 0 (x_1, out), 1-2 first, 3 (x_1 again, out), 4-5 second.
	loss := []float32{
		9, 4, 6, 9, 1, 3,
		7, 2, 4, 5, 0, 1,
	}
	before := slices.Clone(loss)
	first, second, perPos, err := RepeatLosses(loss, 2, 7, 3)
	if err != nil {
		t.Fatal(err)
	}
	// first per seq: 5, 3 → mean 4; second per seq: 2, 0.5 → mean 1.25.
	if first.Mean != 4 || second.Mean != 1.25 {
		t.Errorf("first %g (want 4), second %g (want 1.25)", first.Mean, second.Mean)
	}
	if math.Abs(first.Std-math.Sqrt2) > 1e-12 || math.Abs(second.Std-1.5/math.Sqrt2) > 1e-12 {
		t.Errorf("std first %g second %g", first.Std, second.Std)
	}
	if want := []float64{8, 3, 5, 7, 0.5, 2}; !slices.Equal(perPos, want) {
		t.Errorf("perPos %v, want %v", perPos, want)
	}
	if !slices.Equal(loss, before) {
		t.Error("RepeatLosses modified its input")
	}
	if _, _, _, err := RepeatLosses(loss, 2, 7, 2); err == nil || !strings.Contains(err.Error(), "T = 2L+1") {
		t.Errorf("L mismatch: got %v", err)
	}
}

func TestICLScoreByHand(t *testing.T) {
	t.Parallel()
	loss := []float32{
		9, 4, 6, 9, 1, 3,
		7, 2, 4, 5, 0, 1,
	}
	// late 4, early 1: 1-4 = -3, 0-2 = -2 → mean -2.5.
	s, err := ICLScore(loss, 2, 7, 1, 4)
	if err != nil {
		t.Fatal(err)
	}
	if s.Mean != -2.5 || math.Abs(s.Std-math.Sqrt(0.5)) > 1e-12 || s.Lo < -3 || s.Hi > -2 {
		t.Errorf("got %+v", s)
	}
	if _, err := ICLScore(loss, 2, 7, 1, 6); err == nil || !strings.Contains(err.Error(), "must lie in [0, 6)") {
		t.Errorf("late out of range: got %v", err)
	}
	if _, err := ICLScore(loss, 3, 7, 1, 4); err == nil || !strings.Contains(err.Error(), "loss has 12 values") {
		t.Errorf("B mismatch: got %v", err)
	}
}

func TestPositionStd(t *testing.T) {
	t.Parallel()
	// B = 4 sequences, T-1 = 2 positions: column 0 holds 1, 2, 3, 4; column 1 is constant.
	loss := []float32{1, 7, 2, 7, 3, 7, 4, 7}
	std, err := PositionStd(loss, 4, 3)
	if err != nil {
		t.Fatal(err)
	}
	if want := math.Sqrt(5.0 / 3); math.Abs(std[0]-want) > 1e-12 || std[1] != 0 {
		t.Errorf("std %v, want [%v 0]", std, want)
	}
	if _, err := PositionStd(loss, 3, 3); err == nil {
		t.Error("a loss of the wrong shape: no error")
	}
	if _, err := PositionStd(loss[:2], 1, 3); err == nil {
		t.Error("one sequence: no error")
	}
}
