package vecmath

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestOnlineRow compares OnlineRow with its float64 reference on rows of
// every length up to 70 and some longer, from a running max below, inside
// and above the row's: mNew exact; values within 2.4e-7 relative (the exp's
// 2 ulp) plus the float32 rounding of the argument a = scale·x − mNew
// (|a|·6e-8), with margin; sum likewise; nothing written past the row.
func TestOnlineRow(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(3, 1))
	for _, n := range append(rangeN(1, 70), 128, 257) {
		for _, m := range []float32{float32(math.Inf(-1)), 0, 40} {
			row := make([]float32, n+1)
			for i := range row {
				row[i] = float32(r.NormFloat64() * 5)
			}
			pad := row[n]
			want := append([]float32(nil), row[:n]...)
			x0 := append([]float32(nil), row[:n]...)
			wm, ws := OnlineRowRef(want, 0.7, m)
			gm, gs := OnlineRow(row[:n], 0.7, m)
			tol := func(j int) float64 { return 4e-7 + 1.2e-7*math.Abs(float64(x0[j]*0.7-wm)) }
			big := 0.0
			for j := range n {
				big = max(big, tol(j))
			}
			if gm != wm || math.Abs(float64(gs-ws)) > big*float64(ws)+1e-30 {
				t.Fatalf("n=%d m=%g: (mNew, sum) = (%g, %g), want (%g, %g)", n, m, gm, gs, wm, ws)
			}
			for j := range n {
				if d := math.Abs(float64(row[j] - want[j])); d > tol(j)*float64(want[j])+1e-37 {
					t.Fatalf("n=%d m=%g: row[%d] = %g, want %g", n, m, j, row[j], want[j])
				}
			}
			if row[n] != pad {
				t.Fatalf("n=%d: OnlineRow wrote past its row", n)
			}
		}
	}
}

// TestOnlineRowKnown: equal scores give e^0 = 1 each and sum n; a −Inf score
// gives exactly 0 (a masked key).
func TestOnlineRowKnown(t *testing.T) {
	t.Parallel()
	row := []float32{3, 3, 3, float32(math.Inf(-1))}
	m, s := OnlineRow(row, 2, float32(math.Inf(-1)))
	if m != 6 || s != 3 || row[0] != 1 || row[3] != 0 {
		t.Errorf("got row %v, mNew %g, sum %g; want [1 1 1 0], 6, 3", row, m, s)
	}
}

// TestExpAffineMulSub compares ExpAffine and MulSub with their references.
func TestExpAffineMulSub(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(3, 2))
	for _, n := range append(rangeN(1, 70), 128, 257) {
		x := make([]float32, n+1)
		p := make([]float32, n+1)
		for i := range x {
			x[i], p[i] = float32(r.NormFloat64()*3), float32(r.Float64())
		}
		pad := x[n]
		want := append([]float32(nil), x[:n]...)
		ExpAffineRef(want, 0.5, 1.5)
		got := append([]float32(nil), x...)
		ExpAffine(got[:n], 0.5, 1.5)
		for j := range n {
			if d := math.Abs(float64(got[j] - want[j])); d > 2e-6*float64(want[j]) {
				t.Fatalf("ExpAffine n=%d: [%d] = %g, want %g", n, j, got[j], want[j])
			}
		}
		if got[n] != pad {
			t.Fatalf("ExpAffine n=%d wrote past the row", n)
		}
		want = append([]float32(nil), x[:n]...)
		MulSubRef(want, p, 0.3, 0.125)
		got = append([]float32(nil), x...)
		MulSub(got[:n], p, 0.3, 0.125)
		for j := range n {
			if d := math.Abs(float64(got[j] - want[j])); d > 1e-6*math.Abs(float64(want[j]))+1e-7 {
				t.Fatalf("MulSub n=%d: [%d] = %g, want %g", n, j, got[j], want[j])
			}
		}
		if got[n] != pad {
			t.Fatalf("MulSub n=%d wrote past the row", n)
		}
	}
}

// TestOnlineTile: OnlineTile equals OnlineRow row by row, bit for bit.
func TestOnlineTile(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(3, 4))
	for _, w := range []int{1, 15, 16, 33, 64, 100} {
		const rows = 5
		x := make([]float32, rows*w)
		for i := range x {
			x[i] = float32(r.NormFloat64() * 4)
		}
		m := []float32{float32(math.Inf(-1)), 0, 3, 50, -2}
		want, wm, ws := append([]float32(nil), x...), append([]float32(nil), m...), make([]float32, rows)
		for i := range rows {
			wm[i], ws[i] = OnlineRow(want[i*w:(i+1)*w], 0.6, wm[i])
		}
		sum := make([]float32, rows)
		OnlineTile(x, rows, w, 0.6, m, sum)
		for i := range x {
			if x[i] != want[i] {
				t.Fatalf("w=%d: x[%d] = %g, want %g", w, i, x[i], want[i])
			}
		}
		for i := range rows {
			if m[i] != wm[i] || sum[i] != ws[i] {
				t.Fatalf("w=%d row %d: (m, sum) = (%g, %g), want (%g, %g)", w, i, m[i], sum[i], wm[i], ws[i])
			}
		}
	}
}
