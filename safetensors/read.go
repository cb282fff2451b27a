package safetensors

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"slices"
	"unicode/utf8"

	"github.com/attnlab/attnlab/internal/membudget"
	"github.com/attnlab/attnlab/internal/userfile"
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

// File is a safetensors file whose header has been validated. A file from
// [Parse] or [ReadFile] holds every tensor's data; a file from [Open] or
// [NewReader] holds only the header until [File.Load] reads the tensors a
// caller needs.
type File struct {
	Metadata map[string]string // the header's __metadata__; nil if absent
	Tensors  []*Tensor         // ordered by data offset, as laid out in the file

	byName  map[string]*Tensor
	src     io.ReaderAt // where Load reads data; nil when everything is loaded
	dataOff int64       // file offset of the byte buffer
	closer  io.Closer   // the file Open opened; nil otherwise
	path    string      // for errors; empty for Parse and NewReader
}

// Get returns the tensor with the given name.
func (f *File) Get(name string) (*Tensor, bool) {
	t, ok := f.byName[name]
	return t, ok
}

// ReadFile reads and parses the safetensors file at path, data included.
// The path must name a regular file; the header is read and validated
// first, and the data only if its size fits the memory budget
// (internal/membudget). Its errors name the path.
func ReadFile(path string) (*File, error) {
	f, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if err := membudget.Check("reading the tensors of "+path, f.DataBytes()); err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	if err := f.LoadAll(); err != nil {
		return nil, err
	}
	return f, nil
}

// Open opens the safetensors file at path and reads and validates its
// header, but no tensor data: read the tensors you need with [File.Load],
// then [File.Close] the file. path must name a regular file (a device, a
// named pipe or a folder is refused at once); the header is at most
// [MaxHeaderSize] bytes, so Open reads at most that much whatever the
// file's size. Errors name the path.
func Open(path string) (*File, error) {
	osf, size, err := userfile.Open(path, 0)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err) // names the path
	}
	f, err := NewReader(osf, size)
	if err != nil {
		osf.Close()
		if fe, ok := errors.AsType[*FormatError](err); ok {
			fe.Path = path
		}
		return nil, err
	}
	f.closer, f.path = osf, path
	return f, nil
}

// NewReader reads and validates the header of the size-byte safetensors
// file r, but no tensor data; [File.Load] reads data from r later, so r must
// stay readable until then.
func NewReader(r io.ReaderAt, size int64) (*File, error) {
	if size < 8 {
		return nil, errf("file is %d bytes, shorter than the 8-byte header length that starts every file", size)
	}
	var lenBuf [8]byte
	if _, err := r.ReadAt(lenBuf[:], 0); err != nil {
		return nil, fmt.Errorf("safetensors: reading the header length: %w", err)
	}
	n, err := headerLength(binary.LittleEndian.Uint64(lenBuf[:]), uint64(size-8))
	if err != nil {
		return nil, err
	}
	header := make([]byte, n)
	if _, err := r.ReadAt(header, 8); err != nil {
		return nil, fmt.Errorf("safetensors: reading the %d-byte header: %w", n, err)
	}
	f, err := parseHeader(header, uint64(size)-8-n)
	if err != nil {
		return nil, err
	}
	f.src, f.dataOff = r, int64(8+n)
	return f, nil
}

// Parse parses and validates a whole safetensors file held in data. The
// returned tensors share memory with data. See the package documentation for
// what is checked.
func Parse(data []byte) (*File, error) {
	if len(data) < 8 {
		return nil, errf("file is %d bytes, shorter than the 8-byte header length that starts every file", len(data))
	}
	n, err := headerLength(binary.LittleEndian.Uint64(data), uint64(len(data)-8))
	if err != nil {
		return nil, err
	}
	buf := data[8+n : len(data) : len(data)]
	f, err := parseHeader(data[8:8+n], uint64(len(buf)))
	if err != nil {
		return nil, err
	}
	for _, t := range f.Tensors {
		t.raw, t.loaded = buf[t.begin:t.end:t.end], true
	}
	return f, nil
}

// headerLength checks the header length n against the limit and the
// after bytes that follow the length field.
func headerLength(n, after uint64) (uint64, error) {
	if n > MaxHeaderSize {
		return 0, errf("header length %d exceeds the limit of %d bytes", n, MaxHeaderSize)
	}
	if n > after {
		return 0, errf("header length %d is larger than the %d bytes that follow it in the file", n, after)
	}
	return n, nil
}

// DataBytes returns the number of data bytes of the named tensors (all
// tensors when no name is given), loaded or not; unknown names count 0.
func (f *File) DataBytes(names ...string) int64 {
	var n int64
	if len(names) == 0 {
		for _, t := range f.Tensors {
			n += int64(t.NumBytes())
		}
		return n
	}
	for _, name := range names {
		if t, ok := f.byName[name]; ok {
			n += int64(t.NumBytes())
		}
	}
	return n
}

