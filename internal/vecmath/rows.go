package vecmath

// The row kernels of the training step's small passes: a vector scaled, two
// vectors added into a third, a bias and a residual added in one pass, and
// the embedding's gather (rows of a table picked by token) and its
// scatter-add. Each does the plain loop's float32 operations per element in
// the same order (the Ref functions below), so the bits are the loop's.

// Scale sets x[i] *= s for every i (one rounded product per element).
func Scale(x []float32, s float32) {
	if len(x) == 0 {
		return
	}
	if haveAsm {
		scaleAsm(&x[0], len(x), s)
		return
	}
	ScaleRef(x, s)
}

// ScaleRef is Scale as the plain loop.
func ScaleRef(x []float32, s float32) {
	for i := range x {
		x[i] *= s
	}
}

// AddTo sets dst[i] = x[i] + y[i] for i < len(dst): one rounded addition
// per element, in one pass (rather than a copy of x and Add of y: the same
// bits). dst may be x or y itself, but must not overlap them otherwise.
func AddTo(dst, x, y []float32) {
	n := len(dst)
	if n == 0 {
		return
	}
	_, _ = x[n-1], y[n-1]
	if haveAsm {
		addToAsm(&dst[0], &x[0], &y[0], n)
		return
	}
	AddToRef(dst, x, y)
}

// AddToRef is AddTo as the plain loop.
func AddToRef(dst, x, y []float32) {
	for i := range dst {
		dst[i] = x[i] + y[i]
	}
}

// BiasResidual adds a bias to the rows of a [rows, cols] matrix a and the
// result to a residual x, in one pass:
//
//	a[r, c] += b[c], then dst[r, c] = x[r, c] + a[r, c]
//
// (the bits of AddBias, then AddTo). dst may be x itself, but must not
// overlap a or b, nor x otherwise.
func BiasResidual(dst, x, a, b []float32, rows, cols int) {
	if rows <= 0 || cols <= 0 {
		return
	}
	n := rows * cols
	_, _, _, _ = dst[n-1], x[n-1], a[n-1], b[cols-1]
	if haveAsm {
		biasResidualAsm(&dst[0], &x[0], &a[0], &b[0], rows, cols)
		return
	}
	BiasResidualRef(dst, x, a, b, rows, cols)
}

// BiasResidualRef is BiasResidual as the plain loop.
func BiasResidualRef(dst, x, a, b []float32, rows, cols int) {
	for r := range rows {
		for c := range cols {
			i := r*cols + c
			a[i] += b[c]
			dst[i] = x[i] + a[i]
		}
	}
}

// EmbedRows sets out[n, :] = table[idx[n], :] + pos[n mod T, :] for every
// n < len(idx), rows of D elements: a token embedding plus a positional
// one, for len(idx)/T sequences of T tokens (pos [T, D]). Every idx[n] must
// be in [0, len(table)/D).
func EmbedRows(out, table []float32, idx []int32, pos []float32, T, D int) {
	N := len(idx)
	if N == 0 || D <= 0 {
		return
	}
	if T <= 0 || N%T != 0 {
		panic("vecmath: EmbedRows: len(idx) is not a multiple of T > 0")
	}
	_, _ = out[N*D-1], pos[T*D-1]
	rowsIn := len(table) / D
	for _, v := range idx {
		if v < 0 || int(v) >= rowsIn {
			panic("vecmath: EmbedRows: index outside the table")
		}
	}
	if haveAsm {
		embedRowsAsm(&out[0], &table[0], &pos[0], &idx[0], N, T, D)
		return
	}
	EmbedRowsRef(out, table, idx, pos, T, D)
}

// EmbedRowsRef is EmbedRows as the plain loop.
func EmbedRowsRef(out, table []float32, idx []int32, pos []float32, T, D int) {
	for n, v := range idx {
		o, e, p := out[n*D:(n+1)*D], table[int(v)*D:][:D], pos[(n%T)*D:][:D]
		for c := range o {
			o[c] = e[c] + p[c]
		}
	}
}

// ScatterAddRows sets dst[idx[n], :] += x[n, :] for n = 0, 1, …,
// len(idx)−1 in turn, rows of D elements (an embedding's gradient: a row
// picked several times adds its terms in the order of n). Every idx[n] must
// be in [0, len(dst)/D).
func ScatterAddRows(dst, x []float32, idx []int32, D int) {
	N := len(idx)
	if N == 0 || D <= 0 {
		return
	}
	_ = x[N*D-1]
	rowsOut := len(dst) / D
	for _, v := range idx {
		if v < 0 || int(v) >= rowsOut {
			panic("vecmath: ScatterAddRows: index outside dst")
		}
	}
	if haveAsm {
		scatterAddRowsAsm(&dst[0], &x[0], &idx[0], N, D)
		return
	}
	ScatterAddRowsRef(dst, x, idx, D)
}

// ScatterAddRowsRef is ScatterAddRows as the plain loop.
func ScatterAddRowsRef(dst, x []float32, idx []int32, D int) {
	for n, v := range idx {
		d, s := dst[int(v)*D:][:D], x[n*D:(n+1)*D]
		for c := range d {
			d[c] += s[c]
		}
	}
}
