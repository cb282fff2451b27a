package vecmath

import "math"

// LayerNormRow normalises one row x [D] into out [D] with weight w and bias
// b [D], statistics over the row:
//
//	mean = Σx/D, rstd = 1/sqrt(Σ(x−mean)²/D + eps)
//	out  = (x − mean)·rstd·w + b
//
// and returns mean and rstd. The vector path keeps the statistics in
// float32 (two passes, 16 lane partial sums), within ~1e-6 relative of the
// float64 reference for rows of a few hundred; out may alias x only in the
// reference path, so callers must not alias.
func LayerNormRow(out, x, w, b []float32, eps float32) (mean, rstd float32) {
	D := len(x)
	if D == 0 || len(out) < D || len(w) < D || len(b) < D {
		panic("vecmath: LayerNormRow needs out, w, b at least as long as a non-empty x")
	}
	if haveAsm {
		return layerNormAsm(&out[0], &x[0], &w[0], &b[0], D, eps)
	}
	return LayerNormRowRef(out, x, w, b, eps)
}

// LayerNormRows is LayerNormRow on each of the n rows of x [n, D] (D =
// len(w)) into out [n, D], with the rows' mean and rstd into mean[:n] and
// rstd[:n]: the same bits, 4 rows at a time in the vector path (one row's
// reductions and divisions overlap the others').
func LayerNormRows(out, x, w, b, mean, rstd []float32, n int, eps float32) {
	D := len(w)
	if D == 0 || len(b) < D || len(x) < n*D || len(out) < n*D || len(mean) < n || len(rstd) < n {
		panic("vecmath: LayerNormRows needs x, out of n rows of len(w) > 0, b as long as w, and n means and rstds")
	}
	r := 0
	if haveAsm {
		var st [8]float32
		for ; r+4 <= n; r += 4 {
			layerNorm4Asm(&out[r*D], &x[r*D], &w[0], &b[0], D, eps, &st[0])
			for i := range 4 {
				mean[r+i], rstd[r+i] = st[2*i], st[2*i+1]
			}
		}
	}
	for ; r < n; r++ {
		mean[r], rstd[r] = LayerNormRow(out[r*D:(r+1)*D], x[r*D:(r+1)*D], w, b, eps)
	}
}

// LayerNormRowBackward differentiates out = norm·w + b, norm = (x−mean)·rstd,
// for one row, given the forward's mean and rstd:
//
//	dn  = dout·w
//	dx += rstd·(dn − mean(dn) − norm·mean(dn·norm))
//	dw += dout·norm, db += dout
func LayerNormRowBackward(dx, dw, db, dout, x, w []float32, mean, rstd float32) {
	D := len(x)
	if D == 0 || len(dx) < D || len(dw) < D || len(db) < D || len(dout) < D || len(w) < D {
		panic("vecmath: LayerNormRowBackward needs dx, dw, db, dout, w at least as long as a non-empty x")
	}
	if haveAsm {
		layerNormBackAsm(&dx[0], &dw[0], &db[0], &dout[0], &x[0], &w[0], D, mean, rstd)
		return
	}
	LayerNormRowBackwardRef(dx, dw, db, dout, x, w, mean, rstd)
}

// LayerNormRowsBackward is LayerNormRowBackward on each of the n rows of
// x, dout and dx [n, D] (D = len(w)) in row order, with row r's mean[r]
// and rstd[r]: the same bits, 4 rows at a time in the vector path (dw and
// db still take the rows' terms in row order).
func LayerNormRowsBackward(dx, dw, db, dout, x, w, mean, rstd []float32, n int) {
	D := len(w)
	if D == 0 || len(dw) < D || len(db) < D || len(x) < n*D || len(dout) < n*D || len(dx) < n*D || len(mean) < n || len(rstd) < n {
		panic("vecmath: LayerNormRowsBackward needs dx, dout, x of n rows of len(w) > 0, dw, db as long as w, and n means and rstds")
	}
	r := 0
	if haveAsm {
		var st [8]float32
		for ; r+4 <= n; r += 4 {
			for i := range 4 {
				st[2*i], st[2*i+1] = mean[r+i], rstd[r+i]
			}
			layerNormBack4Asm(&dx[r*D], &dw[0], &db[0], &dout[r*D], &x[r*D], &w[0], D, &st[0])
		}
	}
	for ; r < n; r++ {
		o := r * D
		LayerNormRowBackward(dx[o:o+D], dw, db, dout[o:o+D], x[o:o+D], w, mean[r], rstd[r])
	}
}

// LayerNormRowRef is LayerNormRow with float64 statistics.
func LayerNormRowRef(out, x, w, b []float32, eps float32) (mean, rstd float32) {
	D := float64(len(x))
	m := 0.0
	for _, v := range x {
		m += float64(v)
	}
	m /= D
	vr := 0.0
	for _, v := range x {
		d := float64(v) - m
		vr += d * d
	}
	s := 1 / math.Sqrt(vr/D+float64(eps))
	for i, v := range x {
		out[i] = float32((float64(v)-m)*s*float64(w[i]) + float64(b[i]))
	}
	return float32(m), float32(s)
}

// LayerNormRowBackwardRef is LayerNormRowBackward in float64.
func LayerNormRowBackwardRef(dx, dw, db, dout, x, w []float32, mean, rstd float32) {
	D := float64(len(x))
	m, s := float64(mean), float64(rstd)
	var dm, dnm float64
	for i, v := range x {
		norm := (float64(v) - m) * s
		dn := float64(dout[i]) * float64(w[i])
		dm += dn
		dnm += dn * norm
	}
	dm /= D
	dnm /= D
	for i, v := range x {
		norm := (float64(v) - m) * s
		dn := float64(dout[i]) * float64(w[i])
		dw[i] += dout[i] * float32(norm)
		db[i] += dout[i]
		dx[i] += float32((dn - dm - norm*dnm) * s)
	}
}
