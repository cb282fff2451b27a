package gemm

import "unsafe"

// Transpose sets dst [cols, rows] to src [rows, cols] transposed:
// dst[j*rows+i] = src[i*cols+j]. In float32 with the assembly kernels it
// moves whole 16×16 blocks through registers (the kernels' own packing);
// otherwise it is the plain double loop. A transpose only moves values, so
// both give the same bits.
func Transpose[F Float](dst, src []F, rows, cols int) {
	if rows < 0 || cols < 0 || len(src) < rows*cols || len(dst) < rows*cols {
		panic("gemm: Transpose: slices shorter than rows×cols")
	}
	if rows == 0 || cols == 0 {
		return
	}
	if haveAsm && unsafe.Sizeof(F(0)) == 4 && 16*cols < 1<<31 {
		transpose(f32(dst), f32(src), cols, cols, rows)
		return
	}
	transposeGo(dst, src, rows, cols)
}

// transposeGo is Transpose as the plain double loop.
func transposeGo[F Float](dst, src []F, rows, cols int) {
	for i := range rows {
		for j, v := range src[i*cols : (i+1)*cols] {
			dst[j*rows+i] = v
		}
	}
}
