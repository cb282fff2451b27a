package vecmath

import "unsafe"

// AsF32 reinterprets s as []float32, without copying, when F's underlying
// type is float32 (the engine's fast paths run the kernels of this package
// on it); for float64 it returns nil, false and the caller keeps its plain
// loops.
func AsF32[F ~float32 | ~float64](s []F) ([]float32, bool) {
	if unsafe.Sizeof(F(0)) != 4 {
		return nil, false
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(s))), len(s)), true
}
