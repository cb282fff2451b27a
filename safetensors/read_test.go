package safetensors

import (
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"
)

// build assembles a file from a header and a data buffer.
func build(header string, buf []byte) []byte {
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	out = append(out, header...)
	return append(out, buf...)
}

// withLength returns an 8-byte prefix claiming n header bytes, then rest.
func withLength(n uint64, rest string) []byte {
	return append(binary.LittleEndian.AppendUint64(nil, n), rest...)
}

// malformed lists invalid files and a part of the error each must give.
var malformed = []struct {
	name string
	data []byte
	want string
}{
	{"empty file", nil, "safetensors: file is 0 bytes, shorter than the 8-byte header length"},
	{"7 bytes", []byte{1, 2, 3, 4, 5, 6, 7}, "file is 7 bytes, shorter than the 8-byte header length"},
	{"header longer than file", withLength(100, `{"a":1}`), "header length 100 is larger than the 7 bytes that follow it"},
	{"header length max uint64", withLength(math.MaxUint64, "{}"), "header length 18446744073709551615 exceeds the limit of 100000000 bytes"},
	{"header over 100 MB", withLength(MaxHeaderSize+1, "{}"), "header length 100000001 exceeds the limit"},
	{"header not JSON", build(`{"w": `, nil), "header is not valid JSON: unexpected end of JSON input"},
	{"header trailing garbage", build(`{} x`, nil), "header is not valid JSON: invalid character 'x' after top-level value"},
	{"header zero padded", build("{}\x00\x00", nil), "header is not valid JSON"},
	{"header empty", build(``, nil), "header is not valid JSON"},
	{"header not UTF-8", build("{\"\xff\": 1}", nil), "header is not valid UTF-8"},
	{"header array", build(`[1, 2]`, nil), "header is a JSON array, want an object mapping tensor names to descriptions"},
	{"header string", build(`"x"`, nil), "header is a JSON string, want an object"},
	{"duplicate tensor", build(`{"w": {}, "w": {}}`, nil), `header has the key "w" twice; keys must be unique`},
	{"metadata not object", build(`{"__metadata__": [1]}`, nil), "__metadata__ is a JSON array, want an object of string values"},
	{"metadata number", build(`{"__metadata__": {"k": 1}}`, nil), `__metadata__ value for key "k" is a JSON number, want a string`},
	{"metadata object", build(`{"__metadata__": {"a": "x", "k": {"n": 1}}}`, nil), `__metadata__ value for key "k" is a JSON object, want a string`},
	{"metadata null value", build(`{"__metadata__": {"k": null}}`, nil), `__metadata__ value for key "k" is a JSON null, want a string`},
	{"metadata duplicate", build(`{"__metadata__": {"k": "a", "k": "b"}}`, nil), `__metadata__ has the key "k" twice`},
	{"tensor not object", build(`{"w": [1]}`, nil), `tensor "w" is described by a JSON array, want an object with dtype, shape and data_offsets`},
	{"tensor duplicate field", build(`{"w": {"dtype": "F32", "dtype": "F64", "shape": [], "data_offsets": [0, 4]}}`, make([]byte, 4)), `tensor "w" has the key "dtype" twice`},
	{"no dtype", build(`{"w": {"shape": [1], "data_offsets": [0, 4]}}`, make([]byte, 4)), `tensor "w" has no dtype`},
	{"no shape", build(`{"w": {"dtype": "F32", "data_offsets": [0, 4]}}`, make([]byte, 4)), `tensor "w" has no shape`},
	{"no data_offsets", build(`{"w": {"dtype": "F32", "shape": [1]}}`, make([]byte, 4)), `tensor "w" has no data_offsets`},
	{"dtype number", build(`{"w": {"dtype": 32, "shape": [1], "data_offsets": [0, 4]}}`, make([]byte, 4)), `tensor "w" has a JSON number as dtype, want a string such as "F32"`},
	{"unknown dtype", build(`{"w": {"dtype": "F128", "shape": [1], "data_offsets": [0, 16]}}`, make([]byte, 16)), `tensor "w" has unknown dtype "F128", want one of F64, F32, F16, BF16, I64`},
	{"lower-case dtype", build(`{"w": {"dtype": "f32", "shape": [1], "data_offsets": [0, 4]}}`, make([]byte, 4)), `tensor "w" has unknown dtype "f32"`},
	{"shape not array", build(`{"w": {"dtype": "F32", "shape": 3, "data_offsets": [0, 12]}}`, make([]byte, 12)), `tensor "w" has shape 3, want an array of non-negative integers`},
	{"shape float", build(`{"w": {"dtype": "F32", "shape": [1.5], "data_offsets": [0, 4]}}`, make([]byte, 4)), `tensor "w" has shape [1.5], want an array of non-negative integers`},
	{"shape exponent", build(`{"w": {"dtype": "F32", "shape": [1e1], "data_offsets": [0, 40]}}`, make([]byte, 40)), `tensor "w" has shape [1e1], want an array`},
	{"shape string", build(`{"w": {"dtype": "F32", "shape": ["2"], "data_offsets": [0, 8]}}`, make([]byte, 8)), `tensor "w" has shape ["2"], want an array`},
	{"negative dim", build(`{"w": {"dtype": "F32", "shape": [-2, 3], "data_offsets": [0, 24]}}`, make([]byte, 24)), `tensor "w" has shape [-2, 3] with negative dimension -2, want dimensions >= 0`},
	{"huge negative dim", build(`{"w": {"dtype": "F32", "shape": [-99999999999999999999], "data_offsets": [0, 0]}}`, nil), `with negative dimension -99999999999999999999`},
	{"element count overflow", build(`{"w": {"dtype": "U8", "shape": [4294967296, 4294967296], "data_offsets": [0, 0]}}`, nil), `tensor "w" has shape [4294967296, 4294967296] whose element count overflows an int`},
	{"overflow behind zero", build(`{"w": {"dtype": "U8", "shape": [0, 4294967296, 4294967296], "data_offsets": [0, 0]}}`, nil), `whose element count overflows an int`},
	{"dim beyond uint64", build(`{"w": {"dtype": "U8", "shape": [99999999999999999999], "data_offsets": [0, 0]}}`, nil), `whose element count overflows an int`},
	{"byte size overflow", build(`{"w": {"dtype": "F32", "shape": [4611686018427387904], "data_offsets": [0, 0]}}`, nil), `tensor "w" has shape [4611686018427387904] whose size in bytes overflows an int`},
	{"offsets one int", build(`{"w": {"dtype": "F32", "shape": [1], "data_offsets": [0]}}`, make([]byte, 4)), `tensor "w" has data_offsets [0], want two non-negative integers [begin, end]`},
	{"offsets three ints", build(`{"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4, 8]}}`, make([]byte, 8)), `tensor "w" has data_offsets [0, 4, 8], want two non-negative integers`},
	{"offsets strings", build(`{"w": {"dtype": "F32", "shape": [1], "data_offsets": ["0", "4"]}}`, make([]byte, 4)), `tensor "w" has data_offsets ["0", "4"], want two`},
	{"offsets negative", build(`{"w": {"dtype": "F32", "shape": [1], "data_offsets": [-4, 0]}}`, make([]byte, 4)), `tensor "w" has data_offsets [-4, 0], want two non-negative integers`},
	{"offsets float", build(`{"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4.0]}}`, make([]byte, 4)), `tensor "w" has data_offsets [0, 4.0], want two`},
	{"offsets object", build(`{"w": {"dtype": "F32", "shape": [1], "data_offsets": {"begin": 0}}}`, make([]byte, 4)), `tensor "w" has data_offsets {"begin": 0}, want two`},
	{"begin after end", build(`{"w": {"dtype": "F32", "shape": [1], "data_offsets": [8, 4]}}`, make([]byte, 8)), `tensor "w" has data_offsets [8, 4] with begin after end`},
	{"end beyond buffer", build(`{"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}`, make([]byte, 8)), `tensor "w" has data_offsets end 16 beyond the 8-byte data buffer`},
	{"end beyond uint64", build(`{"w": {"dtype": "U8", "shape": [0], "data_offsets": [99999999999999999999, 99999999999999999999]}}`, nil), `tensor "w" has data_offsets end 18446744073709551615 beyond the 0-byte data buffer`},
	{"byte length too short", build(`{"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}`, make([]byte, 12)), `tensor "w" has data_offsets [0, 8] spanning 8 bytes, want 12 (3 elements of F32, 4 bytes each)`},
	{"byte length too long", build(`{"w": {"dtype": "BF16", "shape": [2, 2], "data_offsets": [0, 16]}}`, make([]byte, 16)), `spanning 16 bytes, want 8 (4 elements of BF16, 2 bytes each)`},
	{"scalar wrong size", build(`{"w": {"dtype": "F64", "shape": [], "data_offsets": [0, 0]}}`, nil), `spanning 0 bytes, want 8 (1 elements of F64`},
	{"overlap", build(`{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}`, make([]byte, 12)),
		`tensors "a" (bytes 0 to 8) and "b" (bytes 4 to 12) overlap; each byte of the buffer must belong to one tensor at most`},
	{"same range", build(`{"b": {"dtype": "U8", "shape": [4], "data_offsets": [0, 4]}, "a": {"dtype": "I32", "shape": [1], "data_offsets": [0, 4]}}`, make([]byte, 4)), `tensors "b" (bytes 0 to 4) and "a" (bytes 0 to 4) overlap`},
	{"nested overlap", build(`{"big": {"dtype": "U8", "shape": [16], "data_offsets": [0, 16]}, "x": {"dtype": "U8", "shape": [2], "data_offsets": [2, 4]}, "y": {"dtype": "U8", "shape": [2], "data_offsets": [8, 10]}}`, make([]byte, 16)),
		`tensors "big" (bytes 0 to 16) and "x" (bytes 2 to 4) overlap`},
	{"contained after hole", build(`{"a": {"dtype": "U8", "shape": [2], "data_offsets": [0, 2]}, "big": {"dtype": "U8", "shape": [12], "data_offsets": [4, 16]}, "y": {"dtype": "U8", "shape": [2], "data_offsets": [8, 10]}}`, make([]byte, 16)),
		`bytes 2 to 4 of the data buffer, between tensors "a" and "big", belong to no tensor`},
	{"contained, no hole", build(`{"a": {"dtype": "U8", "shape": [4], "data_offsets": [0, 4]}, "big": {"dtype": "U8", "shape": [12], "data_offsets": [4, 16]}, "y": {"dtype": "U8", "shape": [2], "data_offsets": [8, 10]}}`, make([]byte, 16)),
		`tensors "big" (bytes 4 to 16) and "y" (bytes 8 to 10) overlap`},
	// The buffer must be fully indexed (issue 9, item 9): the reference
	// loader rejects holes and trailing bytes, where a polyglot file hides.
	{"hole between tensors", build(`{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "b": {"dtype": "F32", "shape": [1], "data_offsets": [8, 12]}}`, make([]byte, 12)),
		`safetensors: bytes 4 to 8 of the data buffer, between tensors "a" and "b", belong to no tensor; the buffer must be fully indexed, without holes`},
	{"hole before the first tensor", build(`{"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}`, make([]byte, 8)),
		`bytes 0 to 4 of the data buffer, before tensor "a", belong to no tensor`},
	{"trailing bytes", build(`{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}`, make([]byte, 10)),
		`bytes 4 to 10 of the data buffer, after the last tensor "a", belong to no tensor; the buffer must be fully indexed, without trailing bytes`},
	{"trailing bytes, no tensors", build(`{}`, []byte("PK\x03\x04")),
		`bytes 0 to 4 of the data buffer, with no tensors, belong to no tensor`},
	{"holes and trailing bytes", build(
		`{"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}, "b": {"dtype": "F32", "shape": [1], "data_offsets": [12, 16]}}`, make([]byte, 24)),
		`bytes 0 to 4 of the data buffer, before tensor "a", belong to no tensor`},
	{"empty tensor inside another", build(
		`{"e": {"dtype": "F32", "shape": [0, 3], "data_offsets": [4, 4]}, "w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}`, make([]byte, 8)),
		`tensor "e" has data_offsets [4, 4] inside tensor "w" (bytes 0 to 8); each tensor must start where the previous one ends`},
	{"empty tensor beyond the data", build(
		`{"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "e": {"dtype": "F32", "shape": [0], "data_offsets": [12, 12]}}`, make([]byte, 12)),
		`bytes 8 to 12 of the data buffer, between tensors "w" and "e", belong to no tensor`},
}

