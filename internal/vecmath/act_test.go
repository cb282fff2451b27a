package vecmath

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

var acts = []struct {
	name string
	act  Act
}{{"relu", ReLU}, {"gelu_new", GeluNew}, {"gelu", Gelu}}

// actInputs is a fine grid over [−12, 12] (where the activations bend),
// values around 0, and the extremes.
func actInputs() []float32 {
	var xs []float32
	for i := -240000; i <= 240000; i++ {
		xs = append(xs, float32(i)*5e-5)
	}
	xs = append(xs, 1e-30, -1e-30, 1e-7, -1e-7, 30, -30, 40, -40, 100, -100, 1e30, -1e30)
	return xs
}

// TestActAgainstFloat64 checks the float32 activations and their
// derivatives against the float64 formulas (ActRef, ActGradRef) on
// actInputs. The bound is what a correctly rounded float32 evaluation on an
// input off by one rounding can miss by, 8 roundings' worth:
//
//	|got − f(x)| ≤ 8·2⁻²⁴·(|f(x)| + |x·f'(x)|) + 2⁻¹²⁶
//
// (|x·f'(x)| the conditioning: near the zero of gelu' at x ≈ −0.75, and on
// the far negative tails where f falls like e^(−x²/2), a relative bound
// alone cannot hold in float32), with f' taken by central differences.
func TestActAgainstFloat64(t *testing.T) {
	t.Parallel()
	xs := actInputs()
	n := len(xs)
	for _, a := range acts {
		out, dpre := make([]float32, n), make([]float32, n)
		pre := slices.Clone(xs)
		ones := make([]float32, n)
		for i := range ones {
			ones[i] = 1
		}
		BiasAct(a.act, out, pre, nil, 1, n)
		ActBackward(a.act, dpre, nil, pre, ones, 1, n)
		if !slices.Equal(pre, xs) {
			t.Fatalf("%s: BiasAct without a bias changed pre", a.name)
		}
		var worst [2]float64
		var at [2]float32
		for i, x32 := range xs {
			x := float64(x32)
			for k, f := range [2]func(float64) float64{
				func(x float64) float64 { return ActRef(a.act, x) },
				func(x float64) float64 { return ActGradRef(a.act, x) },
			} {
				got := float64(out[i])
				if k == 1 {
					got = float64(dpre[i])
				}
				want := f(x)
				h := 1e-6 * max(1, math.Abs(x))
				cond := math.Abs(x * (f(x+h) - f(x-h)) / (2 * h))
				if math.IsNaN(cond) || math.IsInf(cond, 0) {
					cond = 0
				}
				tol := 8*0x1p-24*(math.Abs(want)+cond) + 0x1p-126
				if e := math.Abs(got-want) / tol; got != want && e > worst[k] {
					worst[k], at[k] = e, x32
				}
			}
		}
		t.Logf("%s: forward worst %.3f of the bound at x=%g, backward %.3f at x=%g", a.name, worst[0], at[0], worst[1], at[1])
		if worst[0] > 1 || worst[1] > 1 {
			t.Errorf("%s: beyond the bound (forward %.2f× at x=%g, backward %.2f× at x=%g)", a.name, worst[0], at[0], worst[1], at[1])
		}
	}
}

// TestActSpecialValues: NaN stays NaN, ±Inf and 0 give the limits.
func TestActSpecialValues(t *testing.T) {
	t.Parallel()
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	xs := []float32{0, inf, -inf, nan}
	for _, a := range acts {
		out, d := make([]float32, 4), make([]float32, 4)
		BiasAct(a.act, out, slices.Clone(xs), nil, 1, 4)
		ActBackward(a.act, d, nil, xs, []float32{1, 1, 1, 1}, 1, 4)
		if out[0] != 0 || out[1] != inf || !math.IsNaN(float64(out[3])) {
			t.Errorf("%s(0, +Inf, NaN) = %v, %v, %v; want 0, +Inf, NaN", a.name, out[0], out[1], out[3])
		}
		if a.act == ReLU && out[2] != 0 {
			t.Errorf("relu(−Inf) = %v, want 0", out[2])
		}
		if want := float32(ActGradRef(a.act, 0)); d[0] != want || d[1] != 1 || (a.act != ReLU && !math.IsNaN(float64(d[3]))) {
			t.Errorf("%s'(0, +Inf, NaN) = %v, %v, %v; want %v, 1, NaN", a.name, d[0], d[1], d[3], want)
		}
	}
}

