//go:build !amd64 || noasm

package vecmath

func scaleAsm(x *float32, n int, s float32) { panic("vecmath: no assembly in this build") }
func addToAsm(dst, x, y *float32, n int)    { panic("vecmath: no assembly in this build") }
func biasResidualAsm(dst, x, a, b *float32, rows, cols int) {
	panic("vecmath: no assembly in this build")
}
func embedRowsAsm(out, table, pos *float32, idx *int32, n, t, d int) {
	panic("vecmath: no assembly in this build")
}
func scatterAddRowsAsm(dst, x *float32, idx *int32, n, d int) {
	panic("vecmath: no assembly in this build")
}
