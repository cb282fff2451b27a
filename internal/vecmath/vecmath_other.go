//go:build !amd64 || noasm

package vecmath

// haveAsm is false: every kernel takes its plain loop.
const haveAsm = false

// asmBuilt says this build carries the assembly kernels: it does not.
const asmBuilt = false

func expAsm(dst, x *float32, n int) { panic("vecmath: no assembly in this build") }
func softmaxAsm(x *float32, n int, scale float32) (mx, sum float32) {
	panic("vecmath: no assembly in this build")
}
func softmaxBackAsm(d, p *float32, n int, scale float32) { panic("vecmath: no assembly in this build") }

func layerNormAsm(out, x, w, b *float32, d int, eps float32) (mean, rstd float32) {
	panic("vecmath: no assembly in this build")
}

func layerNormBackAsm(dx, dw, db, dout, x, w *float32, d int, mean, rstd float32) {
	panic("vecmath: no assembly in this build")
}

func softmaxCausalAsm(x *float32, t int, scale float32, grouped int) {
	panic("vecmath: no assembly in this build")
}

func softmaxBackCausalAsm(d, p *float32, t int, scale float32) {
	panic("vecmath: no assembly in this build")
}

func onlineRowAsm(x *float32, n int, scale, m float32) (mNew, sum float32) {
	panic("vecmath: no assembly in this build")
}
func expAffineAsm(x *float32, n int, scale, shift float32) {
	panic("vecmath: no assembly in this build")
}
func mulSubAsm(d, p *float32, n int, c, scale float32) { panic("vecmath: no assembly in this build") }

func reluFwdAsm(out, pre, bias *float32, rows, cols int) { panic("vecmath: no assembly in this build") }
func reluBwdAsm(dpre, dbias, pre, dout *float32, rows, cols int) {
	panic("vecmath: no assembly in this build")
}
func geluNewFwdAsm(out, pre, bias *float32, rows, cols int) {
	panic("vecmath: no assembly in this build")
}
func geluNewBwdAsm(dpre, dbias, pre, dout *float32, rows, cols int) {
	panic("vecmath: no assembly in this build")
}
func geluFwdAsm(out, pre, bias *float32, rows, cols int) { panic("vecmath: no assembly in this build") }
func geluBwdAsm(dpre, dbias, pre, dout *float32, rows, cols int) {
	panic("vecmath: no assembly in this build")
}

func onlineTileAsm(x *float32, rows, w int, scale float32, m, sum *float32) {
	panic("vecmath: no assembly in this build")
}
func elu1Asm(dst, x *float32, n int) { panic("vecmath: no assembly in this build") }

func addBiasAsm(x, b *float32, rows, cols int)       { panic("vecmath: no assembly in this build") }
func sumRowsAsm(dst, x *float32, rows, cols, ld int) { panic("vecmath: no assembly in this build") }

func layerNorm4Asm(out, x, w, b *float32, d int, eps float32, stats *float32) {
	panic("vecmath: no assembly kernel in this build")
}

func layerNormBack4Asm(dx, dw, db, dout, x, w *float32, d int, stats *float32) {
	panic("vecmath: no assembly kernel in this build")
}

func softmax2Asm(x, y *float32, n int, scale float32) (mx0, sum0, mx1, sum1 float32) {
	panic("vecmath: no assembly kernel in this build")
}