func TestParseMalformed(t *testing.T) {
	t.Parallel()
	for _, tc := range malformed {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse(tc.data)
			if err == nil {
				t.Fatalf("Parse succeeded with %d tensors, want error containing %q", len(f.Tensors), tc.want)
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.want) {
				t.Errorf("error %q\nwant it to contain %q", msg, tc.want)
			}
			if !strings.HasPrefix(msg, "safetensors: ") || strings.Contains(msg, "\n") {
				t.Errorf("error %q is not one line prefixed with \"safetensors: \"", msg)
			}
			if _, ok := errors.AsType[*FormatError](err); !ok {
				t.Errorf("error %T is not a *FormatError", err)
			}
		})
	}
}

func TestParseAccepts(t *testing.T) {
	t.Parallel()
	f32 := func(vs ...float32) []byte {
		var b []byte
		for _, v := range vs {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
		}
		return b
	}
	tests := []struct {
		name   string
		data   []byte
		names  []string // in file order
		meta   map[string]string
		values map[string][]float32
	}{
		{"no tensors", build(`{}`, nil), nil, nil, nil},
		{"padded header", build(`{"__metadata__": {"a": "b"}}    `, nil), nil, map[string]string{"a": "b"}, nil},
		{"null metadata", build(`{"__metadata__": null}`, nil), nil, nil, nil},
		{"file order, not header order", build(
			`{"z": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "a": {"dtype": "F32", "shape": [1, 1], "data_offsets": [4, 8]}}`, f32(1.5, -2)),
			[]string{"z", "a"}, nil, map[string][]float32{"z": {1.5}, "a": {-2}}},
		{"sorted by offset", build(
			`{"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}, "z": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}`, f32(1.5, -2)),
			[]string{"z", "a"}, nil, map[string][]float32{"z": {1.5}, "a": {-2}}},
		{"scalar", build(`{"s": {"dtype": "F32", "shape": [], "data_offsets": [0, 4]}}`, f32(7)),
			[]string{"s"}, nil, map[string][]float32{"s": {7}}},
		{"empty tensors share an offset", build(
			`{"e": {"dtype": "F32", "shape": [0, 3], "data_offsets": [8, 8]}, "w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "f": {"dtype": "I64", "shape": [0], "data_offsets": [8, 8]}}`, f32(1, 2)),
			[]string{"w", "e", "f"}, nil, map[string][]float32{"e": {}, "w": {1, 2}, "f": {}}},
		{"empty tensor first", build(
			`{"e": {"dtype": "F32", "shape": [0], "data_offsets": [0, 0]}, "w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}`, f32(5)),
			[]string{"e", "w"}, nil, map[string][]float32{"e": {}, "w": {5}}},
		{"unknown fields ignored", build(`{"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4], "note": [1]}}`, f32(9)),
			[]string{"w"}, nil, map[string][]float32{"w": {9}}},
		{"escaped and empty names", build(`{"a\"b\u00e9": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}`, f32(1, 2)),
			[]string{"a\"bé", ""}, nil, map[string][]float32{"a\"bé": {1}, "": {2}}},
		{"minus zero dim", build(`{"w": {"dtype": "F32", "shape": [-0], "data_offsets": [0, 0]}}`, nil),
			[]string{"w"}, nil, map[string][]float32{"w": {}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse(tc.data)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, tn := range f.Tensors {
				names = append(names, tn.Name)
			}
			if !slices.Equal(names, tc.names) {
				t.Errorf("tensors %q, want %q", names, tc.names)
			}
			if len(f.Metadata) != len(tc.meta) {
				t.Errorf("metadata %v, want %v", f.Metadata, tc.meta)
			}
			for k, v := range tc.meta {
				if f.Metadata[k] != v {
					t.Errorf("metadata[%q] = %q, want %q", k, f.Metadata[k], v)
				}
			}
			for name, want := range tc.values {
				tn, ok := f.Get(name)
				if !ok {
					t.Fatalf("Get(%q) not found", name)
				}
				got, err := tn.Float32()
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(got, want) || tn.NumElements() != len(want) {
					t.Errorf("%q = %v (NumElements %d), want %v", name, got, tn.NumElements(), want)
				}
			}
			if _, ok := f.Get("missing"); ok {
				t.Error(`Get("missing") found a tensor`)
			}
		})
	}
}

