package safetensors

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"os"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxHeaderSize is the largest header, in bytes, that [Parse] accepts: the
// limit of the reference implementation (100 MB).
const MaxHeaderSize = 100_000_000

// metadataKey is the reserved header key holding the string metadata.
const metadataKey = "__metadata__"

// FormatError reports a malformed safetensors file.
type FormatError struct {
	Path string // the file, when read by [ReadFile]; empty for [Parse]
	Msg  string // what is wrong and what was expected
}

func (e *FormatError) Error() string {
	if e.Path != "" {
		return "safetensors: " + e.Path + ": " + e.Msg
	}
	return "safetensors: " + e.Msg
}

func errf(format string, args ...any) error {
	return &FormatError{Msg: fmt.Sprintf(format, args...)}
}

// File is a parsed safetensors file.
type File struct {
	Metadata map[string]string // the header's __metadata__; nil if absent
	Tensors  []*Tensor         // ordered by data offset, as laid out in the file

	byName map[string]*Tensor
}

// Get returns the tensor with the given name.
func (f *File) Get(name string) (*Tensor, bool) {
	t, ok := f.byName[name]
	return t, ok
}

// ReadFile reads and parses the safetensors file at path. Its errors name
// the path.
func ReadFile(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err) // names the path
	}
	f, err := Parse(data)
	if err != nil {
		if fe, ok := errors.AsType[*FormatError](err); ok {
			fe.Path = path
		}
		return nil, err
	}
	return f, nil
}

// Parse parses and validates a whole safetensors file held in data. The
// returned tensors share memory with data. See the package documentation for
// what is checked.
func Parse(data []byte) (*File, error) {
	if len(data) < 8 {
		return nil, errf("file is %d bytes, shorter than the 8-byte header length that starts every file", len(data))
	}
	n := binary.LittleEndian.Uint64(data)
	if n > MaxHeaderSize {
		return nil, errf("header length %d exceeds the limit of %d bytes", n, MaxHeaderSize)
	}
	if after := uint64(len(data) - 8); n > after {
		return nil, errf("header length %d is larger than the %d bytes that follow it in the file", n, after)
	}
	header := data[8 : 8+n]
	buf := data[8+n : len(data) : len(data)]

	if !utf8.Valid(header) {
		return nil, errf("header is not valid UTF-8")
	}
	if !json.Valid(header) {
		err := json.Unmarshal(header, new(json.RawMessage)) // for the reason
		return nil, errf("header is not valid JSON: %v", err)
	}
	if k := jsonKind(header); k != "object" {
		return nil, errf("header is a JSON %s, want an object mapping tensor names to descriptions", k)
	}
	fields, dup := objectFields(header)
	if dup != "" {
		return nil, errf("header has the key %q twice; keys must be unique", dup)
	}

	f := &File{byName: make(map[string]*Tensor, len(fields))}
	for _, fld := range fields {
		if fld.key == metadataKey {
			md, err := parseMetadata(fld.val)
			if err != nil {
				return nil, err
			}
			f.Metadata = md
			continue
		}
		t, err := parseTensor(fld.key, fld.val, buf)
		if err != nil {
			return nil, err
		}
		f.Tensors = append(f.Tensors, t)
		f.byName[t.Name] = t
	}

	// File order; ties (empty tensors) keep header order.
	slices.SortStableFunc(f.Tensors, func(a, b *Tensor) int {
		return cmp.Or(cmp.Compare(a.begin, b.begin), cmp.Compare(a.end, b.end))
	})
	// Sorted by begin, with no overlap so far, a tensor overlaps an earlier
	// one exactly when it starts before the previous non-empty tensor ends.
	// Empty tensors own no bytes.
	var prev *Tensor
	for _, t := range f.Tensors {
		if t.begin == t.end {
			continue
		}
		if prev != nil && t.begin < prev.end {
			return nil, errf("tensors %q (bytes %d to %d) and %q (bytes %d to %d) overlap; each byte of the buffer must belong to one tensor at most",
				prev.Name, prev.begin, prev.end, t.Name, t.begin, t.end)
		}
		prev = t
	}
	return f, nil
}

type field struct {
	key string
	val json.RawMessage
}

// objectFields splits a valid JSON object into its fields, in order. It
// returns the first repeated key, if any, instead of silently keeping the
// last value as encoding/json does.
func objectFields(obj json.RawMessage) (fields []field, dup string) {
	dec := json.NewDecoder(bytes.NewReader(obj))
	if _, err := dec.Token(); err != nil { // '{'
		panic("safetensors: objectFields: " + err.Error()) // obj was validated
	}
	seen := make(map[string]bool)
	for dec.More() {
		tok, err := dec.Token()
		key, ok := tok.(string)
		if err != nil || !ok {
			panic(fmt.Sprintf("safetensors: objectFields: key %v: %v", tok, err))
		}
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			panic("safetensors: objectFields: " + err.Error())
		}
		if seen[key] {
			return nil, key
		}
		seen[key] = true
		fields = append(fields, field{key, val})
	}
	return fields, ""
}

