package parity

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/attnlab/attnlab/fixtures"
	"github.com/attnlab/attnlab/internal/badinput"
	"github.com/attnlab/attnlab/model"
	"github.com/attnlab/attnlab/safetensors"
)

var tol = Tolerance{RTol: 1e-5, ATol: 1e-6}

func TestCompareIdentical(t *testing.T) {
	a := Tensor{Shape: []int{2, 3}, Data: []float64{1, -2, 0, math.Inf(-1), math.NaN(), 5}}
	r := Compare("x", a, a, tol)
	if r.Status != Pass || r.Bad != 0 || r.MaxAbs != 0 || r.MaxRel != 0 || r.N != 6 {
		t.Fatalf("a tensor against itself: %+v", r)
	}
}

func TestCompareLocatesWorst(t *testing.T) {
	ref := Tensor{Shape: []int{2, 3, 4}, Data: make([]float64, 24)}
	for i := range ref.Data {
		ref.Data[i] = float64(i + 1)
	}
	got := Tensor{Shape: ref.Shape, Data: slices.Clone(ref.Data)}
	got.Data[17] += 0.5     // index [1 1 1], far outside
	got.Data[3] += 1e-6 * 4 // within rtol·|4| + atol
	r := Compare("x", got, ref, tol)
	if r.Status != Fail || r.Bad != 1 {
		t.Fatalf("status %v bad %d, want FAIL with 1 bad element", r.Status, r.Bad)
	}
	if !slices.Equal(r.Worst, []int{1, 1, 1}) || r.WorstGot != 18.5 || r.WorstRef != 18 {
		t.Fatalf("worst %v (%v vs %v), want [1 1 1] (18.5 vs 18)", r.Worst, r.WorstGot, r.WorstRef)
	}
	if r.MaxAbs != 0.5 || math.Abs(r.MaxRel-0.5/18) > 1e-15 {
		t.Fatalf("max abs %v rel %v", r.MaxAbs, r.MaxRel)
	}
	if want := (0.5 + 4e-6) / 24; math.Abs(r.MeanAbs-want) > 1e-15 {
		t.Fatalf("mean abs %v, want %v", r.MeanAbs, want)
	}
}

func TestCompareNonFinite(t *testing.T) {
	for _, c := range []struct {
		a, b float64
		ok   bool
	}{
		{math.NaN(), math.NaN(), true},
		{math.Inf(-1), math.Inf(-1), true},
		{math.Inf(1), math.Inf(-1), false},
		{-1e5, math.Inf(-1), false}, // TransformerLens's old IGNORE value against −Inf
		{math.NaN(), 1, false},
		{1, 0, false}, // relative difference +Inf, absolute 1 > atol
		{0, 0, true},
	} {
		r := Compare("x", Tensor{[]int{1}, []float64{c.a}}, Tensor{[]int{1}, []float64{c.b}}, tol)
		if (r.Status == Pass) != c.ok {
			t.Errorf("%v against %v: %v", c.a, c.b, r.Status)
		}
	}
}

func TestCompareAllStatuses(t *testing.T) {
	x := Tensor{Shape: []int{2}, Data: []float64{1, 2}}
	ref := map[string]Tensor{"a": x, "b": x, "c": x, "blocks.0.hook_attn_in": x}
	got := map[string]Tensor{"a": x, "b": {Shape: []int{1, 2}, Data: []float64{1, 2}}, "extra": x}
	rs := CompareAll(got, ref, tol, func(n string) bool { return n == "blocks.0.hook_attn_in" })
	want := map[string]Status{"a": Pass, "b": ShapeMismatch, "c": Missing, "blocks.0.hook_attn_in": NotComputed}
	if len(rs) != len(want) {
		t.Fatalf("%d results, want %d (got-only tensors are ignored)", len(rs), len(want))
	}
	for _, r := range rs {
		if r.Status != want[r.Name] {
			t.Errorf("%s: %v, want %v", r.Name, r.Status, want[r.Name])
		}
	}
	if n := Failures(rs); n != 2 {
		t.Errorf("%d failures, want 2 (shape and missing; not-computed is not a failure)", n)
	}
	tab := Table(rs, tol)
	if len(tab.Rows) != 4 || tab.Caption != "4 tensors: 2 failed, 1 not computed by attnlab (no such hook point)" {
		t.Errorf("table: %d rows, caption %q", len(tab.Rows), tab.Caption)
	}
}