// TestGolden parses a model written by the Python reference
// (/work/shared/golden/attn_only_2l.model.safetensors, copied to testdata).
func TestGolden(t *testing.T) {
	t.Parallel()
	f, err := ReadFile(filepath.Join("testdata", "attn_only_2l.model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Tensors) != 26 {
		t.Errorf("%d tensors, want 26", len(f.Tensors))
	}
	if cfg := f.Metadata["config"]; !strings.Contains(cfg, `"n_layers": 2`) {
		t.Errorf(`metadata["config"] = %q, want TransformerLens config JSON with "n_layers": 2`, cfg)
	}
	want := []struct {
		name  string
		shape []int
	}{
		{"embed.W_E", []int{50, 32}},
		{"pos_embed.W_pos", []int{24, 32}},
		{"blocks.0.attn.W_Q", []int{4, 32, 8}},
		{"blocks.1.attn.W_O", []int{4, 8, 32}},
		{"blocks.1.attn.b_Q", []int{4, 8}},
		{"ln_final.b", []int{32}},
		{"unembed.W_U", []int{32, 50}},
		{"unembed.b_U", []int{50}},
	}
	for _, w := range want {
		tn, ok := f.Get(w.name)
		if !ok {
			t.Errorf("no tensor %q", w.name)
			continue
		}
		if tn.DType != F32 || !slices.Equal(tn.Shape, w.shape) {
			t.Errorf("%q is %s %v, want F32 %v", w.name, tn.DType, tn.Shape, w.shape)
		}
		vals, err := tn.Float32()
		if err != nil || len(vals) != tn.NumElements() {
			t.Errorf("%q: Float32 gave %d values, %v", w.name, len(vals), err)
		}
	}
	if first, last := f.Tensors[0].Name, f.Tensors[len(f.Tensors)-1].Name; first != "embed.W_E" || last != "unembed.b_U" {
		t.Errorf("file order starts %q and ends %q, want embed.W_E ... unembed.b_U", first, last)
	}
}

func TestReadFileErrorsNamePath(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.safetensors")
	if _, err := ReadFile(missing); err == nil || !strings.HasPrefix(err.Error(), "safetensors: ") || !strings.Contains(err.Error(), missing) {
		t.Errorf("ReadFile(missing) error %v, want it to start with \"safetensors: \" and name %s", err, missing)
	}
	bad := filepath.Join(dir, "bad.safetensors")
	if err := os.WriteFile(bad, []byte{1, 2}, 0o644); err != nil {
		t.Fatal(err)
	}
	want := "safetensors: " + bad + ": file is 2 bytes, shorter than the 8-byte header length"
	if _, err := ReadFile(bad); err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("ReadFile(bad) error %v, want prefix %q", err, want)
	}
}

