package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"unicode/utf8"

	"github.com/attnlab/attnlab/internal/userfile"
)

// WriteTensor is a tensor to write. Exactly one of F32, F64 and I64 is
// non-nil; it holds the elements in row-major order and its length is the
// product of Shape (1 for an empty or nil Shape, a scalar). A zero-element
// tensor uses a non-nil empty slice.
type WriteTensor struct {
	Name  string
	Shape []int
	F32   []float32 // written as F32
	F64   []float64 // written as F64
	I64   []int64   // written as I64
}

// headerEntry is one tensor's description; field order follows the
// reference implementation.
type headerEntry struct {
	DType       DType  `json:"dtype"`
	Shape       []int  `json:"shape"`
	DataOffsets [2]int `json:"data_offsets"`
}

// Encode writes tensors, in the order given, and metadata (omitted when
// empty) as a safetensors file to w. The output is deterministic: header keys
// are sorted and the header is padded with spaces to a multiple of 8 bytes,
// so the data buffer starts 8-byte aligned. Invalid tensors are reported
// before anything is written.
func Encode(w io.Writer, tensors []WriteTensor, metadata map[string]string) error {
	header, err := encodeHeader(tensors, metadata)
	if err != nil {
		return err
	}
	if err := writeAll(w, header, tensors); err != nil {
		return fmt.Errorf("safetensors: writing: %w", err)
	}
	return nil
}

// WriteFile writes tensors and metadata as in [Encode] to path, atomically:
// it writes a temporary file in the same folder, syncs it and renames it
// over path, so an interrupted write leaves no partial file. Missing parent
// folders are created. Only a regular file is ever replaced (a folder, a
// device or a named pipe at path is refused; a symlink is followed), and
// temporary files of path left by a killed writer are removed; see
// internal/userfile.
func WriteFile(path string, tensors []WriteTensor, metadata map[string]string) error {
	header, err := encodeHeader(tensors, metadata)
	if err != nil {
		return err
	}
	if err := userfile.WriteAtomic(path, func(w io.Writer) error { return writeAll(w, header, tensors) }); err != nil {
		var ue *userfile.Error
		if errors.As(err, &ue) { // it names the file already
			return fmt.Errorf("safetensors: %w", err)
		}
		return fmt.Errorf("safetensors: write %s: %w", path, err)
	}
	return nil
}

// encodeHeader validates tensors and returns the 8-byte length prefix
// followed by the padded JSON header.
func encodeHeader(tensors []WriteTensor, metadata map[string]string) ([]byte, error) {
	entries := make(map[string]any, len(tensors)+1)
	if len(metadata) > 0 {
		for k, v := range metadata {
			if !utf8.ValidString(k) || !utf8.ValidString(v) {
				return nil, fmt.Errorf("safetensors: metadata entry %q is not valid UTF-8", k)
			}
		}
		entries[metadataKey] = metadata
	}
	offset := 0
	for i, t := range tensors {
		switch {
		case t.Name == "":
			return nil, fmt.Errorf("safetensors: tensor %d has an empty name, want a non-empty name", i)
		case !utf8.ValidString(t.Name):
			return nil, fmt.Errorf("safetensors: tensor %d name %q is not valid UTF-8", i, t.Name)
		case t.Name == metadataKey:
			return nil, fmt.Errorf("safetensors: tensor %d is named %q, a name reserved for the metadata", i, metadataKey)
		}
		if _, dup := entries[t.Name]; dup {
			return nil, fmt.Errorf("safetensors: tensor %q appears twice, want unique names", t.Name)
		}
		dt, n, set := t.data()
		if set != 1 {
			return nil, fmt.Errorf("safetensors: tensor %q sets %d of F32, F64 and I64, want exactly one", t.Name, set)
		}
		count := uint64(1)
		for _, d := range t.Shape {
			if d < 0 {
				return nil, fmt.Errorf("safetensors: tensor %q has shape %v with a negative dimension, want dimensions >= 0", t.Name, t.Shape)
			}
			hi, lo := bits.Mul64(count, uint64(d))
			if hi != 0 || lo > math.MaxInt {
				return nil, fmt.Errorf("safetensors: tensor %q has shape %v whose element count overflows an int", t.Name, t.Shape)
			}
			count = lo
		}
		if count != uint64(n) {
			return nil, fmt.Errorf("safetensors: tensor %q has shape %v (%d elements) but %d values, want equal counts", t.Name, t.Shape, count, n)
		}
		shape := append([]int{}, t.Shape...) // [] rather than null for a scalar
		size := n * dt.Size()
		entries[t.Name] = headerEntry{DType: dt, Shape: shape, DataOffsets: [2]int{offset, offset + size}}
		offset += size
	}

	var buf bytes.Buffer
	buf.Write(make([]byte, 8)) // the length, filled in below
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // keep names like "a<b" readable, as Python writes them
	if err := enc.Encode(entries); err != nil {
		return nil, fmt.Errorf("safetensors: encoding header: %w", err)
	}
	buf.Truncate(buf.Len() - 1) // Encode's trailing newline
	for (buf.Len()-8)%8 != 0 {
		buf.WriteByte(' ')
	}
	b := buf.Bytes()
	n := len(b) - 8
	if n > MaxHeaderSize {
		return nil, fmt.Errorf("safetensors: header would be %d bytes, more than the %d-byte limit readers accept", n, MaxHeaderSize)
	}
	binary.LittleEndian.PutUint64(b, uint64(n))
	return b, nil
}

// data returns the dtype and length of the set data field and how many
// fields are set.
func (t *WriteTensor) data() (dt DType, n, set int) {
	if t.F32 != nil {
		dt, n, set = F32, len(t.F32), set+1
	}
	if t.F64 != nil {
		dt, n, set = F64, len(t.F64), set+1
	}
	if t.I64 != nil {
		dt, n, set = I64, len(t.I64), set+1
	}
	return dt, n, set
}

// writeAll writes the header and then each tensor's data, little endian,
// through a fixed-size chunk so memory does not grow with the file.
func writeAll(w io.Writer, header []byte, tensors []WriteTensor) error {
	if _, err := w.Write(header); err != nil {
		return err
	}
	chunk := make([]byte, 0, 64<<10)
	var err error
	flush := func() {
		if err == nil && len(chunk) > 0 {
			_, err = w.Write(chunk)
		}
		chunk = chunk[:0]
	}
	for _, t := range tensors {
		for _, v := range t.F32 {
			if len(chunk)+4 > cap(chunk) {
				flush()
			}
			chunk = binary.LittleEndian.AppendUint32(chunk, math.Float32bits(v))
		}
		for _, v := range t.F64 {
			if len(chunk)+8 > cap(chunk) {
				flush()
			}
			chunk = binary.LittleEndian.AppendUint64(chunk, math.Float64bits(v))
		}
		for _, v := range t.I64 {
			if len(chunk)+8 > cap(chunk) {
				flush()
			}
			chunk = binary.LittleEndian.AppendUint64(chunk, uint64(v))
		}
		if err != nil {
			return err
		}
	}
	flush()
	return err
}
