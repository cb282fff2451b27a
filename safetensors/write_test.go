package safetensors

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 1))
	f32 := make([]float32, 3*5*2)
	for i := range f32 {
		f32[i] = float32(rng.NormFloat64())
	}
	f32[0], f32[1], f32[2] = float32(math.Inf(-1)), float32(math.NaN()), float32(math.Copysign(0, -1))
	f64 := []float64{math.Pi, -1e-300, math.MaxFloat64, math.SmallestNonzeroFloat64}
	i64 := []int64{0, -1, math.MaxInt64, math.MinInt64, 49, 7}
	in := []WriteTensor{
		{Name: "w", Shape: []int{3, 5, 2}, F32: slices.Clone(f32)},
		{Name: "logits", Shape: []int{2, 2}, F64: slices.Clone(f64)},
		{Name: "tokens", Shape: []int{2, 3}, I64: slices.Clone(i64)},
		{Name: "loss", F64: []float64{2.5}}, // scalar
		{Name: "empty", Shape: []int{0, 4}, F32: []float32{}},
		{Name: "a<b&c>", Shape: []int{1}, F32: []float32{1}},
	}
	meta := map[string]string{"config": `{"n_layers": 2}`, "note": "<ünïcode> & \"quotes\""}
	var buf bytes.Buffer
	if err := Encode(&buf, in, meta); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	n := binary.LittleEndian.Uint64(data)
	if n%8 != 0 {
		t.Errorf("header length %d is not a multiple of 8", n)
	}
	f, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Metadata) != len(meta) || f.Metadata["config"] != meta["config"] || f.Metadata["note"] != meta["note"] {
		t.Errorf("metadata %q, want %q", f.Metadata, meta)
	}
	if len(f.Tensors) != len(in) {
		t.Fatalf("%d tensors, want %d", len(f.Tensors), len(in))
	}
	for i, w := range in {
		tn := f.Tensors[i] // file order is the order given
		wantShape := w.Shape
		if wantShape == nil {
			wantShape = []int{}
		}
		if tn.Name != w.Name || !slices.Equal(tn.Shape, wantShape) {
			t.Errorf("tensor %d is %q %v, want %q %v", i, tn.Name, tn.Shape, w.Name, wantShape)
		}
		switch {
		case w.F32 != nil:
			got, err := tn.Float32()
			if err != nil || tn.DType != F32 || !sameBits32(got, w.F32) {
				t.Errorf("%q: %s %v, %v; want F32 %v", w.Name, tn.DType, got, err, w.F32)
			}
		case w.F64 != nil:
			got, err := tn.Float64()
			if err != nil || tn.DType != F64 || !slices.Equal(got, w.F64) {
				t.Errorf("%q: %s %v, %v; want F64 %v", w.Name, tn.DType, got, err, w.F64)
			}
		case w.I64 != nil:
			got, err := tn.Int64()
			if err != nil || tn.DType != I64 || !slices.Equal(got, w.I64) {
				t.Errorf("%q: %s %v, %v; want I64 %v", w.Name, tn.DType, got, err, w.I64)
			}
		}
	}
	// Encode does not modify its inputs.
	if !sameBits32(in[0].F32, f32) || !slices.Equal(in[1].F64, f64) || !slices.Equal(in[2].I64, i64) {
		t.Error("Encode modified its input")
	}
	// Deterministic: the same input gives the same bytes.
	var again bytes.Buffer
	if err := Encode(&again, in, meta); err != nil || !bytes.Equal(again.Bytes(), data) {
		t.Errorf("second Encode differs (err %v)", err)
	}
}

func sameBits32(a, b []float32) bool {
	return slices.EqualFunc(a, b, func(x, y float32) bool { return math.Float32bits(x) == math.Float32bits(y) })
}