func TestConversions(t *testing.T) {
	t.Parallel()
	le := binary.LittleEndian
	tests := []struct {
		dtype DType
		raw   []byte
		f64   []float64 // nil: Float32 and Float64 must fail
		i64   []int64   // nil: Int64 must fail
	}{
		{F32, le.AppendUint32(le.AppendUint32(nil, math.Float32bits(1.5)), math.Float32bits(-0.25)), []float64{1.5, -0.25}, nil},
		{F64, le.AppendUint64(le.AppendUint64(nil, math.Float64bits(0.1)), math.Float64bits(-3)), []float64{0.1, -3}, nil},
		{F16, []byte{0x00, 0x3C, 0x00, 0xC0}, []float64{1, -2}, nil},
		{BF16, []byte{0x80, 0x3F, 0x49, 0x40}, []float64{1, 3.140625}, nil},
		{I64, le.AppendUint64(le.AppendUint64(nil, 7), uint64(1<<63)), []float64{7, -(1 << 63)}, []int64{7, math.MinInt64}},
		{I32, le.AppendUint32(le.AppendUint32(nil, 5), math.MaxUint32), []float64{5, -1}, []int64{5, -1}},
		{I16, []byte{0x01, 0x00, 0xFF, 0xFF}, []float64{1, -1}, []int64{1, -1}},
		{I8, []byte{0x7F, 0x80}, []float64{127, -128}, []int64{127, -128}},
		{U8, []byte{0xFF, 0x00}, []float64{255, 0}, []int64{255, 0}},
		{U16, []byte{0xFF, 0xFF}, []float64{65535}, []int64{65535}},
		{U32, le.AppendUint32(nil, math.MaxUint32), []float64{math.MaxUint32}, []int64{math.MaxUint32}},
		{U64, le.AppendUint64(nil, 1<<40), []float64{1 << 40}, []int64{1 << 40}},
		{BOOL, []byte{0, 1}, []float64{0, 1}, []int64{0, 1}},
		{F8E4M3, []byte{0x38}, nil, nil},
		{C64, make([]byte, 8), nil, nil},
	}
	for _, tc := range tests {
		n := len(tc.raw) / tc.dtype.Size()
		tn := &Tensor{Name: "t", DType: tc.dtype, Shape: []int{n}, raw: tc.raw, loaded: true, count: n, end: len(tc.raw)}
		f64, err64 := tn.Float64()
		f32, err32 := tn.Float32()
		i64, errI := tn.Int64()
		if tc.f64 == nil {
			if err64 == nil || err32 == nil {
				t.Errorf("%s: Float64/Float32 succeeded, want errors", tc.dtype)
			} else if want := `safetensors: tensor "t" has dtype ` + string(tc.dtype) + ", which cannot be converted to float64"; err64.Error() != want {
				t.Errorf("%s: error %q, want %q", tc.dtype, err64, want)
			}
		} else {
			if err64 != nil || !slices.Equal(f64, tc.f64) {
				t.Errorf("%s: Float64 = %v, %v; want %v", tc.dtype, f64, err64, tc.f64)
			}
			want32 := make([]float32, len(tc.f64))
			for i, v := range tc.f64 {
				want32[i] = float32(v)
			}
			if err32 != nil || !slices.Equal(f32, want32) {
				t.Errorf("%s: Float32 = %v, %v; want %v", tc.dtype, f32, err32, want32)
			}
		}
		if tc.i64 == nil {
			if errI == nil {
				t.Errorf("%s: Int64 succeeded, want an error", tc.dtype)
			}
		} else if errI != nil || !slices.Equal(i64, tc.i64) {
			t.Errorf("%s: Int64 = %v, %v; want %v", tc.dtype, i64, errI, tc.i64)
		}
	}
	big := &Tensor{Name: "ids", DType: U64, Shape: []int{1}, raw: binary.LittleEndian.AppendUint64(nil, math.MaxUint64), loaded: true, count: 1, end: 8}
	want := `safetensors: tensor "ids" element 0 is 18446744073709551615, which does not fit in an int64`
	if _, err := big.Int64(); err == nil || err.Error() != want {
		t.Errorf("Int64 of MaxUint64 error %v, want %q", err, want)
	}
}

