package parity

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/attnlab/attnlab/internal/badinput"
)

// Tolerance is an elementwise closeness test: |got − ref| ≤ ATol + RTol·|ref|.
type Tolerance struct {
	RTol, ATol float64
}

// Validate checks that both tolerances are finite and non-negative. Its
// error is a *badinput.Setting naming rtol and atol.
func (t Tolerance) Validate() error {
	if !(t.RTol >= 0 && t.ATol >= 0) || math.IsInf(t.RTol, 0) || math.IsInf(t.ATol, 0) {
		return badinput.Settingf("{rtol} and {atol} must be finite and non-negative, got %v and %v", t.RTol, t.ATol)
	}
	return nil
}

// Status is the outcome of comparing one tensor.
type Status int

const (
	Pass          Status = iota // every element within tolerance
	Fail                        // some element outside tolerance
	ShapeMismatch               // the shapes differ; nothing compared
	Missing                     // in the reference, absent from the other side
	NotComputed                 // in the reference, but the model has no such hook point
)

func (s Status) String() string {
	return [...]string{"pass", "FAIL", "shape differs", "missing", "not computed"}[s]
}

// Failed reports whether the status counts as a failure of the check: a
// tensor the model cannot compute (a hook point it does not have) does not.
func (s Status) Failed() bool { return s == Fail || s == ShapeMismatch || s == Missing }

// Tensor is a named-free dense tensor in float64: the common ground of
// float32 activations and float64 references.
type Tensor struct {
	Shape []int
	Data  []float64
}

// Result is the comparison of one tensor.
type Result struct {
	Name               string
	Status             Status
	RefShape, GotShape []int
	N                  int     // elements compared
	Bad                int     // elements outside the tolerance
	MaxAbs, MeanAbs    float64 // |got − ref|
	MaxRel, MeanRel    float64 // |got − ref| / |ref|
	Worst              []int   // index of the element furthest outside (or nearest to) its tolerance; nil if every element is equal
	WorstGot, WorstRef float64
}

// Compare compares got with ref elementwise.
func Compare(name string, got, ref Tensor, tol Tolerance) Result {
	r := Result{Name: name, RefShape: slices.Clone(ref.Shape), GotShape: slices.Clone(got.Shape)}
	if !slices.Equal(got.Shape, ref.Shape) || len(got.Data) != len(ref.Data) {
		r.Status = ShapeMismatch
		return r
	}
	r.N = len(ref.Data)
	worst, worstRatio := -1, math.Inf(-1)
	var sumAbs, sumRel float64
	for i, b := range ref.Data {
		a := got.Data[i]
		d, rel := diff(a, b)
		allowed := tol.ATol + tol.RTol*math.Abs(b)
		ratio := d / allowed // +Inf when allowed = 0 and d > 0; NaN when both 0
		if d == 0 {
			ratio = 0
		}
		if d > allowed || math.IsInf(d, 1) {
			r.Bad++
		}
		if ratio > worstRatio || (math.IsNaN(ratio) && worst < 0) {
			worst, worstRatio = i, ratio
		}
		r.MaxAbs = math.Max(r.MaxAbs, d)
		r.MaxRel = math.Max(r.MaxRel, rel)
		sumAbs += d
		sumRel += rel
	}
	if r.N > 0 {
		r.MeanAbs, r.MeanRel = sumAbs/float64(r.N), sumRel/float64(r.N)
	}
	if r.MaxAbs > 0 {
		r.Worst = unravel(worst, ref.Shape)
		r.WorstGot, r.WorstRef = got.Data[worst], ref.Data[worst]
	}
	r.Status = Pass
	if r.Bad > 0 {
		r.Status = Fail
	}
	return r
}

// diff returns |a − b| and |a − b|/|b| with NaN equal to NaN and each
// infinity equal to itself; any other pairing with a non-finite value is
// an infinite difference.
func diff(a, b float64) (abs, rel float64) {
	switch {
	case a == b, math.IsNaN(a) && math.IsNaN(b):
		return 0, 0
	case math.IsNaN(a), math.IsNaN(b), math.IsInf(a, 0), math.IsInf(b, 0):
		return math.Inf(1), math.Inf(1)
	}
	abs = math.Abs(a - b)
	if b == 0 {
		return abs, math.Inf(1)
	}
	return abs, abs / math.Abs(b)
}

// unravel turns a flat row-major index into a multi-index.
func unravel(i int, shape []int) []int {
	idx := make([]int, len(shape))
	for d := len(shape) - 1; d >= 0; d-- {
		if shape[d] > 0 {
			idx[d] = i % shape[d]
			i /= shape[d]
		}
	}
	return idx
}

// CompareAll compares every tensor of ref with the tensor of the same name
// in got, in ref's name order. A name absent from got is Missing, unless
// unavailable reports it as something got could never hold (NotComputed).
// Tensors only in got are ignored: the reference decides what is checked.
func CompareAll(got, ref map[string]Tensor, tol Tolerance, unavailable func(name string) bool) []Result {
	names := make([]string, 0, len(ref))
	for n := range ref {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]Result, 0, len(names))
	for _, n := range names {
		g, ok := got[n]
		if !ok {
			st := Missing
			if unavailable != nil && unavailable(n) {
				st = NotComputed
			}
			out = append(out, Result{Name: n, Status: st, RefShape: slices.Clone(ref[n].Shape)})
			continue
		}
		out = append(out, Compare(n, g, ref[n], tol))
	}
	return out
}

// Failures counts the results whose status is a failure.
func Failures(rs []Result) int {
	n := 0
	for _, r := range rs {
		if r.Status.Failed() {
			n++
		}
	}
	return n
}

// Failure is nil when no result failed, else an error that counts the
// failures and names the first four with their status:
// "1 of 31 tensors fail: blocks.1.attn.hook_z (FAIL)".
func Failure(rs []Result) error {
	n := Failures(rs)
	if n == 0 {
		return nil
	}
	var bad []string
	for _, r := range rs {
		if r.Status.Failed() {
			bad = append(bad, r.Name+" ("+r.Status.String()+")")
		}
	}
	if len(bad) > 4 {
		bad = append(bad[:4], "…")
	}
	return fmt.Errorf("%d of %d tensors fail: %s", n, len(rs), strings.Join(bad, ", "))
}

// shapeString renders a shape as [1 4 8 8].
func shapeString(s []int) string {
	if s == nil {
		return ""
	}
	return fmt.Sprint(s)
}