// cacheFile runs m on tokens and encodes the run as a reference file would
// hold it: tokens, logits and the named hook points.
func cacheFile(t *testing.T, m *model.Model, tokens []int32, B, T int, names []string, edit func(name string, d []float32)) *safetensors.File {
	t.Helper()
	out, err := m.Run(tokens, B, T, model.RunOptions{CacheNames: names})
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]int64, len(tokens))
	for i, v := range tokens {
		ids[i] = int64(v)
	}
	ts := []safetensors.WriteTensor{{Name: NameTokens, Shape: []int{B, T}, I64: ids}}
	add := func(n string, x *model.Tensor) {
		d := slices.Clone(x.Data)
		if edit != nil {
			edit(n, d)
		}
		ts = append(ts, safetensors.WriteTensor{Name: n, Shape: x.Shape, F32: d})
	}
	add(NameLogits, out.Logits)
	for _, n := range names {
		add(n, out.Cache[n])
	}
	var buf bytes.Buffer
	if err := safetensors.Encode(&buf, ts, nil); err != nil {
		t.Fatal(err)
	}
	f, err := safetensors.Parse(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestAgainstModel(t *testing.T) {
	m, err := fixtures.Model("induction-2l")
	if err != nil {
		t.Fatal(err)
	}
	tokens := []int32{0, 7, 3, 9, 12, 7, 3, 9, 12, 1, 2, 3}
	B, T := 2, 6
	names := []string{"blocks.0.attn.hook_pattern", "blocks.1.attn.hook_z", "blocks.1.hook_resid_post", "blocks.0.attn.hook_attn_scores"}

	ref := cacheFile(t, m, tokens, B, T, names, nil)
	rs, err := Against(context.Background(), m, ref, tol)
	if err != nil {
		t.Fatal(err)
	}
	if Failures(rs) != 0 || len(rs) != 5 {
		t.Fatalf("the model against its own cache: %d failures in %d results", Failures(rs), len(rs))
	}

	// One element of layer 1's z perturbed: that tensor fails, at that index.
	ref = cacheFile(t, m, tokens, B, T, names, func(n string, d []float32) {
		if n == "blocks.1.attn.hook_z" {
			d[1*T*4*16+4*4*16+2*16+5] += 0.01 // [b=1, pos=4, head=2, e=5]
		}
	})
	rs, err = Against(context.Background(), m, ref, tol)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if r.Name == "blocks.1.attn.hook_z" {
			if r.Status != Fail || r.Bad != 1 || !slices.Equal(r.Worst, []int{1, 4, 2, 5}) {
				t.Fatalf("perturbed z: %v, %d bad, worst %v; want FAIL at [1 4 2 5]", r.Status, r.Bad, r.Worst)
			}
		} else if r.Status != Pass {
			t.Errorf("%s: %v, want pass", r.Name, r.Status)
		}
	}
}

func TestAgainstRejectsBadTokens(t *testing.T) {
	m, err := fixtures.Model("induction-2l")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		ts   []safetensors.WriteTensor
	}{
		{"no tokens", []safetensors.WriteTensor{{Name: "logits", Shape: []int{1}, F32: []float32{0}}}},
		{"out of vocabulary", []safetensors.WriteTensor{{Name: "tokens", Shape: []int{1, 2}, I64: []int64{1, 64}}}},
		{"too long", []safetensors.WriteTensor{{Name: "tokens", Shape: []int{1, 129}, I64: make([]int64, 129)}}},
		{"float tokens", []safetensors.WriteTensor{{Name: "tokens", Shape: []int{1, 2}, F32: []float32{1, 2}}}},
	} {
		var buf bytes.Buffer
		if err := safetensors.Encode(&buf, c.ts, nil); err != nil {
			t.Fatal(err)
		}
		f, err := safetensors.Parse(buf.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Against(context.Background(), m, f, tol); err == nil {
			t.Errorf("%s: accepted", c.name)
		}
	}
}