func TestClipKeepsRunes(t *testing.T) {
	t.Parallel()
	long := "[" + strings.Repeat("é", 40) + "]"
	got := clip([]byte(long))
	if !utf8.ValidString(got) || !strings.HasSuffix(got, "...") || len(got) > 60 {
		t.Errorf("clip(%q) = %q, want valid UTF-8 of at most 60 bytes ending in ...", long, got)
	}
	if got := clip([]byte(" [1, 2] ")); got != "[1, 2]" {
		t.Errorf("clip = %q, want [1, 2]", got)
	}
}

// TestOpenReadsHeaderFirst: Open reads the header only; Load reads the
// tensors asked for and nothing else; data of unloaded tensors is refused.
func TestOpenReadsHeaderFirst(t *testing.T) {
	t.Parallel()
	path := filepath.Join("testdata", "attn_only_2l.model.safetensors")
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if len(f.Tensors) != 26 || f.Metadata["config"] == "" {
		t.Fatalf("%d tensors, metadata %v", len(f.Tensors), f.Metadata)
	}
	we, _ := f.Get("embed.W_E")
	if we.Loaded() || we.NumBytes() != 50*32*4 || we.NumElements() != 50*32 {
		t.Errorf("W_E loaded %v, %d bytes, %d elements before Load", we.Loaded(), we.NumBytes(), we.NumElements())
	}
	if _, err := we.Float32(); err == nil || !strings.Contains(err.Error(), "has not been read") {
		t.Errorf("Float32 of an unloaded tensor: %v", err)
	}
	if got := f.DataBytes("embed.W_E", "unembed.b_U", "nope"); got != 50*32*4+50*4 {
		t.Errorf("DataBytes = %d", got)
	}
	if err := f.Load("embed.W_E"); err != nil {
		t.Fatal(err)
	}
	if err := f.Load("nope"); err == nil || !strings.Contains(err.Error(), path+`: no tensor "nope"`) {
		t.Errorf("Load(nope) = %v", err)
	}
	full, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := we.Float32()
	wf, _ := full.Get("embed.W_E")
	b, _ := wf.Float32()
	if !slices.Equal(a, b) {
		t.Error("Load read other values than ReadFile")
	}
	if wu, _ := f.Get("unembed.W_U"); wu.Loaded() {
		t.Error("Load read a tensor it was not asked for")
	}
}

