package vecmath

// Exp sets dst[i] = e^x[i] for i < len(x). dst must be at least as long as
// x; it may alias x.
func Exp(dst, x []float32) {
	if len(x) == 0 {
		return
	}
	_ = dst[len(x)-1]
	if haveAsm {
		expAsm(&dst[0], &x[0], len(x))
		return
	}
	ExpRef(dst, x)
}

// SoftmaxRow replaces row[:n] by softmax(scale·row[:n]) and clears
// row[n:]:
//
//	s[j] = scale·row[j], mx = max_j s[j], sum = Σ_j e^(s[j]−mx)
//	row[j] = e^(s[j]−mx) / sum   (j < n),   row[j] = 0 (j ≥ n)
//
// It returns mx and sum, from which log-softmax follows:
// log softmax(s)[j] = s[j] − mx − log(sum). n must be in [1, len(row)].
func SoftmaxRow(row []float32, n int, scale float32) (mx, sum float32) {
	if n < 1 || n > len(row) {
		panic("vecmath: SoftmaxRow needs 1 ≤ n ≤ len(row)")
	}
	if haveAsm {
		mx, sum = softmaxAsm(&row[0], n, scale)
	} else {
		mx, sum = SoftmaxRowRef(row[:n], scale)
	}
	clear(row[n:])
	return mx, sum
}

// SoftmaxRows is SoftmaxRow(x[r*n:(r+1)*n], n, scale) for each of the
// rows r < len(mx), with row r's max and sum into mx[r] and sum[r]: the
// same bits, two rows at a time in the vector path (one row's reductions
// overlap the other's work). x must hold len(mx) rows; sum as long as mx.
func SoftmaxRows(x []float32, n int, scale float32, mx, sum []float32) {
	rows := len(mx)
	if n < 1 || len(x) < rows*n || len(sum) < rows {
		panic("vecmath: SoftmaxRows needs n ≥ 1, len(mx) rows of n in x and as many sums")
	}
	r := 0
	if haveAsm {
		for ; r+2 <= rows; r += 2 {
			mx[r], sum[r], mx[r+1], sum[r+1] = softmax2Asm(&x[r*n], &x[(r+1)*n], n, scale)
		}
	}
	for ; r < rows; r++ {
		mx[r], sum[r] = SoftmaxRow(x[r*n:(r+1)*n], n, scale)
	}
}

// SoftmaxRowBackward turns the gradient d of a softmax row's output into
// the gradient of its input, in place, given the row's output p:
//
//	d[j] = scale · p[j] · (d[j] − Σ_j' p[j']·d[j'])   (j < n),   d[j] = 0 (j ≥ n)
//
// (the backward of SoftmaxRow; scale is the forward's). n must be in
// [1, min(len(d), len(p))].
func SoftmaxRowBackward(d, p []float32, n int, scale float32) {
	if n < 1 || n > len(d) || n > len(p) {
		panic("vecmath: SoftmaxRowBackward needs 1 ≤ n ≤ len(d), len(p)")
	}
	if haveAsm {
		softmaxBackAsm(&d[0], &p[0], n, scale)
	} else {
		SoftmaxRowBackwardRef(d[:n], p[:n], scale)
	}
	clear(d[n:])
}

// SoftmaxCausal is SoftmaxRow(x[i*T:(i+1)*T], i+1, scale) for every row i
// of the [T, T] matrix x: causal attention's pattern from its raw scores.
// The assembly takes the rows four at a time (their reductions and exps
// overlap; the bits are the row kernel's).
func SoftmaxCausal(x []float32, T int, scale float32) {
	if T < 1 {
		return
	}
	_ = x[T*T-1]
	if haveAsm {
		softmaxCausalAsm(&x[0], T, scale, T&^3)
		return
	}
	for i := range T {
		SoftmaxRowRef(x[i*T:i*T+i+1], scale)
		clear(x[i*T+i+1 : (i+1)*T])
	}
}

// SoftmaxCausalBackward is SoftmaxRowBackward(d[i*T:(i+1)*T],
// p[i*T:(i+1)*T], i+1, scale) for every row i of the [T, T] matrices.
func SoftmaxCausalBackward(d, p []float32, T int, scale float32) {
	if T < 1 {
		return
	}
	_, _ = d[T*T-1], p[T*T-1]
	if haveAsm {
		softmaxBackCausalAsm(&d[0], &p[0], T, scale)
		return
	}
	for i := range T {
		SoftmaxRowBackwardRef(d[i*T:i*T+i+1], p[i*T:i*T+i+1], scale)
		clear(d[i*T+i+1 : (i+1)*T])
	}
}
