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

func TestGuAlphaAndSinkHeads(t *testing.T) {
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
	if r := SinkHeads([][]float64{g, {0.1, 0.9}}, 0.6); !near(r, 0.5) {
		t.Errorf("SinkHeads = %v, want 0.5 (2 of 4 heads above 0.6)", r)
	}
	if _, err := GuAlpha(p, 2, 2, 4, 5, 4); err == nil {
		t.Error("k > n accepted")
	}
}

// TestSinkRatePerSample: one layer, two samples, two heads whose α_1 differ
// by sample. Head 0 puts 0.8 of every query's attention on key 0 in sample
// 0 and 0.05 in sample 1; head 1 is uniform in both. Gu et al.'s code
// thresholds each sample, the head-mean form the average.
func TestSinkRatePerSample(t *testing.T) {
	t.Parallel()
	const B, H, T = 2, 2, 4
	p := handPattern(0.8)
	for i := 1; i < T; i++ { // sample 1, head 0: 0.05 on key 0
		row := p[(1*H+0)*T*T+i*T:][:T]
		row[0], row[i] = 0.05, 0.95
	}
	gs, err := GuAlphaSamples(p, B, H, T, 1, T)
	if err != nil {
		t.Fatal(err)
	}
	// α_1 includes query 0's own attention to key 0 (1): (1 + 3a)/4.
	uni := (1 + 0.5 + 1.0/3 + 0.25) / 4
	want := [][]float64{{(1 + 3*0.8) / 4, uni}, {(1 + 3*0.05) / 4, uni}}
	for b := range B {
		for h := range H {
			if !near(gs[b][h], want[b][h]) {
				t.Errorf("α_1[%d][%d] = %v, want %v", b, h, gs[b][h], want[b][h])
			}
		}
	}
	mean := MeanOverSamples(gs)
	if !near(mean[0], (want[0][0]+want[1][0])/2) || !near(mean[1], uni) {
		t.Errorf("sample means %v", mean)
	}
	// ε = 0.6: only (sample 0, head 0) at 0.85; head 0's mean is 0.569.
	if r := SinkRate([][][]float64{gs}, 0.6); !near(r, 0.25) {
		t.Errorf("SinkRate = %v, want 1/4", r)
	}
	if r := SinkHeads([][]float64{mean}, 0.6); r != 0 {
		t.Errorf("SinkHeads = %v, want 0", r)
	}
	// ε = 0.55: head 0's mean crosses too (uniform is 0.52); still one sample in four.
	if r := SinkRate([][][]float64{gs}, 0.55); !near(r, 0.25) {
		t.Errorf("SinkRate(0.55) = %v, want 1/4", r)
	}
	if r := SinkHeads([][]float64{mean}, 0.55); !near(r, 0.5) {
		t.Errorf("SinkHeads(0.55) = %v, want 1/2", r)
	}
	if !math.IsNaN(SinkRate(nil, 0.3)) || !math.IsNaN(SinkHeads(nil, 0.3)) {
		t.Error("no heads: want NaN")
	}
	for _, name := range SinkMetrics {
		if m, err := ParseSinkMetric(name); err != nil || m.String() != name {
			t.Errorf("ParseSinkMetric(%q) = %v, %v", name, m, err)
		}
	}
	if _, err := ParseSinkMetric("gu"); err == nil {
		t.Error("unknown metric accepted")
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

func TestMassiveActivation(t *testing.T) {
	t.Parallel()
	// B=2, T=2, D=3: first tokens (1, −9, 2) and (0, 5, −1): max 9 in dim 1
	// and 5; the others (3, 0, 1) and (−1, 1, 0.5): max 3 and 1.
	resid := []float32{1, -9, 2, 3, 0, 1, 0, 5, -1, -1, 1, 0.5}
	f, r, dim, err := MassiveActivation(resid, 2, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	if !near(f, 7) || !near(r, 2) || dim != 1 {
		t.Errorf("MassiveActivation = %v, %v, dim %d; want 7, 2, dim 1", f, r, dim)
	}
	if _, _, _, err := MassiveActivation(resid[:5], 2, 2, 3); err == nil {
		t.Error("wrong length accepted")
	}
}