// TestOpenRefusesSpecialFiles: a device or a named pipe is refused at once
// (issue 9, item 1): reading /dev/zero grew without bound, a FIFO hung.
func TestOpenRefusesSpecialFiles(t *testing.T) {
	t.Parallel()
	fifo := filepath.Join(t.TempDir(), "fifo.safetensors")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/dev/zero", fifo, t.TempDir()} {
		done := make(chan error, 1)
		go func() { _, err := ReadFile(p); done <- err }()
		select {
		case err := <-done:
			if err == nil || !strings.HasPrefix(err.Error(), "safetensors: "+p+" is ") || !strings.HasSuffix(err.Error(), ", not a regular file") {
				t.Errorf("ReadFile(%s) = %v, want a refusal naming the kind of file", p, err)
			}
		case <-time.After(2 * time.Second):
			t.Fatalf("ReadFile(%s) still running after 2 s", p)
		}
	}
}

// TestOpenTruncatedAfterHeader: a file cut after Open is an error on Load.
func TestOpenTruncatedAfterHeader(t *testing.T) {
	t.Parallel()
	good, _ := os.ReadFile(filepath.Join("testdata", "attn_only_2l.model.safetensors"))
	path := filepath.Join(t.TempDir(), "m.safetensors")
	os.WriteFile(path, good, 0o644)
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	os.Truncate(path, int64(len(good)-10))
	if err := f.LoadAll(); err == nil || !strings.Contains(err.Error(), `tensor "unembed.b_U": the file ended before its bytes`) {
		t.Errorf("LoadAll of a truncated file: %v", err)
	}
}