// TestBiasActFused checks the bias add and the bias gradient bit for bit
// against the unfused loops (Add per row), on shapes with column tails,
// and that the inputs are left alone and dpre may alias dout.
func TestBiasActFused(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 1))
	for _, a := range acts {
		for _, sh := range [][2]int{{1, 1}, {3, 37}, {5, 16}, {2, 15}, {7, 200}, {4, 512}} {
			rows, cols := sh[0], sh[1]
			n := rows * cols
			x, bias, dout, db0 := randVec(r, n, 3), randVec(r, cols, 1), randVec(r, n, 1), randVec(r, cols, 1)
			pre, out := slices.Clone(x), make([]float32, n)
			BiasAct(a.act, out, pre, bias, rows, cols)
			wantPre := slices.Clone(x)
			for i := range rows {
				AddRef(wantPre[i*cols:(i+1)*cols], bias)
			}
			if !slices.Equal(pre, wantPre) {
				t.Fatalf("%s %v: pre + bias differs from the plain add", a.name, sh)
			}
			out2 := make([]float32, n)
			BiasAct(a.act, out2, slices.Clone(wantPre), nil, rows, cols)
			if !slices.Equal(out, out2) {
				t.Fatalf("%s %v: fused output differs from add-then-activate", a.name, sh)
			}
			// Backward into dout's own storage, with a bias gradient.
			d, db := slices.Clone(dout), slices.Clone(db0)
			preCopy := slices.Clone(pre)
			ActBackward(a.act, d, db, pre, d, rows, cols)
			if !slices.Equal(pre, preCopy) {
				t.Fatalf("%s %v: ActBackward changed pre", a.name, sh)
			}
			d2 := make([]float32, n)
			ActBackward(a.act, d2, nil, pre, dout, rows, cols)
			if !slices.Equal(d, d2) {
				t.Fatalf("%s %v: aliased dpre differs", a.name, sh)
			}
			wantDB := slices.Clone(db0)
			for i := range rows {
				AddRef(wantDB, d2[i*cols:(i+1)*cols])
			}
			if !slices.Equal(db, wantDB) {
				t.Fatalf("%s %v: dbias differs from the row-ordered float32 sum", a.name, sh)
			}
		}
	}
}

func randVec(r *rand.Rand, n int, scale float64) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64() * scale)
	}
	return v
}

func TestParseAct(t *testing.T) {
	for _, a := range acts {
		if got, err := ParseAct(a.name); err != nil || got != a.act {
			t.Errorf("ParseAct(%q) = %v, %v", a.name, got, err)
		}
	}
	if _, err := ParseAct("swish"); err == nil {
		t.Error("ParseAct(swish): no error")
	}
}

func benchAct(b *testing.B, a Act, backward bool) {
	const rows, cols = 64, 512
	r := rand.New(rand.NewPCG(1, 1))
	pre, out, bias := randVec(r, rows*cols, 2), make([]float32, rows*cols), randVec(r, cols, 1)
	for b.Loop() {
		if backward {
			ActBackward(a, out, bias, pre, out, rows, cols)
		} else {
			BiasAct(a, out, pre, nil, rows, cols)
		}
	}
	b.ReportMetric(float64(rows*cols)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Melem/s")
}

func BenchmarkGeluNew(b *testing.B)         { benchAct(b, GeluNew, false) }
func BenchmarkGeluNewBackward(b *testing.B) { benchAct(b, GeluNew, true) }
func BenchmarkGelu(b *testing.B)            { benchAct(b, Gelu, false) }
func BenchmarkGeluBackward(b *testing.B)    { benchAct(b, Gelu, true) }
func BenchmarkReLU(b *testing.B)            { benchAct(b, ReLU, false) }
