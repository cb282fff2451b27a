package sinks

import (
	"math"
	"slices"
	"testing"
)

// handPattern builds one layer's [B=2, H=2, T=4, T] pattern: head 0 puts
// mass a on key 0 for every query i ≥ 1 (the rest on the diagonal), head 1
// is uniform over the visible keys.
func handPattern(a float32) []float32 {
	const B, H, T = 2, 2, 4
	p := make([]float32, B*H*T*T)
	for b := range B {
		for i := range T {
			h0 := p[(b*H+0)*T*T+i*T:][:T]
			if i == 0 {
				h0[0] = 1
			} else {
				h0[0], h0[i] = a, 1-a
			}
			h1 := p[(b*H+1)*T*T+i*T:][:T]
			for j := 0; j <= i; j++ {
				h1[j] = 1 / float32(i+1)
			}
		}
	}
	return p
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-6 }

func TestFirstTokenMassHandBuilt(t *testing.T) {
	t.Parallel()
	p := handPattern(0.75)
	p0 := slices.Clone(p)
	alpha, byPos, err := FirstTokenMass(p, 2, 2, 4)
	if err != nil {
		t.Fatal(err)
	}
	// head 1: mean of 1/2, 1/3, 1/4.
	if !near(alpha[0], 0.75) || !near(alpha[1], (1.0/2+1.0/3+1.0/4)/3) {
		t.Errorf("alpha = %v, want [0.75 %.6f]", alpha, (1.0/2+1.0/3+1.0/4)/3)
	}
	if want := []float64{1, 0.5, 1.0 / 3, 0.25}; !near(byPos[1][2], want[2]) || !near(byPos[1][0], 1) || !near(byPos[0][3], 0.75) {
		t.Errorf("byPos = %v", byPos)
	}
	if !slices.Equal(p, p0) {
		t.Error("FirstTokenMass changed its input")
	}
	if _, _, err := FirstTokenMass(p[:5], 2, 2, 4); err == nil {
		t.Error("wrong length accepted")
	}
}

func TestGuAlphaAndSinkRatio(t *testing.T) {
	t.Parallel()
	p := handPattern(0.75)
	// k = 1 on all 4 positions: queries 0..3 see key 0: head 0 (1 + 3·0.75)/4.
	g, err := GuAlpha(p, 2, 2, 4, 1, 4)
	if err != nil {
		t.Fatal(err)
	}
	if !near(g[0], (1+3*0.75)/4) || !near(g[1], (1+0.5+1.0/3+0.25)/4) {
		t.Errorf("α_1 = %v", g)
	}
	// k = 2 on the first 3 positions: queries 1, 2 on key 1: head 1 (1/2 + 1/3)/2,
	// head 0 (0.25 + 0)/2.
	g2, err := GuAlpha(p, 2, 2, 4, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	if !near(g2[1], (0.5+1.0/3)/2) || !near(g2[0], 0.25/2) {
		t.Errorf("α_2 = %v", g2)
	}
	if r := SinkRatio([][]float64{g, {0.1, 0.9}}, 0.6); !near(r, 0.5) {
		t.Errorf("Sink ratio = %v, want 0.5 (2 of 4 heads above 0.6)", r)
	}
	if _, err := GuAlpha(p, 2, 2, 4, 5, 4); err == nil {
		t.Error("k > n accepted")
	}
}

func TestValueAndResidNorms(t *testing.T) {
	t.Parallel()
	// B=1, T=3, H=2, E=2: head 0 values (3,4), (1,0), (0,1); head 1 (0,0), (6,8), (0,2).
	v := []float32{3, 4, 0, 0, 1, 0, 6, 8, 0, 1, 0, 2}
	first, rest, err := ValueNorms(v, 1, 3, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	if !near(first[0], 5) || !near(rest[0], 1) || !near(first[1], 0) || !near(rest[1], 6) {
		t.Errorf("value norms first %v rest %v", first, rest)
	}
	// B=2, T=2, D=2: first-token norms 10 and 20, others 1 and 3.
	resid := []float32{6, 8, 1, 0, 12, 16, 0, 3}
	f, r, err := ResidNorms(resid, 2, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	if !near(f, 15) || !near(r, 2) {
		t.Errorf("resid norms %v %v, want 15 2", f, r)
	}
}

func TestRowSum(t *testing.T) {
	t.Parallel()
	p := handPattern(0.75)
	// Scale head 0's rows by a half: a null slot took the other half.
	for b := range 2 {
		for i := range 16 {
			p[(b*2+0)*16+i] /= 2
		}
	}
	rs, err := RowSum(p, 2, 2, 4)
	if err != nil {
		t.Fatal(err)
	}
	if !near(rs[0], 0.5) || !near(rs[1], 1) {
		t.Errorf("row sums %v, want [0.5 1]", rs)
	}
}
