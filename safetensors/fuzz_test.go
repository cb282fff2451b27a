package safetensors

import (
	"bytes"
	"encoding/binary"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var genCorpus = flag.Bool("gen-corpus", false, "rewrite the FuzzParse seed corpus in testdata/fuzz/FuzzParse")

// FuzzParse checks that Parse never panics and that every file it accepts
// is self-consistent and survives a re-encode.
func FuzzParse(f *testing.F) {
	for _, s := range seedFiles() {
		f.Add(s.data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse(data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "safetensors: ") {
				t.Fatalf("error without prefix: %v", err)
			}
			return
		}
		checkConsistent(t, data, file)
		checkReencode(t, file)
		checkReader(t, data, file)
	})
}

func checkConsistent(t *testing.T, data []byte, file *File) {
	defer func() {
		if t.Failed() {
			return
		}
		end := 0
		if n := len(file.Tensors); n > 0 {
			end = file.Tensors[n-1].end
		}
		if n := binary.LittleEndian.Uint64(data); end != len(data)-8-int(n) {
			t.Fatalf("tensors end at %d, the buffer at %d: trailing bytes accepted", end, len(data)-8-int(n))
		}
	}()
	n := binary.LittleEndian.Uint64(data)
	buf := data[8+n:]
	if len(file.byName) != len(file.Tensors) {
		t.Fatalf("%d names for %d tensors", len(file.byName), len(file.Tensors))
	}
	lastEnd, cursor := 0, 0
	for i, tn := range file.Tensors {
		if got, ok := file.Get(tn.Name); !ok || got != tn {
			t.Fatalf("Get(%q) does not return tensor %d", tn.Name, i)
		}
		count := 1
		for _, d := range tn.Shape {
			if d < 0 {
				t.Fatalf("%q: negative dim in %v", tn.Name, tn.Shape)
			}
			count *= d
		}
		size := tn.DType.Size()
		if size == 0 || count != tn.NumElements() || len(tn.raw) != count*size {
			t.Fatalf("%q: %s %v has %d bytes, NumElements %d", tn.Name, tn.DType, tn.Shape, len(tn.raw), tn.NumElements())
		}
		if tn.begin < 0 || tn.begin > tn.end || tn.end > len(buf) || !bytes.Equal(tn.raw, buf[tn.begin:tn.end]) || cap(tn.raw) != len(tn.raw) {
			t.Fatalf("%q: bytes [%d, %d) do not match the %d-byte buffer", tn.Name, tn.begin, tn.end, len(buf))
		}
		if i > 0 && tn.begin < file.Tensors[i-1].begin {
			t.Fatalf("%q: tensors out of file order", tn.Name)
		}
		if tn.begin < tn.end {
			if tn.begin < lastEnd {
				t.Fatalf("%q: bytes [%d, %d) overlap an earlier tensor ending at %d", tn.Name, tn.begin, tn.end, lastEnd)
			}
			lastEnd = tn.end
		}
		if tn.begin != cursor {
			t.Fatalf("%q: bytes [%d, %d) do not start where the previous tensor ended (%d)", tn.Name, tn.begin, tn.end, cursor)
		}
		cursor = tn.end
		if !tn.Loaded() {
			t.Fatalf("%q: not loaded after Parse", tn.Name)
		}
		for _, conv := range []func() (int, error){
			func() (int, error) { v, err := tn.Float32(); return len(v), err },
			func() (int, error) { v, err := tn.Float64(); return len(v), err },
			func() (int, error) { v, err := tn.Int64(); return len(v), err },
		} {
			if got, err := conv(); err == nil && got != count {
				t.Fatalf("%q: conversion gave %d values, want %d", tn.Name, got, count)
			}
		}
	}
}

// checkReader reads the same bytes header-first: the header alone must be
// accepted, and every tensor must load to the bytes Parse gave.
func checkReader(t *testing.T, data []byte, file *File) {
	lazy, err := NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("NewReader refused what Parse accepted: %v", err)
	}
	if len(lazy.Tensors) != len(file.Tensors) || lazy.DataBytes() != int64(len(data))-8-int64(binary.LittleEndian.Uint64(data)) {
		t.Fatalf("NewReader: %d tensors, %d data bytes", len(lazy.Tensors), lazy.DataBytes())
	}
	if err := lazy.LoadAll(); err != nil {
		t.Fatal(err)
	}
	for i, tn := range lazy.Tensors {
		if !bytes.Equal(tn.raw, file.Tensors[i].raw) || tn.Name != file.Tensors[i].Name {
			t.Fatalf("%q: NewReader loaded other bytes than Parse", tn.Name)
		}
	}
}

