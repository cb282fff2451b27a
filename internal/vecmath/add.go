package vecmath

// Add sets dst[i] += x[i] for i < len(x), in float32 (each element one
// rounded addition, so the bits equal those of the plain loop AddRef):
// AddTo with dst as its first summand.
func Add(dst, x []float32) {
	if len(x) == 0 {
		return
	}
	AddTo(dst[:len(x)], dst, x)
}

// AddRef is Add as the plain loop.
func AddRef(dst, x []float32) {
	for i, v := range x {
		dst[i] += v
	}
}

// AddBias sets x[r*cols+c] += b[c] for r < rows, c < cols: a bias added to
// every row of a [rows, cols] matrix, one rounded addition per element
// (the bits of Add row by row, without a call per row).
func AddBias(x, b []float32, rows, cols int) {
	if rows <= 0 || cols <= 0 {
		return
	}
	_, _ = x[rows*cols-1], b[cols-1]
	if haveAsm {
		addBiasAsm(&x[0], &b[0], rows, cols)
		return
	}
	for r := range rows {
		AddRef(x[r*cols:(r+1)*cols], b[:cols])
	}
}

// SumRows sets dst[c] += x[r*cols+c] for r = 0, 1, …, rows−1 in turn, c <
// cols: a bias gradient. Each element adds the rows in order (the bits of
// Add row by row), with the running sums kept in registers.
func SumRows(dst, x []float32, rows, cols int) { SumRowsStride(dst, x, rows, cols, cols) }

// SumRowsStride is SumRows over rows ld elements apart: dst[c] +=
// x[r*ld+c] for r = 0, 1, …, rows−1 in turn, c < cols (ld ≥ cols), e.g.
// the same window of several vectors laid out one after another.
func SumRowsStride(dst, x []float32, rows, cols, ld int) {
	if rows <= 0 || cols <= 0 {
		return
	}
	if ld < cols {
		panic("vecmath: SumRowsStride: ld < cols")
	}
	_, _ = x[(rows-1)*ld+cols-1], dst[cols-1]
	if haveAsm {
		sumRowsAsm(&dst[0], &x[0], rows, cols, ld)
		return
	}
	for r := range rows {
		AddRef(dst[:cols], x[r*ld:r*ld+cols])
	}
}