// Load reads the data of the named tensors that are not loaded yet. An
// unknown name is an error. Check [File.DataBytes] against your memory
// budget first: Load allocates that much.
func (f *File) Load(names ...string) error {
	for _, name := range names {
		t, ok := f.byName[name]
		if !ok {
			return f.wrap(errf("no tensor %q in the file", name))
		}
		if err := f.load(t); err != nil {
			return err
		}
	}
	return nil
}

// LoadAll reads the data of every tensor.
func (f *File) LoadAll() error {
	for _, t := range f.Tensors {
		if err := f.load(t); err != nil {
			return err
		}
	}
	return nil
}

func (f *File) load(t *Tensor) error {
	if t.loaded {
		return nil
	}
	raw := make([]byte, t.end-t.begin)
	if len(raw) > 0 {
		if _, err := f.src.ReadAt(raw, f.dataOff+int64(t.begin)); err != nil {
			if errors.Is(err, io.EOF) {
				return f.wrap(errf("tensor %q: the file ended before its bytes %d to %d (was it truncated while being read?)", t.Name, t.begin, t.end))
			}
			return fmt.Errorf("safetensors: reading tensor %q: %w", t.Name, err)
		}
	}
	t.raw, t.loaded = raw, true
	return nil
}

func (f *File) wrap(err error) error {
	if fe, ok := errors.AsType[*FormatError](err); ok && f.path != "" {
		fe.Path = f.path
	}
	return err
}

// Close closes the file [Open] opened; loaded tensors stay usable. It is a
// no-op for files from [Parse] and [NewReader].
func (f *File) Close() error {
	if f.closer == nil {
		return nil
	}
	c := f.closer
	f.closer, f.src = nil, nil
	return c.Close()
}

// parseHeader validates a header against a byte buffer of bufLen bytes
// and returns the file's tensors, not yet loaded.
func parseHeader(header []byte, bufLen uint64) (*File, error) {
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
		t, err := parseTensor(fld.key, fld.val, bufLen)
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
	// The buffer must be fully indexed, as the reference implementation
	// demands: in file order, each tensor starts where the previous one
	// ended, the first at 0 and the last ending at the buffer's end. No
	// byte is shared (overlap) and none is left out (a hole, or trailing
	// bytes, where a polyglot file could hide a second payload).
	cursor, prev := 0, (*Tensor)(nil)
	for _, t := range f.Tensors {
		switch {
		case t.begin < cursor && t.begin == t.end:
			return nil, errf("tensor %q has data_offsets [%d, %d] inside tensor %q (bytes %d to %d); each tensor must start where the previous one ends",
				t.Name, t.begin, t.end, prev.Name, prev.begin, prev.end)
		case t.begin < cursor:
			return nil, errf("tensors %q (bytes %d to %d) and %q (bytes %d to %d) overlap; each byte of the buffer must belong to one tensor at most",
				prev.Name, prev.begin, prev.end, t.Name, t.begin, t.end)
		case t.begin > cursor:
			where := fmt.Sprintf("before tensor %q", t.Name)
			if prev != nil {
				where = fmt.Sprintf("between tensors %q and %q", prev.Name, t.Name)
			}
			return nil, errf("bytes %d to %d of the data buffer, %s, belong to no tensor; the buffer must be fully indexed, without holes", cursor, t.begin, where)
		}
		if t.end > t.begin {
			prev = t
		}
		cursor = t.end
	}
	if uint64(cursor) != bufLen {
		where := "with no tensors"
		if prev != nil {
			where = fmt.Sprintf("after the last tensor %q", prev.Name)
		}
		return nil, errf("bytes %d to %d of the data buffer, %s, belong to no tensor; the buffer must be fully indexed, without trailing bytes", cursor, bufLen, where)
	}
	return f, nil
}

type field struct {
	key string
	val json.RawMessage
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
		if k := jsonKind(fld.val); k != "string" {
			return nil, errf("%s value for key %q is a JSON %s, want a string", metadataKey, fld.key, k)
		}
		md[fld.key] = unquote(bytes.TrimSpace(fld.val))
	}
	return md, nil
}

// parseTensor validates one tensor description against the byte buffer.
func parseTensor(name string, v json.RawMessage, bufLen uint64) (*Tensor, error) {
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
	if k := jsonKind(dtypeV); k != "string" {
		return nil, errf("tensor %q has a JSON %s as dtype, want a string such as \"F32\"", name, k)
	} else {
		ds = unquote(bytes.TrimSpace(dtypeV))
	}
	ds = unquote(bytes.TrimSpace(dtypeV))
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
	if end > bufLen {
		return nil, errf("tensor %q has data_offsets end %d beyond the %d-byte data buffer", name, end, bufLen)
	}
	if end-begin != nbytes {
		return nil, errf("tensor %q has data_offsets [%d, %d] spanning %d bytes, want %d (%d elements of %s, %d bytes each)",
			name, begin, end, end-begin, nbytes, count, dt, size)
	}
	return &Tensor{
		Name:  name,
		DType: dt,
		Shape: shape,
		count: int(count),
		begin: int(begin),
		end:   int(end),
	}, nil
}