// checkReencode writes the F32, F64 and I64 tensors back out and parses
// them again: names, shapes, bytes and metadata must survive.
func checkReencode(t *testing.T, file *File) {
	var ws []WriteTensor
	var kept []*Tensor
	for _, tn := range file.Tensors {
		if tn.Name == "" {
			continue // Encode refuses empty names
		}
		w := WriteTensor{Name: tn.Name, Shape: tn.Shape}
		var err error
		switch tn.DType {
		case F32:
			w.F32, err = tn.Float32()
		case F64:
			w.F64, err = tn.Float64()
		case I64:
			w.I64, err = tn.Int64()
		default:
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		ws = append(ws, w)
		kept = append(kept, tn)
	}
	var out bytes.Buffer
	if err := Encode(&out, ws, file.Metadata); err != nil {
		t.Fatalf("re-encode: %v", err)
	}
	again, err := Parse(out.Bytes())
	if err != nil {
		t.Fatalf("re-parse: %v", err)
	}
	if len(again.Tensors) != len(kept) || len(again.Metadata) != len(file.Metadata) {
		t.Fatalf("re-parse has %d tensors and %d metadata keys, want %d and %d",
			len(again.Tensors), len(again.Metadata), len(kept), len(file.Metadata))
	}
	for k, v := range file.Metadata {
		if again.Metadata[k] != v {
			t.Fatalf("metadata %q: %q after re-encode, want %q", k, again.Metadata[k], v)
		}
	}
	for i, tn := range again.Tensors {
		want := kept[i]
		if tn.Name != want.Name || tn.DType != want.DType || !slices.Equal(tn.Shape, want.Shape) || !bytes.Equal(tn.raw, want.raw) {
			t.Fatalf("tensor %q changed on re-encode", want.Name)
		}
	}
}

type seed struct {
	name string
	data []byte
}

// seedFiles returns valid files and every malformed case of the tests.
func seedFiles() []seed {
	enc := func(ws []WriteTensor, meta map[string]string) []byte {
		var b bytes.Buffer
		if err := Encode(&b, ws, meta); err != nil {
			panic(err)
		}
		return b.Bytes()
	}
	seeds := []seed{
		{"valid_f32_meta", enc([]WriteTensor{{Name: "embed.W_E", Shape: []int{3, 2}, F32: []float32{1, -2, 0.5, 3, 4, 5}}}, map[string]string{"config": `{"d_model": 2}`})},
		{"valid_mixed", enc([]WriteTensor{
			{Name: "tokens", Shape: []int{1, 3}, I64: []int64{1, 2, 3}},
			{Name: "loss", F64: []float64{0.25}},
			{Name: "empty", Shape: []int{0}, F32: []float32{}},
		}, nil)},
		{"valid_empty", enc(nil, nil)},
		{"valid_python_style", build(`{"__metadata__": {"format": "pt"}, "h": {"dtype": "F16", "shape": [2], "data_offsets": [0, 4]}, "b": {"dtype": "BF16", "shape": [1], "data_offsets": [4, 6]}, "n": {"dtype": "U8", "shape": [2], "data_offsets": [6, 8]}}   `,
			[]byte{0x00, 0x3C, 0x01, 0x00, 0x80, 0x3F, 7, 1})},
	}
	for _, m := range malformed {
		seeds = append(seeds, seed{"malformed_" + m.name, m.data})
	}
	return seeds
}

// TestGenCorpus rewrites the committed seed corpus when run with
// go test -run TestGenCorpus -gen-corpus ./safetensors/
func TestGenCorpus(t *testing.T) {
	if !*genCorpus {
		t.Skip("run with -gen-corpus to rewrite testdata/fuzz/FuzzParse")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzParse")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, s := range seedFiles() {
		name := "seed_" + strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' {
				return r
			}
			return '_'
		}, strings.ToLower(s.name))
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", s.data)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
