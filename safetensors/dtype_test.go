package safetensors

import (
	"math"
	"testing"
)

func TestF16ToF32KnownValues(t *testing.T) {
	t.Parallel()
	// Values checked against Python's struct format 'e' (IEEE half).
	tests := []struct {
		bits uint16
		want float64
	}{
		{0x0000, 0},
		{0x3C00, 1},
		{0xC000, -2},
		{0x3555, 0.333251953125},
		{0x3BFF, 0.99951171875},
		{0x7BFF, 65504},                  // largest finite
		{0xFBFF, -65504},                 // most negative finite
		{0x0400, 6.103515625e-05},        // smallest normal, 2^-14
		{0x03FF, 6.097555160522461e-05},  // largest subnormal
		{0x0001, 5.960464477539063e-08},  // smallest subnormal, 2^-24
		{0x8001, -5.960464477539063e-08}, // negative subnormal
		{0x7C00, math.Inf(1)},
		{0xFC00, math.Inf(-1)},
	}
	for _, tc := range tests {
		if got := f16ToF32(tc.bits); float64(got) != tc.want {
			t.Errorf("f16ToF32(%#04x) = %v, want %v", tc.bits, got, tc.want)
		}
	}
	if got := f16ToF32(0x8000); got != 0 || !math.Signbit(float64(got)) {
		t.Errorf("f16ToF32(0x8000) = %v, want -0", got)
	}
	for _, nan := range []uint16{0x7E00, 0x7C01, 0xFE00} {
		if got := f16ToF32(nan); !math.IsNaN(float64(got)) {
			t.Errorf("f16ToF32(%#04x) = %v, want NaN", nan, got)
		}
	}
	// The NaN payload and sign are kept (shifted into the float32 mantissa).
	if got := math.Float32bits(f16ToF32(0xFE01)); got != 0xFFC02000 {
		t.Errorf("f16ToF32(0xFE01) bits = %#08x, want 0xffc02000", got)
	}
}

// f16Reference is the textbook formula, evaluated in float64.
func f16Reference(h uint16) float64 {
	sign := 1.0
	if h&0x8000 != 0 {
		sign = -1
	}
	e := int(h>>10) & 0x1f
	m := float64(h & 0x3ff)
	switch e {
	case 0:
		return sign * m * math.Pow(2, -24)
	case 31:
		if m == 0 {
			return math.Inf(int(sign))
		}
		return math.NaN()
	}
	return sign * (1 + m/1024) * math.Pow(2, float64(e-15))
}

func TestF16ToF32AllValues(t *testing.T) {
	t.Parallel()
	for i := range 1 << 16 {
		h := uint16(i)
		got, want := float64(f16ToF32(h)), f16Reference(h)
		if math.IsNaN(want) {
			if !math.IsNaN(got) {
				t.Errorf("f16ToF32(%#04x) = %v, want NaN", h, got)
			}
			continue
		}
		if got != want || math.Signbit(got) != math.Signbit(want) {
			t.Errorf("f16ToF32(%#04x) = %v, want %v", h, got, want)
		}
	}
}

func TestBF16ToF32(t *testing.T) {
	t.Parallel()
	tests := []struct {
		bits uint16
		want float64
	}{
		{0x3F80, 1},
		{0xC000, -2},
		{0x4049, 3.140625},
		{0x7F7F, 3.3895313892515355e+38}, // largest finite
		{0x0001, 9.183549615799121e-41},  // smallest subnormal
		{0x7F80, math.Inf(1)},
		{0xFF80, math.Inf(-1)},
	}
	for _, tc := range tests {
		if got := bf16ToF32(tc.bits); float64(got) != tc.want {
			t.Errorf("bf16ToF32(%#04x) = %v, want %v", tc.bits, got, tc.want)
		}
	}
	if got := bf16ToF32(0x7FC0); !math.IsNaN(float64(got)) {
		t.Errorf("bf16ToF32(0x7fc0) = %v, want NaN", got)
	}
}

func TestDTypeSize(t *testing.T) {
	t.Parallel()
	want := map[DType]int{
		BOOL: 1, U8: 1, I8: 1, F8E5M2: 1, F8E4M3: 1, F8E8M0: 1,
		I16: 2, U16: 2, F16: 2, BF16: 2,
		I32: 4, U32: 4, F32: 4,
		F64: 8, I64: 8, U64: 8, C64: 8,
		"F128": 0, "f32": 0, "": 0, "F4": 0,
	}
	for d, n := range want {
		if got := d.Size(); got != n {
			t.Errorf("DType(%q).Size() = %d, want %d", d, got, n)
		}
	}
}
