// Package safetensors reads and writes the safetensors file format, the
// tensor container used by Hugging Face and TransformerLens checkpoints.
// It knows nothing about models: it maps names to typed, shaped byte ranges.
//
// # Format
//
// A file is three parts:
//
//	[8 bytes]  N, the header length, a little-endian uint64
//	[N bytes]  the header: a UTF-8 JSON object
//	[rest]     the byte buffer holding every tensor's data, little endian
//
// The header maps each tensor name to its description, plus an optional
// "__metadata__" object of string values:
//
//	{"__metadata__": {"config": "{...}"},
//	 "embed.W_E": {"dtype": "F32", "shape": [50, 32], "data_offsets": [0, 6400]}}
//
// data_offsets are [begin, end) byte offsets relative to the start of the
// byte buffer, not of the file. Shapes are row-major, outermost first, as in
// PyTorch; a shape of [] is a scalar holding one element.
//
// # Reading
//
// [Parse] validates the whole header before returning, so every [Tensor] of a
// returned [File] is safe to convert: the header length is at most 100 MB
// (100,000,000 bytes, the reference implementation's limit) and within the
// file, the header is valid UTF-8 JSON with no duplicate keys, every dtype is
// known, every shape has non-negative dimensions whose product fits in an
// int, every byte range lies within the buffer and has exactly
// elements × dtype-size bytes, and the byte buffer is fully indexed: in
// file order each tensor starts where the previous one ends, the first at
// byte 0 and the last at the buffer's end. Overlaps, holes and trailing
// bytes are rejected with the byte range named, as by the reference
// implementation: unindexed bytes are where a polyglot file hides a second
// payload. Sizes are checked with overflow-safe arithmetic before anything
// is allocated from them, and malformed input gives an error, never a
// panic.
//
// Tensors returned by [Parse] share memory with the input slice: do not
// modify it afterwards. The conversion methods ([Tensor.Float32],
// [Tensor.Float64], [Tensor.Int64]) always return fresh slices.
//
// # Reading large files
//
// [Open] (a path) and [NewReader] (any io.ReaderAt) read and validate only
// the header, so a multi-gigabyte file costs at most the header's size
// until the caller asks for data: a model loader reads the config from the
// metadata, validates it, checks the tensors' names, shapes and dtypes and
// the bytes they need against its memory budget, and only then calls
// [File.Load] for the tensors it uses. [Open] accepts only a regular file:
// a device such as /dev/zero, a named pipe or a folder is refused at once.
// [ReadFile] is [Open] and [File.LoadAll] in one call, after checking the
// data's size against the memory budget (internal/membudget).
//
// # Writing
//
// [Encode] writes F32, F64 and I64 tensors in the order given, with a header
// whose keys are sorted (so the output is byte-for-byte deterministic) and
// padded with spaces to a multiple of 8 bytes, as the reference
// implementation does. [WriteFile] writes a file atomically: a temporary
// file in the same directory, fsync, rename; it replaces only a regular
// file (see internal/userfile).
//
// Errors are one sentence starting with "safetensors: "; errors about a
// malformed file are a [*FormatError].
package safetensors
