//go:build amd64 && !noasm

package vecmath

// scaleAsm sets x[i] *= s for i < n; n > 0.
//
//go:noescape
func scaleAsm(x *float32, n int, s float32)

// addToAsm sets dst[i] = x[i] + y[i] for i < n; n > 0.
//
//go:noescape
func addToAsm(dst, x, y *float32, n int)

// biasResidualAsm is BiasResidual's arithmetic; rows, cols > 0.
//
//go:noescape
func biasResidualAsm(dst, x, a, b *float32, rows, cols int)

// embedRowsAsm is EmbedRows's arithmetic on n rows (n a multiple of t, n,
// d > 0, indexes checked).
//
//go:noescape
func embedRowsAsm(out, table, pos *float32, idx *int32, n, t, d int)

// scatterAddRowsAsm is ScatterAddRows's arithmetic on n rows (n, d > 0,
// indexes checked).
//
//go:noescape
func scatterAddRowsAsm(dst, x *float32, idx *int32, n, d int)