// TestEncodeExactBytes pins the layout: sorted keys, reference field order,
// space padding to a multiple of 8, little-endian data in the order given.
func TestEncodeExactBytes(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	err := Encode(&buf, []WriteTensor{
		{Name: "b", Shape: []int{2}, F32: []float32{1, -2}},
		{Name: "a", Shape: []int{}, I64: []int64{3}},
	}, map[string]string{"k": "v"})
	if err != nil {
		t.Fatal(err)
	}
	header := `{"__metadata__":{"k":"v"},"a":{"dtype":"I64","shape":[],"data_offsets":[8,16]},"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`
	header += strings.Repeat(" ", (8-len(header)%8)%8)
	want := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	want = append(want, header...)
	want = append(want, 0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0) // 1, -2 as F32
	want = append(want, 3, 0, 0, 0, 0, 0, 0, 0)                         // 3 as I64
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("Encode wrote\n%q\nwant\n%q", buf.Bytes(), want)
	}
}

func TestEncodeErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		tensors []WriteTensor
		meta    map[string]string
		want    string
	}{
		{"no data", []WriteTensor{{Name: "w", Shape: []int{1}}}, nil, `safetensors: tensor "w" sets 0 of F32, F64 and I64, want exactly one`},
		{"two fields", []WriteTensor{{Name: "w", Shape: []int{1}, F32: []float32{1}, I64: []int64{1}}}, nil, `tensor "w" sets 2 of F32, F64 and I64`},
		{"count mismatch", []WriteTensor{{Name: "w", Shape: []int{2, 3}, F32: make([]float32, 5)}}, nil, `tensor "w" has shape [2 3] (6 elements) but 5 values, want equal counts`},
		{"scalar mismatch", []WriteTensor{{Name: "s", F64: []float64{}}}, nil, `tensor "s" has shape [] (1 elements) but 0 values`},
		{"negative dim", []WriteTensor{{Name: "w", Shape: []int{-1}, F32: []float32{}}}, nil, `tensor "w" has shape [-1] with a negative dimension`},
		{"overflow", []WriteTensor{{Name: "w", Shape: []int{1 << 40, 1 << 40}, F32: []float32{}}}, nil, `tensor "w" has shape [1099511627776 1099511627776] whose element count overflows an int`},
		{"duplicate", []WriteTensor{{Name: "w", F32: []float32{1}}, {Name: "w", F32: []float32{2}}}, nil, `tensor "w" appears twice, want unique names`},
		{"empty name", []WriteTensor{{F32: []float32{1}}}, nil, `tensor 0 has an empty name`},
		{"reserved name", []WriteTensor{{Name: "__metadata__", F32: []float32{1}}}, nil, `tensor 0 is named "__metadata__", a name reserved for the metadata`},
		{"bad UTF-8 name", []WriteTensor{{Name: "\xff", F32: []float32{1}}}, nil, `tensor 0 name "\xff" is not valid UTF-8`},
		{"bad UTF-8 metadata", nil, map[string]string{"k": "\xff"}, `metadata entry "k" is not valid UTF-8`},
	}
	for _, tc := range tests {
		var buf bytes.Buffer
		err := Encode(&buf, tc.tensors, tc.meta)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "safetensors: ") {
			t.Errorf("%s: error %v, want it to contain %q", tc.name, err, tc.want)
		}
		if buf.Len() != 0 {
			t.Errorf("%s: wrote %d bytes before failing, want none", tc.name, buf.Len())
		}
	}
}

type failWriter struct{ after int }

func (w *failWriter) Write(p []byte) (int, error) {
	if w.after <= 0 {
		return 0, errors.New("disk full")
	}
	w.after--
	return len(p), nil
}

func TestEncodeWriteError(t *testing.T) {
	t.Parallel()
	for after := range 3 {
		err := Encode(&failWriter{after: after}, []WriteTensor{{Name: "w", Shape: []int{40000}, F32: make([]float32, 40000)}}, nil)
		if err == nil || err.Error() != "safetensors: writing: disk full" {
			t.Errorf("after %d writes: error %v, want \"safetensors: writing: disk full\"", after, err)
		}
	}
}

func TestWriteFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "model.safetensors")
	if err := os.WriteFile(path, []byte("old contents"), 0o644); err != nil {
		t.Fatal(err)
	}
	tensors := []WriteTensor{{Name: "embed.W_E", Shape: []int{2, 2}, F32: []float32{1, 2, 3, 4}}}
	if err := WriteFile(path, tensors, map[string]string{"config": "{}"}); err != nil {
		t.Fatal(err)
	}
	f, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tn, ok := f.Get("embed.W_E")
	got, _ := tn.Float32()
	if !ok || !slices.Equal(got, []float32{1, 2, 3, 4}) || f.Metadata["config"] != "{}" {
		t.Errorf("read back %v %v, metadata %v", got, ok, f.Metadata)
	}
	// A failed write leaves the old file and no temporary file behind.
	bad := []WriteTensor{{Name: "w", Shape: []int{3}, F32: []float32{1}}}
	if err := WriteFile(path, bad, nil); err == nil {
		t.Error("WriteFile with a bad tensor succeeded")
	}
	if err := WriteFile(filepath.Join(dir, "model.safetensors", "x.safetensors"), tensors, nil); err == nil || !strings.Contains(err.Error(), "model.safetensors/x.safetensors") {
		t.Errorf("WriteFile under a file: error %v, want it to name the path", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "model.safetensors" {
		t.Errorf("directory holds %v, want only model.safetensors", entries)
	}
	if _, err := ReadFile(path); err != nil {
		t.Errorf("file damaged by a failed write: %v", err)
	}
}

// TestWriteFileRefusesSpecialFiles: only a regular file is ever replaced
// (issue 9, item 6). As root a device node is created in the folder, as in
// the reproduction (mknod d c 1 7).
func TestWriteFileRefusesSpecialFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	targets := []string{dir, "/dev/null"}
	if os.Geteuid() == 0 {
		dev := filepath.Join(dir, "d")
		if err := syscall.Mknod(dev, syscall.S_IFCHR|0o666, 1<<8|7); err != nil {
			t.Fatal(err)
		}
		targets = append(targets, dev)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	targets = append(targets, fifo)
	tensors := []WriteTensor{{Name: "w", Shape: []int{1}, F32: []float32{1}}}
	for _, p := range targets {
		before, _ := os.Lstat(p)
		err := WriteFile(p, tensors, nil)
		if err == nil || !strings.Contains(err.Error(), "only a regular file is ever replaced") {
			t.Errorf("WriteFile(%s) = %v, want a refusal", p, err)
		}
		if after, err := os.Lstat(p); err != nil || after.Mode() != before.Mode() {
			t.Errorf("%s changed from %v to %v", p, before.Mode(), after.Mode())
		}
	}
}

// TestGoldenRoundTrip re-encodes the reference-written model and checks
// every value survives bit for bit.
func TestGoldenRoundTrip(t *testing.T) {
	t.Parallel()
	f, err := ReadFile(filepath.Join("testdata", "attn_only_2l.model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	var ws []WriteTensor
	for _, tn := range f.Tensors {
		v, err := tn.Float32()
		if err != nil {
			t.Fatal(err)
		}
		ws = append(ws, WriteTensor{Name: tn.Name, Shape: tn.Shape, F32: v})
	}
	var buf bytes.Buffer
	if err := Encode(&buf, ws, f.Metadata); err != nil {
		t.Fatal(err)
	}
	g, err := Parse(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if g.Metadata["config"] != f.Metadata["config"] || len(g.Tensors) != len(f.Tensors) {
		t.Fatalf("round trip lost metadata or tensors")
	}
	for i, tn := range g.Tensors {
		if tn.Name != f.Tensors[i].Name || !bytes.Equal(tn.raw, f.Tensors[i].raw) || !slices.Equal(tn.Shape, f.Tensors[i].Shape) {
			t.Errorf("tensor %d %q differs after the round trip", i, tn.Name)
		}
	}
}