func TestUnknownHooks(t *testing.T) {
	m, err := fixtures.Model("induction-2l")
	if err != nil {
		t.Fatal(err)
	}
	x := []float32{1}
	ts := []safetensors.WriteTensor{
		{Name: "tokens", Shape: []int{1, 1}, I64: []int64{3}},
		{Name: "blocks.0.hook_attn_in", Shape: []int{1}, F32: x},   // TL has it, attnlab does not
		{Name: "blocks.7.hook_resid_pre", Shape: []int{1}, F32: x}, // a layer the model lacks
		{Name: "whatever", Shape: []int{1}, F32: x},
	}
	var buf bytes.Buffer
	if err := safetensors.Encode(&buf, ts, nil); err != nil {
		t.Fatal(err)
	}
	f, err := safetensors.Parse(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	rs, err := Against(context.Background(), m, f, tol)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Status{"blocks.0.hook_attn_in": NotComputed, "blocks.7.hook_resid_pre": Missing, "whatever": Missing}
	for _, r := range rs {
		if r.Status != want[r.Name] {
			t.Errorf("%s: %v, want %v", r.Name, r.Status, want[r.Name])
		}
	}
}

// TestGoldenParity checks the four golden models against the independent
// PyTorch float64 implementation in model/testdata/golden: logits, losses,
// residual streams, patterns and every parameter gradient, at the
// tolerances model/golden_test.go explains (float32 engine).
func TestGoldenParity(t *testing.T) {
	for _, name := range []string{"attn_only_2l", "ln_mlp_gelu_new_2l", "rotary_mlp_relu_2l", "lnpre_mlp_gelu_3l"} {
		t.Run(name, func(t *testing.T) {
			m, err := model.Load("../model/testdata/golden/"+name+".model.safetensors", "")
			if err != nil {
				t.Fatal(err)
			}
			ref, err := safetensors.ReadFile("../model/testdata/golden/" + name + ".expected.safetensors")
			if err != nil {
				t.Fatal(err)
			}
			rs, err := Against(context.Background(), m, ref, Tolerance{RTol: 1e-4, ATol: 1e-4})
			if err != nil {
				t.Fatal(err)
			}
			grads := 0
			for _, r := range rs {
				if r.Status != Pass {
					t.Errorf("%s: %v (max abs %.2e, rel %.2e at %v)", r.Name, r.Status, r.MaxAbs, r.MaxRel, r.Worst)
				}
				if strings.HasPrefix(r.Name, GradPrefix) {
					grads++
				}
			}
			if grads == 0 || len(rs) < 10 {
				t.Fatalf("only %d results, %d gradients", len(rs), grads)
			}
		})
	}
}

// TestFailure: no failure is no error; six failures (FAIL, shape, missing)
// among passes and "not computed" are counted and the first four named.
func TestFailure(t *testing.T) {
	t.Parallel()
	rs := []Result{{Name: "ok", Status: Pass}, {Name: "nc", Status: NotComputed}}
	if err := Failure(rs); err != nil {
		t.Errorf("passing results: %v", err)
	}
	for _, s := range []Status{Fail, ShapeMismatch, Missing, Fail, Fail, Fail} {
		rs = append(rs, Result{Name: fmt.Sprint("t", len(rs)), Status: s})
	}
	want := fmt.Sprintf("6 of 8 tensors fail: t2 (%s), t3 (%s), t4 (%s), t5 (%s), …", Fail, ShapeMismatch, Missing, Fail)
	if err := Failure(rs); err == nil || err.Error() != want {
		t.Errorf("got %v, want %q", err, want)
	}
}

func TestToleranceValidate(t *testing.T) {
	t.Parallel()
	if err := (Tolerance{RTol: 1.3e-6, ATol: 1e-5}).Validate(); err != nil {
		t.Errorf("PyTorch's tolerances: %v", err)
	}
	for _, tol := range []Tolerance{{-1, 0}, {0, math.NaN()}, {math.Inf(1), 0}, {0, math.Inf(1)}} {
		if err := tol.Validate(); !badinput.Is(err) || !strings.HasPrefix(err.Error(), "rtol and atol must be finite and non-negative, got ") {
			t.Errorf("%v: %v", tol, err)
		}
	}
}