// jsonKind names the kind of a valid JSON value.
func jsonKind(v json.RawMessage) string {
	v = bytes.TrimLeft(v, " \t\r\n")
	if len(v) == 0 {
		return "nothing"
	}
	switch v[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}

func parseMetadata(v json.RawMessage) (map[string]string, error) {
	switch k := jsonKind(v); k {
	case "null":
		return nil, nil
	case "object":
	default:
		return nil, errf("%s is a JSON %s, want an object of string values", metadataKey, k)
	}
	fields, dup := objectFields(v)
	if dup != "" {
		return nil, errf("%s has the key %q twice; keys must be unique", metadataKey, dup)
	}
	md := make(map[string]string, len(fields))
	for _, fld := range fields {
		var s string
		if k := jsonKind(fld.val); k != "string" || json.Unmarshal(fld.val, &s) != nil {
			return nil, errf("%s value for key %q is a JSON %s, want a string", metadataKey, fld.key, k)
		}
		md[fld.key] = s
	}
	return md, nil
}

// parseTensor validates one tensor description against the byte buffer.
func parseTensor(name string, v json.RawMessage, buf []byte) (*Tensor, error) {
	if k := jsonKind(v); k != "object" {
		return nil, errf("tensor %q is described by a JSON %s, want an object with dtype, shape and data_offsets", name, k)
	}
	fields, dup := objectFields(v)
	if dup != "" {
		return nil, errf("tensor %q has the key %q twice; keys must be unique", name, dup)
	}
	var dtypeV, shapeV, offsetsV json.RawMessage
	for _, fld := range fields {
		switch fld.key { // other keys are ignored, as by the reference
		case "dtype":
			dtypeV = fld.val
		case "shape":
			shapeV = fld.val
		case "data_offsets":
			offsetsV = fld.val
		}
	}
	for _, req := range []struct {
		key string
		v   json.RawMessage
	}{{"dtype", dtypeV}, {"shape", shapeV}, {"data_offsets", offsetsV}} {
		if req.v == nil {
			return nil, errf("tensor %q has no %s", name, req.key)
		}
	}

	// dtype
	var ds string
	if k := jsonKind(dtypeV); k != "string" || json.Unmarshal(dtypeV, &ds) != nil {
		return nil, errf("tensor %q has a JSON %s as dtype, want a string such as \"F32\"", name, k)
	}
	dt := DType(ds)
	size := dt.Size()
	if size == 0 {
		return nil, errf("tensor %q has unknown dtype %q, want one of F64, F32, F16, BF16, I64, I32, I16, I8, U64, U32, U16, U8, BOOL, F8_E5M2, F8_E4M3, F8_E8M0, C64", name, ds)
	}

	// shape
	dims, neg, ok := intArray(shapeV)
	if !ok {
		return nil, errf("tensor %q has shape %s, want an array of non-negative integers", name, clip(shapeV))
	}
	if neg != "" {
		return nil, errf("tensor %q has shape %s with negative dimension %s, want dimensions >= 0", name, clip(shapeV), neg)
	}
	shape := make([]int, len(dims))
	count, strideProd := uint64(1), uint64(1)
	for i, ud := range dims {
		// Every partial product of the non-zero dimensions must fit in an
		// int, so callers can compute strides without overflow.
		if ud > 0 {
			hi, lo := bits.Mul64(strideProd, ud)
			if hi != 0 || lo > math.MaxInt {
				return nil, errf("tensor %q has shape %s whose element count overflows an int", name, clip(shapeV))
			}
			strideProd = lo
		}
		count *= ud // <= strideProd, or 0
		shape[i] = int(ud)
	}
	hi, nbytes := bits.Mul64(count, uint64(size))
	if hi != 0 || nbytes > math.MaxInt {
		return nil, errf("tensor %q has shape %s whose size in bytes overflows an int", name, clip(shapeV))
	}

	// data_offsets
	offs, neg, ok := intArray(offsetsV)
	if !ok || neg != "" || len(offs) != 2 {
		return nil, errf("tensor %q has data_offsets %s, want two non-negative integers [begin, end]", name, clip(offsetsV))
	}
	begin, end := offs[0], offs[1]
	if begin > end {
		return nil, errf("tensor %q has data_offsets [%d, %d] with begin after end", name, begin, end)
	}
	if end > uint64(len(buf)) {
		return nil, errf("tensor %q has data_offsets end %d beyond the %d-byte data buffer", name, end, len(buf))
	}
	if end-begin != nbytes {
		return nil, errf("tensor %q has data_offsets [%d, %d] spanning %d bytes, want %d (%d elements of %s, %d bytes each)",
			name, begin, end, end-begin, nbytes, count, dt, size)
	}
	return &Tensor{
		Name:  name,
		DType: dt,
		Shape: shape,
		raw:   buf[begin:end:end],
		begin: int(begin),
		end:   int(end),
	}, nil
}

// intArray parses a JSON array of integers. Values above math.MaxUint64
// saturate to it. neg is the text of the first negative element, or "".
// A non-array or a non-integer element makes ok false.
func intArray(v json.RawMessage) (vals []uint64, neg string, ok bool) {
	if jsonKind(v) != "array" {
		return nil, "", false
	}
	var elems []json.RawMessage
	if json.Unmarshal(v, &elems) != nil {
		return nil, "", false
	}
	vals = make([]uint64, len(elems))
	for i, e := range elems {
		s := string(bytes.TrimSpace(e))
		digits := strings.TrimPrefix(s, "-")
		if digits == "" || strings.Trim(digits, "0123456789") != "" {
			return nil, "", false // not an integer: 1.5, 1e3, "3", null
		}
		if s[0] == '-' {
			if neg == "" && strings.Trim(digits, "0") != "" { // -0 is 0
				neg = s
			}
			continue
		}
		x, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			x = math.MaxUint64 // only range errors remain
		}
		vals[i] = x
	}
	return vals, neg, true
}

// clip shortens a JSON value for an error message.
func clip(v json.RawMessage) string {
	s := string(bytes.TrimSpace(v))
	if len(s) <= 60 {
		return s
	}
	cut := 57
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}
