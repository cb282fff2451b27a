//go:build amd64 && !noasm

package vecmath

// log64Asm sets dst[i] = math.Log(x[i]) for i < n (amd64's math.Log bit
// for bit); n > 0.
//
//go:noescape
func log64Asm(dst, x *float64, n int)
