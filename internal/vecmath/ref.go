package vecmath

import "math"

// The plain loops: the fallback on builds without the assembly, and the
// references the tests compare it with (float64 arithmetic, rounded once).

// ExpRef is Exp with math.Exp.
func ExpRef(dst, x []float32) {
	for i, v := range x {
		dst[i] = float32(math.Exp(float64(v)))
	}
}

// SoftmaxRowRef is SoftmaxRow on row (n = len(row)) in float64.
func SoftmaxRowRef(row []float32, scale float32) (mx, sum float32) {
	m := math.Inf(-1)
	for j, v := range row {
		row[j] = v * scale
		m = max(m, float64(row[j]))
	}
	s := 0.0
	for _, v := range row {
		s += math.Exp(float64(v) - m)
	}
	for j, v := range row {
		row[j] = float32(math.Exp(float64(v)-m) / s)
	}
	return float32(m), float32(s)
}

// SoftmaxRowBackwardRef is SoftmaxRowBackward on d, p (n = len(d)) in float64.
func SoftmaxRowBackwardRef(d, p []float32, scale float32) {
	dot := 0.0
	for j := range d {
		dot += float64(p[j]) * float64(d[j])
	}
	for j := range d {
		d[j] = float32(float64(p[j]) * (float64(d[j]) - dot) * float64(scale))
	}
}

// OnlineRowRef is OnlineRow in float64 (rounded once per element).
func OnlineRowRef(row []float32, scale, m float32) (mNew, sum float32) {
	mx := float64(m)
	for _, v := range row {
		mx = max(mx, float64(v*scale))
	}
	s := 0.0
	for j, v := range row {
		e := math.Exp(float64(v*scale) - mx)
		row[j] = float32(e)
		s += e
	}
	return float32(mx), float32(s)
}

// ExpAffineRef is ExpAffine with math.Exp.
func ExpAffineRef(row []float32, scale, shift float32) {
	for j, v := range row {
		row[j] = float32(math.Exp(float64(v)*float64(scale) - float64(shift)))
	}
}

// MulSubRef is MulSub in float64.
func MulSubRef(d, p []float32, c, scale float32) {
	for j := range d {
		d[j] = float32(float64(scale) * float64(p[j]) * (float64(d[j]) - float64(c)))
	}
}
