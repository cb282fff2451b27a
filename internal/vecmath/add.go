package vecmath

// Add sets dst[i] += x[i] for i < len(x), in float32 (each element one
// rounded addition, so the bits equal those of the plain loop AddRef).
func Add(dst, x []float32) {
	if len(x) == 0 {
		return
	}
	_ = dst[len(x)-1]
	if haveAsm {
		addAsm(&dst[0], &x[0], len(x))
		return
	}
	AddRef(dst, x)
}

// AddRef is Add as the plain loop.
func AddRef(dst, x []float32) {
	for i, v := range x {
		dst[i] += v
	}
}
