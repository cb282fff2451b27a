package safetensors

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Tensor is one named tensor of a parsed [File].
type Tensor struct {
	Name  string
	DType DType // element type as stored in the file
	Shape []int // row-major, outermost first; [] is a scalar

	raw    []byte // the tensor's bytes, little endian, once loaded
	loaded bool
	count  int // product of Shape
	begin  int // data_offsets[0], relative to the byte buffer
	end    int // data_offsets[1]
}

// NumElements returns the product of the shape (1 for a scalar).
func (t *Tensor) NumElements() int { return t.count }

// NumBytes returns the size of the tensor's data in the file.
func (t *Tensor) NumBytes() int { return t.end - t.begin }

// Loaded reports whether the tensor's data has been read (always, for a
// file from [Parse] or [ReadFile]).
func (t *Tensor) Loaded() bool { return t.loaded }

// IsFloat reports whether the dtype is a floating-point type that converts
// exactly or by rounding to float32 and float64: F32, F16, BF16 or F64.
func (t *Tensor) IsFloat() bool { return t.isFloat() }

// Float32 returns the elements converted to float32. F32, F16 and BF16 are
// exact; F64 and 32/64-bit integers are rounded to the nearest float32;
// BOOL gives 0 or 1. Other dtypes are an error.
func (t *Tensor) Float32() ([]float32, error) {
	if !t.isFloat() && !t.isInteger() {
		return nil, t.convErr("float32")
	}
	if !t.loaded {
		return nil, t.notLoaded()
	}
	n := t.NumElements()
	b := t.raw
	out := make([]float32, n)
	switch t.DType {
	case F32:
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
	case F16:
		for i := range out {
			out[i] = f16ToF32(binary.LittleEndian.Uint16(b[2*i:]))
		}
	case BF16:
		for i := range out {
			out[i] = bf16ToF32(binary.LittleEndian.Uint16(b[2*i:]))
		}
	case F64:
		for i := range out {
			out[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:])))
		}
	case U64:
		for i := range out {
			out[i] = float32(binary.LittleEndian.Uint64(b[8*i:]))
		}
	default:
		for i := range out {
			out[i] = float32(t.intAt(i))
		}
	}
	return out, nil
}

// Float64 returns the elements converted to float64. F64, F32, F16, BF16 and
// integers up to 32 bits are exact; I64 and U64 beyond 2^53 are rounded;
// BOOL gives 0 or 1. Other dtypes are an error.
func (t *Tensor) Float64() ([]float64, error) {
	if !t.isFloat() && !t.isInteger() {
		return nil, t.convErr("float64")
	}
	if !t.loaded {
		return nil, t.notLoaded()
	}
	n := t.NumElements()
	b := t.raw
	out := make([]float64, n)
	switch t.DType {
	case F64:
		for i := range out {
			out[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
		}
	case F32:
		for i := range out {
			out[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:])))
		}
	case F16:
		for i := range out {
			out[i] = float64(f16ToF32(binary.LittleEndian.Uint16(b[2*i:])))
		}
	case BF16:
		for i := range out {
			out[i] = float64(bf16ToF32(binary.LittleEndian.Uint16(b[2*i:])))
		}
	case U64:
		for i := range out {
			out[i] = float64(binary.LittleEndian.Uint64(b[8*i:]))
		}
	default:
		for i := range out {
			out[i] = float64(t.intAt(i))
		}
	}
	return out, nil
}

// Int64 returns the elements of an integer tensor (I64, I32, I16, I8, U64,
// U32, U16, U8, BOOL) as int64. Floating-point dtypes are an error rather
// than silently truncated, as is a U64 value above math.MaxInt64.
func (t *Tensor) Int64() ([]int64, error) {
	if !t.isInteger() {
		return nil, t.convErr("int64")
	}
	if !t.loaded {
		return nil, t.notLoaded()
	}
	out := make([]int64, t.NumElements())
	for i := range out {
		if t.DType == U64 {
			if v := binary.LittleEndian.Uint64(t.raw[8*i:]); v > math.MaxInt64 {
				return nil, fmt.Errorf("safetensors: tensor %q element %d is %d, which does not fit in an int64", t.Name, i, v)
			}
		}
		out[i] = t.intAt(i)
	}
	return out, nil
}

func (t *Tensor) isFloat() bool {
	switch t.DType {
	case F16, BF16, F32, F64:
		return true
	}
	return false
}

func (t *Tensor) isInteger() bool {
	switch t.DType {
	case BOOL, U8, I8, I16, U16, I32, U32, I64, U64:
		return true
	}
	return false
}

// intAt returns element i of an integer tensor (U64 wraps; callers check).
func (t *Tensor) intAt(i int) int64 {
	b := t.raw
	switch t.DType {
	case BOOL:
		if b[i] != 0 {
			return 1
		}
		return 0
	case U8:
		return int64(b[i])
	case I8:
		return int64(int8(b[i]))
	case I16:
		return int64(int16(binary.LittleEndian.Uint16(b[2*i:])))
	case U16:
		return int64(binary.LittleEndian.Uint16(b[2*i:]))
	case I32:
		return int64(int32(binary.LittleEndian.Uint32(b[4*i:])))
	case U32:
		return int64(binary.LittleEndian.Uint32(b[4*i:]))
	case I64, U64:
		return int64(binary.LittleEndian.Uint64(b[8*i:]))
	}
	panic("safetensors: intAt on non-integer dtype " + string(t.DType))
}

func (t *Tensor) convErr(to string) error {
	return fmt.Errorf("safetensors: tensor %q has dtype %s, which cannot be converted to %s", t.Name, t.DType, to)
}

func (t *Tensor) notLoaded() error {
	return fmt.Errorf("safetensors: tensor %q: its data has not been read (File.Load)", t.Name)
}
