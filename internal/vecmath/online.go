package vecmath

// The row operations of blockwise (flash) attention: an online softmax step
// over one tile row, the exp that recomputes probabilities from a saved
// log-sum-exp, and the softmax backward's elementwise step.

// OnlineRow is one step of the online softmax (Milakov and Gimelshein 2018;
// Dao et al. 2022, FlashAttention) over the raw scores in row, given the
// running maximum m of the scaled scores seen so far:
//
//	mNew   = max(m, max_j scale·row[j])
//	row[j] = e^(scale·row[j] − mNew)
//	sum    = Σ_j row[j]
//
// The caller rescales its earlier sum and output by e^(m − mNew). row must
// not be empty; m may be −Inf.
func OnlineRow(row []float32, scale, m float32) (mNew, sum float32) {
	if len(row) == 0 {
		panic("vecmath: OnlineRow needs a non-empty row")
	}
	if haveAsm {
		return onlineRowAsm(&row[0], len(row), scale, m)
	}
	return OnlineRowRef(row, scale, m)
}

// ExpAffine sets row[j] = e^(scale·row[j] − shift): attention probabilities
// recomputed from raw scores and the row's log-sum-exp (shift).
func ExpAffine(row []float32, scale, shift float32) {
	if len(row) == 0 {
		return
	}
	if haveAsm {
		expAffineAsm(&row[0], len(row), scale, shift)
		return
	}
	ExpAffineRef(row, scale, shift)
}

// MulSub sets d[j] = scale·p[j]·(d[j] − c) for j < len(d): the softmax
// backward dS = P ∘ (dP − δ) with δ = c and the score scale folded in.
// p must be at least as long as d.
func MulSub(d, p []float32, c, scale float32) {
	if len(d) == 0 {
		return
	}
	_ = p[len(d)-1]
	if haveAsm {
		mulSubAsm(&d[0], &p[0], len(d), c, scale)
		return
	}
	MulSubRef(d, p, c, scale)
}

// OnlineTile is OnlineRow on each row r of the [rows, w] tile x, with the
// running max m[r] updated in place and the row's sum written to sum[r]:
// the exp constants are loaded once for the whole tile.
func OnlineTile(x []float32, rows, w int, scale float32, m, sum []float32) {
	if rows <= 0 || w <= 0 {
		return
	}
	_, _, _ = x[rows*w-1], m[rows-1], sum[rows-1]
	if haveAsm {
		onlineTileAsm(&x[0], rows, w, scale, &m[0], &sum[0])
		return
	}
	for r := range rows {
		m[r], sum[r] = OnlineRowRef(x[r*w:(r+1)*w], scale, m[r])
	}
}
