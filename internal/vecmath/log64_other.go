//go:build !amd64 || noasm

package vecmath

func log64Asm(dst, x *float64, n int) { panic("vecmath: no assembly in this build") }
