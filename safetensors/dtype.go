package safetensors

import "math"

// DType is a safetensors element type, spelled as in the file ("F32").
type DType string

// The element types this package knows. All are stored little endian.
// The sub-byte types of newer files (F4, F6_E2M3, F6_E3M2) are not supported
// and are reported as unknown.
const (
	BOOL   DType = "BOOL"    // 1 byte, 0 or 1
	U8     DType = "U8"      // uint8
	I8     DType = "I8"      // int8
	F8E5M2 DType = "F8_E5M2" // 8-bit float, read as raw bytes only
	F8E4M3 DType = "F8_E4M3" // 8-bit float, read as raw bytes only
	F8E8M0 DType = "F8_E8M0" // 8-bit scale, read as raw bytes only
	I16    DType = "I16"     // int16
	U16    DType = "U16"     // uint16
	F16    DType = "F16"     // IEEE 754 half precision
	BF16   DType = "BF16"    // bfloat16: the top 16 bits of a float32
	I32    DType = "I32"     // int32
	U32    DType = "U32"     // uint32
	F32    DType = "F32"     // float32
	C64    DType = "C64"     // complex64, read as raw bytes only
	F64    DType = "F64"     // float64
	I64    DType = "I64"     // int64
	U64    DType = "U64"     // uint64
)

// Size returns the number of bytes of one element, or 0 if d is unknown.
func (d DType) Size() int {
	switch d {
	case BOOL, U8, I8, F8E5M2, F8E4M3, F8E8M0:
		return 1
	case I16, U16, F16, BF16:
		return 2
	case I32, U32, F32:
		return 4
	case F64, I64, U64, C64:
		return 8
	}
	return 0
}

// f16ToF32 converts IEEE 754 half-precision bits to float32 exactly.
// Layout: 1 sign bit, 5 exponent bits (bias 15), 10 mantissa bits.
//
//	normal:    (-1)^s × 2^(e-15) × 1.m
//	subnormal: (-1)^s × 2^-14    × 0.m   (e == 0)
//	e == 31:   ±Inf if m == 0, else NaN (payload kept)
func f16ToF32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0 && mant == 0:
		return math.Float32frombits(sign) // ±0
	case exp == 0:
		// Subnormal: shift the mantissa up until its leading 1 reaches the
		// implicit-bit position (bit 10), lowering the exponent each step.
		// 2^-14 × 0.m becomes 2^(-14-k) × 1.m' with float32 exponent
		// -14-k+127 = 113-k.
		e := uint32(113)
		for mant&0x400 == 0 {
			mant <<= 1
			e--
		}
		mant &= 0x3ff
		return math.Float32frombits(sign | e<<23 | mant<<13)
	case exp == 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | mant<<13) // Inf or NaN
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
}

// bf16ToF32 converts bfloat16 bits to float32 exactly: bfloat16 is the top
// half of a float32.
func bf16ToF32(b uint16) float32 {
	return math.Float32frombits(uint32(b) << 16)
}
